"""The SGNS training loop (given code): minibatches from common.skipgram, SGD with a linearly
decaying learning rate, a loss curve and the training speed."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from common.skipgram import SkipGramData
from hw2_word2vec.sgns import SGNSModel, linear_decay_lr


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


def train_sgns(
    model: SGNSModel,
    data: SkipGramData,
    epochs: int,
    batch_size: int,
    lr: float,
    min_lr_fraction: float = 1e-4,
    points_per_epoch: int = 20,
    progress: Callable[[Iterable, str, int], Iterable] | None = None,
) -> TrainingHistory:
    """Train `model` on `data` for `epochs` epochs; returns the history.

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
            done = min(1.0, (epoch + i / num_batches) / epochs)
            total_loss += model.step(targets, contexts, negatives, linear_decay_lr(lr, done, min_lr_fraction))
            total_pairs += len(targets)
            if (i + 1) % every == 0 or i + 1 == num_batches:
                history.progress.append((epoch + (i + 1) / num_batches) / epochs)
                history.loss.append(total_loss / max(total_pairs, 1))
                history.pairs += total_pairs
                total_loss, total_pairs = 0.0, 0
        history.words += data.num_tokens
    history.seconds = time.perf_counter() - start
    return history
