"""Train the attention translation model on Multi30k and evaluate it with sacreBLEU.

    python -m hw7_seq2seq.run --config hw7_seq2seq/config.quick.yaml
    python -m hw7_seq2seq.run --model.attention none --train.epochs 4 --train.average_last 1   # no attention
    python -m hw7_seq2seq.run --data.src fr                                # French -> English
    python -m hw7_seq2seq.run --resume runs/hw7_seq2seq/<id>               # continue a killed run

Config (config.py) -> data (data.py: raw lines, truecased units or BPE pieces, vocabularies) -> fit
(train.py: epochs, schedule, averaging, best.ckpt) -> translate the test set greedily and with beam
search (evaluate.py) -> sacreBLEU with its defaults, cased, against the reference lines as released,
and the lower-cased score beside it. The run folder gets ``best.ckpt`` with the vocabularies,
truecasers (and BPE merges) beside it, ``test.greedy.txt``, ``test.beam.txt``, ``loss.png``,
``val_bleu.png`` and ``attention_<n>.png``; ``python -m hw7_seq2seq.translate --checkpoint
<run folder>/best.ckpt`` translates typed sentences.
"""
from __future__ import annotations

import time
from typing import Any

import torch

from common.fileio import atomic_write_text
from common.plots import plot_curves, plot_heatmap
from common.run import Run, run_cli, summary_row
from common.torch_utils import count_parameters, resolve_device
from hw7_seq2seq.config import Config
from hw7_seq2seq.data import Corpus, load_corpus
from hw7_seq2seq.evaluate import Translations, mean_length_ratio, translate_split
from hw7_seq2seq.model import Seq2Seq
from hw7_seq2seq.text import LANGUAGE_NAMES
from hw7_seq2seq.train import History, fit


def main(config: Config, run: Run) -> dict[str, Any]:
    device, cpu_start = resolve_device(config.device), time.process_time()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    corpus = load_corpus(config.data, run.dir)
    model = Seq2Seq(config.model, len(corpus.src_vocab), len(corpus.tgt_vocab)).to(device)
    data = config.data
    run.log(f"{LANGUAGE_NAMES[data.src]} -> {LANGUAGE_NAMES[data.tgt]}: {len(corpus.examples['train'])} training "
            f"pairs, vocabularies {len(corpus.src_vocab)} / {len(corpus.tgt_vocab)}, {count_parameters(model):,} "
            f"parameters, attention {config.model.attention}, device {device}")
    history = fit(model, corpus, config, run)
    train_cpu_minutes = (time.process_time() - cpu_start) / 60
    greedy = translate_split(model, corpus, "test", config.decode, beam_size=1)
    beam = translate_split(model, corpus, "test", config.decode, config.decode.beam_size)
    for name, result in (("greedy", greedy), ("beam", beam)):
        atomic_write_text(run.path(f"test.{name}.txt"), "".join(text + "\n" for text in result.texts))
    pair = f"{data.src}-{data.tgt}"
    run.log(f"test ({pair}, {history.kept}): sacreBLEU greedy {greedy.bleu.score:.2f}, beam {config.decode.beam_size} "
            f"{beam.bleu.score:.2f}  [{greedy.bleu.signature}]; lower-cased greedy {greedy.lowercased.score:.2f}, "
            f"beam {beam.lowercased.score:.2f}  [{greedy.lowercased.signature}]")
    plot(history, greedy, corpus, config, run)
    return metrics(history, greedy, beam, corpus, config, model, train_cpu_minutes, str(device))


def plot(history: History, greedy: Translations, corpus: Corpus, config: Config, run: Run) -> None:
    """Loss and validation BLEU by epoch; attention heat maps of the first test sentences."""
    pair = f"{config.data.src}-{config.data.tgt}"
    plot_curves({"train loss per token": history.train_loss}, run.path("loss.png"), xlabel="epoch",
                ylabel="cross-entropy", title=f"hw7 {pair} training loss")
    plot_curves({"validation BLEU (greedy)": history.val_bleu}, run.path("val_bleu.png"), xlabel="epoch",
                ylabel="sacreBLEU", title=f"hw7 {pair} validation BLEU")
    shown = zip(greedy.hypotheses[: config.decode.heatmaps], corpus.units["test"], strict=False)
    for n, (hypothesis, (source_units, _)) in enumerate(shown, start=1):
        if hypothesis.attention is not None:
            rows = corpus.tgt_vocab.indices_to_tokens(hypothesis.tokens)
            rows += ["</s>"] * (len(hypothesis.attention) - len(rows))
            plot_heatmap(hypothesis.attention, run.path(f"attention_{n}.png"), row_labels=rows,
                         col_labels=source_units, xlabel=f"source ({config.data.src})",
                         ylabel=f"output ({config.data.tgt})", title=f"attention, test sentence {n}")


def metrics(history: History, greedy: Translations, beam: Translations, corpus: Corpus, config: Config,
            model: Seq2Seq, train_cpu_minutes: float, device: str) -> dict[str, Any]:
    """metrics.json: the test figures (cased headline, lower-cased beside it), the history and examples."""
    pair, beam_size = f"{config.data.src}-{config.data.tgt}", config.decode.beam_size
    references = [target[1:-1] for _, target in corpus.examples["test"]]
    best_val_perplexity = history.val_perplexity[history.best_epoch - 1]
    if history.averaged and history.averaged["kept"]:
        best_val_perplexity = history.averaged["val_perplexity"]
    label = f"Multi30k {pair} test_2016"
    return {
        "src": config.data.src, "tgt": config.data.tgt, "device": device, "parameters": count_parameters(model),
        "train_pairs": len(corpus.examples["train"]), "src_vocab_size": len(corpus.src_vocab),
        "tgt_vocab_size": len(corpus.tgt_vocab), "epochs_run": len(history.train_loss),
        "best_epoch": history.best_epoch, "train_minutes": history.minutes[-1],
        "train_cpu_minutes": round(train_cpu_minutes, 2), "history": history.__dict__, "checkpoint": history.kept,
        "best_val_bleu": round(history.best_bleu, 4), "beam_size": beam_size,
        "test_bleu_greedy": round(greedy.bleu.score, 2), "test_bleu_beam": round(beam.bleu.score, 2),
        "test_bleu_greedy_lowercased": round(greedy.lowercased.score, 2),
        "test_bleu_beam_lowercased": round(beam.lowercased.score, 2),
        "bleu_signature": greedy.bleu.signature, "bleu_signature_lowercased": greedy.lowercased.signature,
        "length_ratio_greedy": round(mean_length_ratio([h.tokens for h in greedy.hypotheses], references), 4),
        "length_ratio_beam": round(mean_length_ratio([h.tokens for h in beam.hypotheses], references), 4),
        "examples": [{"source": source, "reference": reference, "greedy": g, "beam": b}
                     for (source, reference), g, b in zip(corpus.raw["test"][:5], greedy.texts, beam.texts,
                                                          strict=False)],
        "summary": [
            summary_row(label, "sacreBLEU, greedy", round(greedy.bleu.score, 2), key="test_bleu_greedy"),
            summary_row(label, f"sacreBLEU, beam {beam_size}", round(beam.bleu.score, 2), key="test_bleu_beam"),
            summary_row(label, "lower-cased sacreBLEU (-lc), greedy", round(greedy.lowercased.score, 2),
                        key="test_bleu_greedy_lowercased"),
            summary_row(label, f"lower-cased sacreBLEU (-lc), beam {beam_size}", round(beam.lowercased.score, 2),
                        key="test_bleu_beam_lowercased"),
            summary_row(label, f"sacreBLEU, beam {beam_size} minus greedy",
                        round(beam.bleu.score - greedy.bleu.score, 2), key="test_bleu_beam_gain"),
            summary_row(f"Multi30k {pair} val", "perplexity (the checkpoint tested)", best_val_perplexity,
                        key="val_perplexity"),
        ],
    }


if __name__ == "__main__":
    run_cli("hw7_seq2seq", Config, main, description="Train an attention encoder-decoder on Multi30k and "
            "translate its test set, scored with sacreBLEU (cased, and lower-cased beside it).")
