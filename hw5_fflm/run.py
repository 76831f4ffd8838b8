"""Train Bengio's feed-forward language model in edugrad and compare it with Kneser–Ney.

    python -m hw5_fflm.run --config hw5_fflm/config.quick.yaml
    python -m hw5_fflm.run --epochs 2 --hidden_dim 200 --direct true

Writes into ``runs/hw5_fflm/<run id>/``: ``vocab.tsv``, ``model.npz`` (the best checkpoint by
development perplexity), ``curves.png`` (training and development perplexity per epoch),
``log.txt`` (with sampled text after every epoch) and ``metrics.json`` (perplexities of the
feed-forward model, the Kneser–Ney model and their interpolation on dev and test, times).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.data import read_ptb, read_sst_trees
from common.plots import plot_curves
from common.run import Run, run_cli, summary_row
from hw5_fflm.evaluate import interpolate, perplexity_of, token_log_probs, tune_weight
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.ngram import KneserNey
from hw5_fflm.sample import encode_prompt, generate
from hw5_fflm.train import History, make_optimizer, train
from hw5_fflm.windows import Windows, build_lm_vocabulary, make_windows

SPLITS = {"ptb": ("train", "valid", "test"), "sst": ("train", "dev", "test")}


@dataclass
class Config:
    """hw5's settings (config.yaml, config.quick.yaml); any key can be overridden with --key value."""

    seed: int = 0
    dataset: str = "ptb"                  # ptb (Penn Treebank LM text) or sst (SST sentences, lower-cased)
    max_train_sentences: int | None = None  # train on the first lines only (the vocabulary is still all of train's)
    max_eval_sentences: int | None = None   # score only the first lines of dev and test (tests of the code)
    min_freq: int = 1                     # rarer training words become <unk> (PTB has its 10k words already)
    context_size: int = 4                 # n − 1 previous words
    embedding_dim: int = 128
    hidden_dim: int = 300
    direct: bool = False                  # Bengio's direct connections from the word vectors to the output
    dropout: float = 0.3
    embedding_std: float = 1.0            # the word vectors start as N(0, embedding_std²)
    tie_embeddings: bool = False          # the output layer reuses the word vectors (U = P Cᵀ)
    optimizer: str = "adam"               # adam or sgd
    lr: float = 1.0e-3
    weight_decay: float = 0.0
    lr_decay: float = 0.5                 # the rate is multiplied by this when dev perplexity does not improve
    min_improvement: float = 0.0          # ... by at least this fraction (0.01: a fall of less than 1 % is a plateau)
    epochs: int = 10
    max_minutes: float | None = None      # start no new epoch after this many minutes of training (null: no limit)
    batch_size: int = 256
    eval_batch_size: int = 2048
    kn_order: int = 5                     # the Kneser–Ney baseline's n
    prompts: list[str] = field(default_factory=lambda: ["the company said", "in new york"])
    sample_words: int = 20
    temperature: float = 1.0
    top_k: int | None = 50

    def __post_init__(self) -> None:
        if self.dataset not in SPLITS:
            raise ValueError(f"dataset must be one of {sorted(SPLITS)} but got {self.dataset!r}")
        if min(self.context_size, self.embedding_dim, self.hidden_dim, self.epochs, self.batch_size,
               self.eval_batch_size, self.kn_order, self.min_freq) < 1:
            raise ValueError("context_size, embedding_dim, hidden_dim, epochs, batch_size, eval_batch_size, "
                             "kn_order and min_freq must all be >= 1")
        if not 0 <= self.dropout < 1 or self.lr <= 0 or self.temperature <= 0:
            raise ValueError(f"need 0 <= dropout < 1, lr > 0 and temperature > 0; got {self.dropout}, {self.lr}, "
                             f"{self.temperature}")
        if not 0 <= self.min_improvement < 1:
            raise ValueError(f"min_improvement must be in [0, 1) (a fraction of the best dev perplexity) but got "
                             f"{self.min_improvement}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1 or null (no limit) but got {self.top_k}")
        for name in ("max_train_sentences", "max_eval_sentences"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 or null (the whole split) but got {getattr(self, name)}")


def read_corpus(dataset: str) -> dict[str, list[list[str]]]:
    """The three splits as token lists: PTB as given, SST sentences lower-cased."""
    if dataset == "ptb":
        return {split: read_ptb(split) for split in SPLITS["ptb"]}
    return {split: [[token.lower() for token in example.tokens] for example in read_sst_trees(split)]
            for split in SPLITS["sst"]}


def main(config: Config, run: Run) -> dict[str, Any]:
    corpus = read_corpus(config.dataset)
    train_split, dev_split, test_split = SPLITS[config.dataset]
    vocab = build_lm_vocabulary(corpus[train_split], config.min_freq)  # all of train: quick runs share it
    corpus[train_split] = corpus[train_split][: config.max_train_sentences]
    for split in (dev_split, test_split):
        corpus[split] = corpus[split][: config.max_eval_sentences]
    vocab.save(run.path("vocab.tsv"))
    bos, eos = vocab.token_to_index("<s>"), vocab.token_to_index("</s>")
    ids = {split: [vocab.tokens_to_indices(sentence) for sentence in sentences] for split, sentences in corpus.items()}
    dataset = config.dataset.upper() + ("" if config.max_train_sentences is None
                                        else f" (first {len(corpus[train_split]):,} train lines)")
    if config.max_eval_sentences is not None:
        dataset += f" (first {config.max_eval_sentences:,} {dev_split} and {test_split} lines)"

    def windows(split: str, context_size: int) -> Windows:
        return make_windows(ids[split], context_size, bos, eos)

    train_w, dev_w, test_w = (windows(s, config.context_size) for s in (train_split, dev_split, test_split))
    run.log(f"{dataset}: vocabulary {len(vocab):,} (with <unk>, </s>, <s>); windows train {len(train_w):,}, "
            f"{dev_split} {len(dev_w):,}, {test_split} {len(test_w):,} (context {config.context_size} words)")

    start = time.perf_counter()
    kn = KneserNey(config.kn_order, len(vocab), bos).fit(windows(train_split, config.kn_order - 1).stacked())
    kn_dev, kn_test = (kn.log_probabilities(windows(s, config.kn_order - 1).stacked()) for s in (dev_split, test_split))
    kn_seconds = time.perf_counter() - start
    run.log(f"Kneser-Ney {config.kn_order}-gram: {dev_split} perplexity {perplexity_of(kn_dev):.1f}, "
            f"{test_split} {perplexity_of(kn_test):.1f} ({kn_seconds:.1f} s to count and score)")

    rng = np.random.default_rng(config.seed)
    model = FeedForwardLM(len(vocab), config.context_size, config.embedding_dim, config.hidden_dim,
                          direct=config.direct, dropout=config.dropout, embedding_std=config.embedding_std,
                          tie_embeddings=config.tie_embeddings, rng=rng)
    optimizer = make_optimizer(config.optimizer, model, config.lr, config.weight_decay)
    num_parameters = sum(p.size for p in model.parameters())
    run.log(f"feed-forward model: {num_parameters:,} parameters; {config.optimizer} lr {config.lr:g}, "
            f"batch {config.batch_size}, {config.epochs} epochs")
    sample_rng = np.random.default_rng(config.seed + 1)
    for prompt in config.prompts:
        unknown = encode_prompt(vocab, prompt.split())[1]
        if unknown:
            run.log(f"prompt {prompt!r}: {unknown} not in the vocabulary, read as <unk>")

    def report(epoch: int, history: History) -> None:
        run.log(f"epoch {epoch}: train perplexity {history.train_perplexity[-1]:.1f}, {dev_split} "
                f"{history.dev_perplexity[-1]:.1f} (lr {history.lr[-1]:.2g}, {history.seconds[-1]:.0f} s)")
        for prompt in config.prompts:
            words = generate(model, vocab, prompt.split(), config.sample_words, config.temperature,
                             config.top_k, sample_rng)
            run.log(f"  {prompt} | {' '.join(words)}")

    history = train(model, optimizer, train_w, dev_w, config.epochs, config.batch_size, run.path("model.npz"),
                    config.lr_decay, config.seed, config.eval_batch_size, config.max_minutes,
                    progress=lambda it, desc, total: run.progress(it, desc, total=total), after_epoch=report,
                    min_improvement=config.min_improvement)
    if history.stopped_early:
        run.log(f"stopped after {len(history.dev_perplexity)} of {config.epochs} epochs: the time budget of "
                f"{config.max_minutes:g} minutes ran out")
    nn_dev, nn_test = (token_log_probs(model, w, config.eval_batch_size) for w in (dev_w, test_w))
    weight = tune_weight(nn_dev, kn_dev)
    results = {
        "feed-forward": (perplexity_of(nn_dev), perplexity_of(nn_test)),
        f"KN{config.kn_order}": (perplexity_of(kn_dev), perplexity_of(kn_test)),
        "interpolated": (perplexity_of(interpolate(nn_dev, kn_dev, weight)),
                         perplexity_of(interpolate(nn_test, kn_test, weight))),
    }
    for name, (dev, test) in results.items():
        run.log(f"{name}: {dev_split} perplexity {dev:.1f}, {test_split} {test:.1f}")
    kn_ppl, mixed = results[f"KN{config.kn_order}"][1], results["interpolated"][1]
    run.log(f"interpolation weight of the feed-forward model (tuned on {dev_split}): {weight:.2f}; "
            f"{test_split} perplexity {100 * (1 - mixed / kn_ppl):.1f} % below KN{config.kn_order}")

    epochs = list(range(1, len(history.dev_perplexity) + 1))
    plot_curves({"train (dropout on)": (epochs, history.train_perplexity),
                 dev_split: (epochs, history.dev_perplexity),
                 f"KN{config.kn_order} {dev_split}": (epochs, [results[f'KN{config.kn_order}'][0]] * len(epochs))},
                run.path("curves.png"), xlabel="epoch", ylabel="perplexity", logy=True,
                title=f"feed-forward LM (edugrad) on {dataset}")
    test_label = f"{dataset} {test_split}"
    return {
        "vocab_size": len(vocab),
        "parameters": num_parameters,
        "perplexity": {name: {dev_split: dev, test_split: test} for name, (dev, test) in results.items()},
        "interpolation_weight": weight,
        "history": {"train_perplexity": history.train_perplexity, "dev_perplexity": history.dev_perplexity,
                    "lr": history.lr, "epoch_seconds": [round(s, 2) for s in history.seconds]},
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.dev_perplexity),
        "kn_seconds": round(kn_seconds, 2),
        "train_seconds": round(sum(history.seconds), 2),
        "summary": [
            summary_row(test_label, "perplexity, feed-forward LM (edugrad)", round(results["feed-forward"][1], 2)),
            summary_row(test_label, f"perplexity, Kneser-Ney {config.kn_order}-gram", round(kn_ppl, 2)),
            summary_row(test_label, f"perplexity, interpolated (weight {weight:.2f})", round(mixed, 2)),
        ],
    }


if __name__ == "__main__":
    run_cli("hw5_fflm", Config, main)
