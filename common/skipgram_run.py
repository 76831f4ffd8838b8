"""The word2vec run shared by hw2 (numpy SGNS) and hw3 (SGNS in edugrad): given code.

Any model with ``target_embeddings`` [V, d] and ``step(targets, contexts, negatives, lr) -> loss``
(the summed loss of the batch, before the update) trains here on :class:`SkipGramData`'s
minibatches with word2vec's linearly decaying learning rate; its vectors are then saved, evaluated
on WordSim-353, probed for nearest neighbours and plotted, the same way for both homeworks.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from common.plots import plot_curves, plot_scatter_labels
from common.run import Run, summary_row
from common.skipgram import SkipGramData
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors, pca_2d, wordsim_spearman


@dataclass
class SkipGramConfig:
    """The settings every word2vec run shares (a homework's Config extends it)."""

    seed: int = 0
    max_sentences: int | None = None      # keep only the first lines of the corpus (tiny runs and tests)
    min_freq: int = 5                     # word2vec's min_count: rarer words are dropped
    dim: int = 100
    window: int = 5                       # largest window; each position draws its size from 1..window
    negatives: int = 5                    # k
    subsample: float = 1e-3               # Mikolov's t (hw2's README: why not 1e-5 on 1M tokens)
    epochs: int = 5
    batch_size: int = 4096                # pairs per update
    lr: float = 0.025                     # initial learning rate (per pair: the loss is summed)
    min_lr_fraction: float = 1e-4         # the rate decays linearly to lr * min_lr_fraction
    probes: list[str] = field(default_factory=lambda: ["money", "president", "stock", "japan", "good", "computer"])
    neighbours: int = 8
    pca_words: list[str] = field(default_factory=lambda: [
        "monday", "friday", "january", "march", "june", "japan", "germany", "france", "britain",
        "dollar", "yen", "buy", "sell", "bought", "sold", "president", "chairman", "director",
    ])

    def __post_init__(self) -> None:
        if self.negatives < 1:
            raise ValueError(f"negatives must be >= 1 (one positive needs at least one negative), got {self.negatives}")
        if min(self.window, self.dim, self.epochs, self.batch_size, self.min_freq, self.neighbours) < 1:
            raise ValueError("window, dim, epochs, batch_size, min_freq and neighbours must all be >= 1")
        if self.lr <= 0 or self.subsample < 0 or not 0 < self.min_lr_fraction <= 1:
            raise ValueError(f"need lr > 0, subsample >= 0 and 0 < min_lr_fraction <= 1; got lr={self.lr}, "
                             f"subsample={self.subsample}, min_lr_fraction={self.min_lr_fraction}")
        if self.max_sentences is not None and self.max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1 or null (the whole corpus), got {self.max_sentences}")


class SkipGramModel(Protocol):
    target_embeddings: np.ndarray  # E [V, d]: the word vectors

    def step(self, targets: np.ndarray, contexts: np.ndarray, negatives: np.ndarray, lr: float) -> float: ...


@dataclass
class TrainingHistory:
    """What training measured: the mean loss per pair at regular points, and the speed."""

    progress: list[float] = field(default_factory=list)  # fraction of training done at each point
    loss: list[float] = field(default_factory=list)      # mean loss per pair since the previous point
    seconds: float = 0.0                                 # wall time of the epochs (pairs, batches, updates)
    words: int = 0                                       # corpus tokens processed (before subsampling)
    pairs: int = 0                                       # (target, context) pairs trained on

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")


def linear_decay(initial_lr: float, progress: float, min_fraction: float = 1e-4) -> float:
    """word2vec's schedule: the rate falls linearly from `initial_lr` (progress 0) towards 0
    (progress 1), but never below ``initial_lr * min_fraction``. progress: in [0, 1]."""
    assert 0.0 <= progress <= 1.0 + 1e-9, f"expected progress in [0, 1], got {progress}"
    return initial_lr * max(1.0 - progress, min_fraction)


def train_skipgram(
    model: SkipGramModel,
    data: SkipGramData,
    epochs: int,
    batch_size: int,
    lr: float,
    min_lr_fraction: float = 1e-4,
    points_per_epoch: int = 20,
    progress: Callable[[Iterable, str, int], Iterable] | None = None,
) -> TrainingHistory:
    """Train `model` on `data` for `epochs` epochs of minibatches with plain SGD; returns the history.

    progress: optional wrapper ``progress(iterable, desc, total)`` such as ``Run.progress``.
    """
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1 and lr > 0; got {epochs}, {batch_size}, {lr}")
    history = TrainingHistory()
    start = time.perf_counter()
    for epoch in range(epochs):
        batches = data.epoch_batches(epoch, batch_size)
        num_batches = len(batches)
        every = max(1, num_batches // points_per_epoch)
        total_loss, total_pairs = 0.0, 0
        iterator = progress(batches, f"epoch {epoch + 1}/{epochs}", num_batches) if progress else batches
        for i, (targets, contexts, negatives) in enumerate(iterator):
            done = (epoch + i / num_batches) / epochs                                   # in [0, 1)
            total_loss += model.step(targets, contexts, negatives, linear_decay(lr, done, min_lr_fraction))
            total_pairs += len(targets)
            if (i + 1) % every == 0 or i + 1 == num_batches:
                history.progress.append((epoch + (i + 1) / num_batches) / epochs)
                history.loss.append(total_loss / max(total_pairs, 1))
                history.pairs += total_pairs
                total_loss, total_pairs = 0.0, 0
        history.words += data.num_tokens
    history.seconds = time.perf_counter() - start
    return history


def run_skipgram(
    config: SkipGramConfig,
    run: Run,
    sentences: list[list[str]],
    dataset: str,
    make_model: Callable[[int, int, np.random.Generator], SkipGramModel],
    label: str = "",
) -> dict[str, Any]:
    """Vocabulary -> pairs -> train ``make_model(vocab_size, dim, rng)`` -> save and evaluate the
    vectors; writes ``vocab.tsv``, ``vectors.txt``, ``loss.png``, ``pca.png`` into the run folder and
    returns the metrics (with the ``make run`` summary rows; `label` tags the metric names)."""
    vocab = Vocabulary.from_tokens(sentences, specials=(), min_freq=config.min_freq)
    if len(vocab) == 0:
        raise ValueError(f"no word occurs {config.min_freq} times in {dataset}; lower min_freq or use more text")
    vocab.save(run.path("vocab.tsv"))
    data = SkipGramData(sentences, vocab, config.window, config.negatives, config.subsample, config.seed)
    kept = float(np.sum(data.keep_probabilities[data.ids])) / data.num_tokens
    run.log(f"{dataset}: {sum(map(len, sentences)):,} tokens, {data.num_tokens:,} in the vocabulary of "
            f"{len(vocab):,} words (min_freq {config.min_freq}); subsampling t={config.subsample:g} keeps "
            f"{kept:.1%} of the tokens on average")
    missing = [word for word in config.probes + config.pca_words if word not in vocab]
    if missing:
        raise ValueError(f"probe words {missing} are not in the vocabulary; choose words that occur at least "
                         f"{config.min_freq} times in {dataset} (--probes / --pca_words) or lower min_freq")

    model = make_model(len(vocab), config.dim, np.random.default_rng(config.seed))
    history = train_skipgram(model, data, config.epochs, config.batch_size, config.lr, config.min_lr_fraction,
                             progress=lambda it, desc, total: run.progress(it, desc, total=total))
    threads = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or "default"
    run.log(f"trained {history.pairs:,} pairs in {history.seconds:.1f} s: {history.words_per_second:,.0f} words/s "
            f"(BLAS threads: {threads}); final loss per pair {history.loss[-1]:.3f}")

    vectors = WordVectors(vocab.tokens, model.target_embeddings)
    vectors.save(run.path("vectors.txt"))
    similarity = wordsim_spearman(vectors)
    run.log(f"WordSim-353: Spearman {similarity.spearman:.3f} on {similarity.pairs_used} pairs "
            f"({similarity.oov_pairs} pairs skipped: a word outside the vocabulary)")
    neighbours = {word: vectors.nearest(word, config.neighbours) for word in config.probes}
    for word, near in neighbours.items():
        run.log(f"  {word}: " + ", ".join(f"{w} ({cos:.2f})" for w, cos in near))

    epochs_axis = [p * config.epochs for p in history.progress]
    plot_curves({"train": (epochs_axis, history.loss)}, run.path("loss.png"), xlabel="epoch",
                ylabel="mean SGNS loss per pair", title=f"SGNS{label} on {dataset}")
    plot_scatter_labels(pca_2d(vectors.vectors_of(config.pca_words)), config.pca_words, run.path("pca.png"),
                        title="word vectors, first two principal components")
    return {
        "vocab_size": len(vocab),
        "tokens": data.num_tokens,
        "pairs": history.pairs,
        "train_seconds": round(history.seconds, 2),
        "words_per_second": round(history.words_per_second),
        "blas_threads": threads,
        "final_loss": history.loss[-1],
        "loss_curve": {"epochs": epochs_axis, "loss": history.loss},
        "wordsim353": {"spearman": similarity.spearman, "pairs_used": similarity.pairs_used,
                       "oov_pairs": similarity.oov_pairs},
        "neighbours": {word: [[w, round(c, 4)] for w, c in near] for word, near in neighbours.items()},
        "summary": [
            summary_row(dataset, f"WordSim-353 Spearman{label}", round(similarity.spearman, 4)),
            summary_row(dataset, "WordSim-353 OOV pairs", similarity.oov_pairs),
            summary_row(dataset, f"final loss per pair{label}", round(history.loss[-1], 4)),
            summary_row(dataset, f"words/s{label}", round(history.words_per_second)),
        ],
    }
