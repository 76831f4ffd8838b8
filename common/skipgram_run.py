"""The word2vec run shared by hw2 (numpy SGNS) and hw3 (SGNS in edugrad): given code.

Both homeworks train the same skip-gram model on the same data with the same schedule and differ only
in how ``step`` computes the update, so their fit (the epoch loop, word2vec's linearly decaying
learning rate, checkpoints and resume), their evaluation and their config live here once, not in a
``train.py`` per homework:

    run_skipgram(config, run, sentences, dataset, make_model)   # a homework's main: train, save, evaluate

Any model with ``target_embeddings`` and ``context_embeddings`` [V, d] and ``step(targets, contexts,
negatives, lr) -> loss`` (the summed loss of the batch, before the update) trains on
:class:`SkipGramData`'s minibatches; its vectors are then saved, evaluated on WordSim-353, probed for
nearest neighbours and plotted. ``last.ckpt`` in the run folder (common/checkpoint.py) holds the two
tables, the history, the sums since the last recorded point and the epoch's position in its batches,
so ``python -m hw2_word2vec.run --resume runs/hw2_word2vec/<id>`` continues exactly, the learning
rate included (it follows the position). There is no ``best.ckpt``: nothing chooses among epochs,
and the final vectors are saved as ``vectors.txt``.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from common.checkpoint import TrainingLoop
from common.plots import plot_curves, plot_scatter_labels
from common.run import Run, summary_row
from common.skipgram import EpochBatches, SkipGramData
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors, pca_2d, wordsim_spearman


@dataclass
class SkipGramConfig:
    """The settings every word2vec run shares (a homework's Config extends it)."""

    seed: int = 0                         # seeds the initial vectors, subsampling, windows, shuffles and negatives
    max_sentences: int | None = None      # keep only the first lines of the corpus (tiny runs and tests)
    min_freq: int = 5                     # word2vec's min_count: rarer words are dropped
    dim: int = 100                        # d, the size of each word vector
    window: int = 5                       # largest window; each position draws its size from 1..window
    negatives: int = 5                    # k, negative words drawn per (target, context) pair
    subsample: float = 1e-3               # Mikolov's t: occurrences of words more frequent than t are thinned (0: off)
    epochs: int = 5                       # passes over the corpus (each with new subsampling, windows, order)
    batch_size: int = 4096                # pairs per update
    lr: float = 0.025                     # initial learning rate (per pair: the loss is summed)
    min_lr_fraction: float = 1e-4         # the rate decays linearly to lr * min_lr_fraction
    probes: list[str] = field(            # words whose nearest neighbours are logged
        default_factory=lambda: ["money", "president", "stock", "japan", "good", "computer"])
    neighbours: int = 8                   # nearest neighbours shown per probe word
    pca_words: list[str] = field(         # words drawn in pca.png
        default_factory=lambda: ["monday", "friday", "january", "march", "june", "japan", "germany", "france",
                                 "britain", "dollar", "yen", "buy", "sell", "bought", "sold", "president",
                                 "chairman", "director"])

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
    target_embeddings: np.ndarray   # E [V, d]: the word vectors
    context_embeddings: np.ndarray  # C [V, d]

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


class SkipGramTraining:
    """One run's training: the model, the history, the loss and pairs summed since the last recorded
    point, and the epoch's batches in progress, saved and restored as a whole by the
    :class:`~common.checkpoint.TrainingLoop`. Epochs count from 1; epoch e reads
    ``data.epoch_batches(e - 1, batch_size)``."""

    def __init__(self, model: SkipGramModel, data: SkipGramData, epochs: int, batch_size: int, lr: float,
                 min_lr_fraction: float, points_per_epoch: int) -> None:
        self.model, self.data, self.epochs, self.batch_size = model, data, epochs, batch_size
        self.lr, self.min_lr_fraction, self.points_per_epoch = lr, min_lr_fraction, points_per_epoch
        self.history = TrainingHistory()
        self.loss_sum, self.pairs_sum = 0.0, 0
        self.batches: EpochBatches | None = None
        self.saved_batches: dict[str, Any] | None = None   # a resumed epoch's position in its batches
        self.seconds_before, self.started = 0.0, time.perf_counter()

    def state(self) -> dict[str, Any]:
        return {"target_embeddings": self.model.target_embeddings, "context_embeddings": self.model.context_embeddings,
                "history": {**asdict(self.history), "seconds": self.seconds()}, "loss_sum": self.loss_sum,
                "pairs_sum": self.pairs_sum, "batches": self.batches.state_dict() if self.batches else None}

    def restore(self, state: dict[str, Any]) -> None:
        np.copyto(self.model.target_embeddings, state["target_embeddings"])
        np.copyto(self.model.context_embeddings, state["context_embeddings"])
        self.history = TrainingHistory(**state["history"])
        self.loss_sum, self.pairs_sum, self.saved_batches = state["loss_sum"], state["pairs_sum"], state["batches"]
        self.seconds_before = self.history.seconds

    def seconds(self) -> float:
        """Seconds of training so far, across resumes."""
        return self.seconds_before + time.perf_counter() - self.started

    def epoch_batches(self, epoch: int, done: int) -> EpochBatches:
        """Epoch `epoch`'s batches, from the first of them not `done` yet (a resumed epoch's saved position)."""
        self.batches = self.data.epoch_batches(epoch - 1, self.batch_size)
        if done:
            if self.saved_batches is None or self.saved_batches["position"] != done:
                raise ValueError(f"expected last.ckpt to hold epoch {epoch}'s batches at position {done} but got "
                                 f"{self.saved_batches}: it was not written by this training loop; start a new run")
            self.batches.load_state_dict(self.saved_batches)
        self.saved_batches = None
        return self.batches

    def train_batch(self, batch: tuple[np.ndarray, np.ndarray, np.ndarray], epoch: int, index: int) -> None:
        """One SGD step on batch `index` of epoch `epoch`, at the rate of the progress made so far;
        a point of the history every 1/points_per_epoch of the epoch and at its end."""
        targets, contexts, negatives = batch
        num_batches = len(self.batches)
        done = (epoch - 1 + index / num_batches) / self.epochs                                   # in [0, 1)
        self.loss_sum += self.model.step(targets, contexts, negatives,
                                         linear_decay(self.lr, done, self.min_lr_fraction))
        self.pairs_sum += len(targets)
        if (index + 1) % max(1, num_batches // self.points_per_epoch) == 0 or index + 1 == num_batches:
            self.history.progress.append((epoch - 1 + (index + 1) / num_batches) / self.epochs)
            self.history.loss.append(self.loss_sum / max(self.pairs_sum, 1))
            self.history.pairs += self.pairs_sum
            self.loss_sum, self.pairs_sum = 0.0, 0


def train_skipgram(
    model: SkipGramModel,
    data: SkipGramData,
    epochs: int,
    batch_size: int,
    lr: float,
    min_lr_fraction: float = 1e-4,
    points_per_epoch: int = 20,
    run: Run | None = None,
) -> TrainingHistory:
    """Train `model` on `data` for `epochs` epochs of minibatches with plain SGD (the homeworks' fit);
    returns the history.

    run: the run whose ``last.ckpt`` it continues from and writes (at each epoch's end and every
    ``--checkpoint-minutes``), whose log and progress bars it uses; None: nothing is read or written
    (benchmarks, tests).
    """
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1 and lr > 0; got {epochs}, {batch_size}, {lr}")
    if run is None:
        with tempfile.TemporaryDirectory(prefix="skipgram-") as scratch:
            quiet = Run("skipgram", Path(scratch), is_main=False, checkpoint_minutes=None)
            return train_skipgram(model, data, epochs, batch_size, lr, min_lr_fraction, points_per_epoch, quiet)
    training = SkipGramTraining(model, data, epochs, batch_size, lr, min_lr_fraction, points_per_epoch)
    loop = TrainingLoop(run.checkpoints, training.state, training.restore, run.log)
    for epoch in loop.epochs(epochs):
        batches = training.epoch_batches(epoch, loop.batch)
        for batch in run.progress(loop.batches(batches), f"epoch {epoch}/{epochs}", total=len(batches),
                                  initial=loop.batch):
            training.train_batch(batch, epoch, loop.batch)
        training.history.words += data.num_tokens
    training.history.seconds = training.seconds()
    return training.history


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
    data = SkipGramData(sentences, vocab, config.window, config.negatives, config.subsample, config.seed)
    missing = [word for word in config.probes + config.pca_words if word not in vocab]
    if missing:
        raise ValueError(f"probe words {missing} are not in the vocabulary; choose words that occur at least "
                         f"{config.min_freq} times in {dataset} (--probes / --pca_words) or lower min_freq")
    vocab.save(run.path("vocab.tsv"))
    kept = float(np.sum(data.keep_probabilities[data.ids])) / data.num_tokens
    run.log(f"{dataset}: {sum(map(len, sentences)):,} tokens, {data.num_tokens:,} in the vocabulary of "
            f"{len(vocab):,} words (min_freq {config.min_freq}); subsampling t={config.subsample:g} keeps "
            f"{kept:.1%} of the tokens on average")

    model = make_model(len(vocab), config.dim, np.random.default_rng(config.seed))
    history = train_skipgram(model, data, config.epochs, config.batch_size, config.lr, config.min_lr_fraction,
                             run=run)
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
            summary_row(dataset, f"WordSim-353 Spearman{label}", round(similarity.spearman, 4),
                        key="wordsim353_spearman"),
            summary_row(dataset, "WordSim-353 OOV pairs", similarity.oov_pairs, key="wordsim353_oov_pairs"),
            summary_row(dataset, f"final loss per pair{label}", round(history.loss[-1], 4), key="final_loss"),
            summary_row(dataset, f"words/s{label}", round(history.words_per_second)),
        ],
    }
