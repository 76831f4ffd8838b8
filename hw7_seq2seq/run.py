"""Train the attention translation model on Multi30k and evaluate it with sacreBLEU.

    python -m hw7_seq2seq.run --config hw7_seq2seq/config.quick.yaml
    python -m hw7_seq2seq.run --model.attention none --train.epochs 4 --train.average_last 1   # no attention
    python -m hw7_seq2seq.run --data.src fr                                # French -> English

Each epoch: training loss, validation perplexity and greedy validation BLEU; the checkpoint with the
best validation BLEU is kept (``best.pt``, with ``src_vocab.tsv`` / ``tgt_vocab.tsv``); with
``train.average_last`` N > 1 the mean of the last N epochs' weights replaces it when its validation
BLEU is higher (checkpoint averaging). Sentences are tokenised and truecased (``text.py``; the
truecasers are saved as ``src_truecase.json`` / ``tgt_truecase.json``); with ``data.subwords`` N the
model reads and writes BPE pieces learned on the training split (``src_subwords.json`` /
``tgt_subwords.json``). Output becomes text (unknown words copied from the source, sentences
capitalised, punctuation attached) and is scored with sacreBLEU's defaults, cased, against the
reference lines as released; the lower-cased score (``-lc``) is reported beside it. At the end that
checkpoint translates the test set (test_2016_flickr) greedily and with beam search. The run folder
also gets ``test.greedy.txt``, ``test.beam.txt``, ``loss.png``, ``val_bleu.png`` and ``attention_<n>.png`` heat maps;
``python -m hw7_seq2seq.translate --checkpoint <run>/best.pt`` translates typed sentences.
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from common.config import config_to_dict
from common.fileio import atomic_write_text
from common.metrics import Bleu, corpus_bleu, perplexity
from common.plots import plot_curves, plot_heatmap
from common.run import Run, run_cli, summary_row
from common.torch_utils import TrainStep, count_parameters, load_checkpoint, resolve_device, save_checkpoint
from hw7_seq2seq.data import UNK_INDEX, build_vocabularies, encode_pairs, filter_by_length, read_multi30k
from hw7_seq2seq.decode import Hypothesis
from hw7_seq2seq.model import ModelConfig, Seq2Seq
from hw7_seq2seq.text import LANGUAGE_NAMES, TextSide, replace_unknowns, tokenize_sentence
from hw7_seq2seq.train import (
    LR_SCHEDULES,
    align,
    average_states,
    evaluate_nll,
    mean_length_ratio,
    next_learning_rate,
    train_epoch,
    translate_sources,
)

Language = Literal["de", "en", "fr"]


@dataclass
class DataConfig:
    src: Language = "de"
    tgt: Language = "en"
    root: Path | None = None             # folder holding multi30k/ (default: the course data folder)
    min_freq: int = 2                     # tokens seen fewer times in training become <unk>
    subwords: int | None = None           # BPE units per language, learned on train (null: whole words)
    max_len: int = 50                     # training pairs with a longer side are dropped; longest input translated
    max_train_pairs: int | None = None    # the first N training pairs only (quick runs)

    def __post_init__(self) -> None:
        if self.src == self.tgt:
            raise ValueError(f"src and tgt are both {self.src!r}; choose two different languages")
        if self.min_freq < 1 or self.max_len < 1:
            raise ValueError(f"min_freq and max_len must be >= 1, got {self.min_freq} and {self.max_len}")
        if self.subwords is not None and self.subwords < 100:
            raise ValueError(f"subwords must be >= 100 BPE units (or null for whole words), got {self.subwords}")
        if self.max_train_pairs is not None and self.max_train_pairs < 1:
            raise ValueError(f"max_train_pairs must be >= 1 or null (all), got {self.max_train_pairs}")


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1.0e-3
    clip_norm: float = 1.0
    teacher_forcing: float = 1.0          # probability of feeding the gold previous token
    max_minutes: float | None = None      # stop training (mid-epoch) after this many minutes
    label_smoothing: float = 0.0          # training targets (1 - ε) gold + ε uniform; 0 = plain cross-entropy
    schedule: Literal["plateau", "step"] = "plateau"
    lr_decay: float = 1.0                 # plateau: lr *= lr_decay after an epoch whose val BLEU is no new best;
    decay_after: int = 1                  #   step: after every epoch from decay_after on (lr_decay 1 = constant)
    average_last: int = 1                 # also try the mean of the last N epochs' weights; kept if val BLEU is higher

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}")
        if self.lr <= 0 or self.clip_norm <= 0:
            raise ValueError(f"lr and clip_norm must be > 0, got {self.lr} and {self.clip_norm}")
        if not 0 <= self.teacher_forcing <= 1:
            raise ValueError(f"teacher_forcing must be in [0, 1], got {self.teacher_forcing}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1] (1 = no decay), got {self.lr_decay}")
        if self.average_last < 1:
            raise ValueError(f"average_last must be >= 1 (1 = no averaging), got {self.average_last}")
        if self.schedule not in LR_SCHEDULES or self.decay_after < 1:
            raise ValueError(f"schedule must be 'plateau' or 'step' and decay_after >= 1, got {self.schedule!r} "
                             f"and {self.decay_after}")


@dataclass
class DecodeConfig:
    beam_size: int = 5
    length_penalty: float = 1.0           # final beam score / length ** length_penalty (0: none)
    max_len: int = 80                     # longest translation, in tokens
    batch_size: int = 128
    heatmaps: int = 3                     # attention heat maps of the first test sentences

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1 (1 = greedy), got {self.beam_size}")
        if self.max_len < 1 or self.batch_size < 1 or self.heatmaps < 0:
            raise ValueError(f"max_len and batch_size must be >= 1 and heatmaps >= 0, got {self.max_len}, "
                             f"{self.batch_size} and {self.heatmaps}")


@dataclass
class Config:
    seed: int = 0
    device: str = "auto"                  # auto | cpu | cuda | cuda:N
    threads: int | None = None            # torch CPU threads (null: torch's default)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)


def main(config: Config, run: Run) -> dict[str, Any]:
    data, device = config.data, resolve_device(config.device)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    raw = {split: read_multi30k(split, data.src, data.tgt, data.root) for split in ("train", "val", "test")}
    train_tokens = filter_by_length([(tokenize_sentence(s), tokenize_sentence(t)) for s, t in raw["train"]],
                                    data.max_len)[: data.max_train_pairs]
    src_side, tgt_side = (TextSide.train([pair[side] for pair in train_tokens], data.subwords) for side in (0, 1))
    units = {"train": [(src_side.units(src_side.truecaser(s)), tgt_side.units(tgt_side.truecaser(t)))
                       for s, t in train_tokens]}
    for split in ("val", "test"):
        units[split] = [(src_side.units(src_side.words(s)), tgt_side.units(tgt_side.words(t))) for s, t in raw[split]]
    src_vocab, tgt_vocab = build_vocabularies(units["train"], data.min_freq)
    src_vocab.save(run.path("src_vocab.tsv"))
    tgt_vocab.save(run.path("tgt_vocab.tsv"))
    src_side.save(run.dir, "src")
    tgt_side.save(run.dir, "tgt")
    train_examples, val_examples, test_examples = (encode_pairs(units[split], src_vocab, tgt_vocab)
                                                   for split in ("train", "val", "test"))
    model = Seq2Seq(config.model, len(src_vocab), len(tgt_vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.train.lr)
    step = TrainStep(model, optimizer, config.train.clip_norm)
    pair = f"{data.src}-{data.tgt}"
    run.log(f"{LANGUAGE_NAMES[data.src]} -> {LANGUAGE_NAMES[data.tgt]}: {len(train_examples)} training pairs, "
            f"vocabularies {len(src_vocab)} / {len(tgt_vocab)}, {count_parameters(model):,} parameters, "
            f"attention {config.model.attention}, device {device}")

    def output_texts(split: str, examples, hypotheses: list[Hypothesis]) -> list[str]:
        """Each hypothesis as text: <unk> replaced by its aligned source unit, then detokenised."""
        unknown = [i for i, h in enumerate(hypotheses) if UNK_INDEX in h.tokens]
        aligned = dict(zip(unknown, align(model, [examples[i][0] for i in unknown],
                                          [hypotheses[i].tokens for i in unknown]), strict=True))
        return [tgt_side.text(replace_unknowns(tgt_vocab.indices_to_tokens(h.tokens), units[split][i][0],
                                               aligned.get(i)))
                for i, h in enumerate(hypotheses)]

    def translate_bleu(split: str, examples, beam_size: int) -> tuple[Bleu, Bleu, list[str], list[Hypothesis]]:
        """Translate a split; its cased and lower-cased sacreBLEU against the raw reference lines."""
        hypotheses = translate_sources(model, [src for src, _ in examples], beam_size, config.decode.max_len,
                                       config.decode.length_penalty, config.decode.batch_size)
        texts = output_texts(split, examples, hypotheses)
        references = [reference for _, reference in raw[split]]
        return (corpus_bleu(texts, references), corpus_bleu(texts, references, lowercase=True), texts,
                hypotheses)

    checkpoint = run.path("best.pt")
    history: dict[str, list[float]] = {"train_loss": [], "val_perplexity": [], "val_bleu": [], "lr": [],
                                       "minutes": []}
    best_bleu, best_epoch, start, cpu_start = -1.0, 0, time.perf_counter(), time.process_time()
    recent_states: deque[dict[str, torch.Tensor]] = deque(maxlen=config.train.average_last)
    deadline = None if config.train.max_minutes is None else start + 60 * config.train.max_minutes
    for epoch in range(1, config.train.epochs + 1):
        def progress(batches, total, epoch=epoch):
            return run.progress(batches, f"epoch {epoch}", total=total)

        loss, _, cut = train_epoch(model, train_examples, step, config.train.batch_size, config.seed + epoch,
                                   config.train.teacher_forcing, deadline, progress, config.train.label_smoothing)
        val_nll, val_tokens = evaluate_nll(model, val_examples, config.decode.batch_size)
        val_bleu = translate_bleu("val", val_examples, beam_size=1)[0].score
        minutes, lr = (time.perf_counter() - start) / 60, optimizer.param_groups[0]["lr"]
        for key, value in (("train_loss", loss), ("val_perplexity", perplexity(val_nll, val_tokens)),
                           ("val_bleu", val_bleu), ("minutes", minutes)):
            history[key].append(round(value, 4))
        history["lr"].append(lr)
        run.log(f"epoch {epoch}{' (cut short by max_minutes)' if cut else ''}: train loss {loss:.3f}, "
                f"val perplexity {history['val_perplexity'][-1]:.2f}, val BLEU (greedy) {val_bleu:.2f}, "
                f"lr {lr:.2g}, {minutes:.1f} min")
        improved = val_bleu > best_bleu
        if improved:
            best_bleu, best_epoch = val_bleu, epoch
            save_checkpoint(checkpoint, model, {"src": src_vocab, "tgt": tgt_vocab}, config_to_dict(config),
                            extra={"src": data.src, "tgt": data.tgt, "epoch": epoch, "val_bleu": val_bleu})
        if config.train.average_last > 1:
            recent_states.append({name: value.detach().clone() for name, value in model.state_dict().items()})
        for group in optimizer.param_groups:
            group["lr"] = next_learning_rate(lr, config.train.schedule, config.train.lr_decay,
                                             config.train.decay_after, epoch, improved)
        if cut:
            break
    train_minutes, train_cpu_minutes = (time.perf_counter() - start) / 60, (time.process_time() - cpu_start) / 60
    best_val_perplexity = history["val_perplexity"][best_epoch - 1] if best_epoch else math.inf
    averaged = None
    if len(recent_states) > 1:
        model.load_state_dict(average_states(recent_states))
        epochs_run = len(history["val_bleu"])
        averaged_bleu = translate_bleu("val", val_examples, beam_size=1)[0].score
        averaged_perplexity = perplexity(*evaluate_nll(model, val_examples, config.decode.batch_size))
        averaged = {"epochs": [epochs_run - len(recent_states) + 1, epochs_run],
                    "val_bleu": round(averaged_bleu, 4), "val_perplexity": round(averaged_perplexity, 4),
                    "kept": averaged_bleu > best_bleu}
        run.log(f"average of epochs {averaged['epochs'][0]}-{epochs_run}: val perplexity {averaged_perplexity:.2f}, "
                f"val BLEU (greedy) {averaged_bleu:.2f} against {best_bleu:.2f} at epoch {best_epoch}: "
                f"{'kept' if averaged['kept'] else 'not kept'}")
        if averaged["kept"]:
            best_bleu, best_val_perplexity = averaged_bleu, averaged_perplexity
            save_checkpoint(checkpoint, model, {"src": src_vocab, "tgt": tgt_vocab}, config_to_dict(config),
                            extra={"src": data.src, "tgt": data.tgt, "epoch": epochs_run, "val_bleu": averaged_bleu,
                                   "averaged_epochs": averaged["epochs"]})
    chosen = (f"average of epochs {averaged['epochs'][0]}-{averaged['epochs'][1]}" if averaged and averaged["kept"]
              else f"best epoch {best_epoch}")

    load_checkpoint(checkpoint, model, {"src": src_vocab, "tgt": tgt_vocab}, device)
    greedy_bleu, greedy_lc, greedy_texts, greedy = translate_bleu("test", test_examples, beam_size=1)
    beam_bleu, beam_lc, beam_texts, beam = translate_bleu("test", test_examples, config.decode.beam_size)
    references = [tgt[1:-1] for _, tgt in test_examples]
    for name, texts in (("greedy", greedy_texts), ("beam", beam_texts)):
        atomic_write_text(run.path(f"test.{name}.txt"), "".join(text + "\n" for text in texts))
    run.log(f"test ({pair}, {chosen}): sacreBLEU greedy {greedy_bleu.score:.2f}, beam {config.decode.beam_size} "
            f"{beam_bleu.score:.2f}  [{greedy_bleu.signature}]; lower-cased greedy {greedy_lc.score:.2f}, "
            f"beam {beam_lc.score:.2f}  [{greedy_lc.signature}]")

    plot_curves({"train loss per token": history["train_loss"]}, run.path("loss.png"), xlabel="epoch",
                ylabel="cross-entropy", title=f"hw7 {pair} training loss")
    plot_curves({"validation BLEU (greedy)": history["val_bleu"]}, run.path("val_bleu.png"), xlabel="epoch",
                ylabel="sacreBLEU", title=f"hw7 {pair} validation BLEU")
    shown = zip(greedy[: config.decode.heatmaps], units["test"], strict=False)
    for n, (hypothesis, (src_units, _)) in enumerate(shown, start=1):
        if hypothesis.attention is not None:
            rows = tgt_vocab.indices_to_tokens(hypothesis.tokens)
            rows += ["</s>"] * (len(hypothesis.attention) - len(rows))
            plot_heatmap(hypothesis.attention, run.path(f"attention_{n}.png"), row_labels=rows, col_labels=src_units,
                         xlabel=f"source ({data.src})", ylabel=f"output ({data.tgt})",
                         title=f"attention, test sentence {n}")

    label = f"Multi30k {pair} test_2016"
    return {
        "src": data.src, "tgt": data.tgt, "device": str(device), "parameters": count_parameters(model),
        "train_pairs": len(train_examples), "src_vocab_size": len(src_vocab), "tgt_vocab_size": len(tgt_vocab),
        "epochs_run": len(history["train_loss"]), "best_epoch": best_epoch, "train_minutes": round(train_minutes, 2),
        "train_cpu_minutes": round(train_cpu_minutes, 2),
        "cpu_minutes": round((time.process_time() - cpu_start) / 60, 2),   # this process, training and evaluation
        "history": history, "averaged": averaged, "checkpoint": chosen, "best_val_bleu": round(best_bleu, 4),
        "test_bleu_greedy": round(greedy_bleu.score, 2), "test_bleu_beam": round(beam_bleu.score, 2),
        "test_bleu_greedy_lowercased": round(greedy_lc.score, 2), "test_bleu_beam_lowercased": round(beam_lc.score, 2),
        "beam_size": config.decode.beam_size, "bleu_signature": greedy_bleu.signature,
        "bleu_signature_lowercased": greedy_lc.signature,
        "length_ratio_greedy": round(mean_length_ratio([h.tokens for h in greedy], references), 4),
        "length_ratio_beam": round(mean_length_ratio([h.tokens for h in beam], references), 4),
        "examples": [{"source": source, "reference": reference, "greedy": g, "beam": b}
                     for (source, reference), g, b in zip(raw["test"][:5], greedy_texts, beam_texts, strict=False)],
        "summary": [
            summary_row(label, "sacreBLEU, greedy", round(greedy_bleu.score, 2)),
            summary_row(label, f"sacreBLEU, beam {config.decode.beam_size}", round(beam_bleu.score, 2)),
            summary_row(label, "lower-cased sacreBLEU (-lc), greedy", round(greedy_lc.score, 2)),
            summary_row(label, f"lower-cased sacreBLEU (-lc), beam {config.decode.beam_size}", round(beam_lc.score, 2)),
            summary_row(f"Multi30k {pair} val", "perplexity (the checkpoint tested)", best_val_perplexity),
        ],
    }


if __name__ == "__main__":
    run_cli("hw7_seq2seq", Config, main)
