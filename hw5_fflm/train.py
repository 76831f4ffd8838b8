"""Training the feed-forward language model (given code): minibatches of windows, SGD or Adam, the
learning rate multiplied by `lr_decay` whenever the development perplexity stops improving (by at
least the fraction `min_improvement`), the best model (by development perplexity) kept as a
checkpoint and restored at the end."""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.data import batch_indices
from common.fileio import atomic_path
from hw3_edugrad.edugrad import ops, optim
from hw5_fflm.evaluate import perplexity_of, token_log_probs
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.windows import Windows


@dataclass
class History:
    """Per epoch: the training perplexity (exp of the mean loss, dropout on), the development
    perplexity, the learning rate used and the seconds the epoch's updates took."""

    train_perplexity: list[float] = field(default_factory=list)
    dev_perplexity: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0  # 1-based; 0 before the first epoch
    stopped_early: bool = False  # the time budget ran out before the last epoch


def make_optimizer(name: str, model: FeedForwardLM, lr: float, weight_decay: float = 0.0) -> optim.Optimizer:
    """edugrad's Adam or plain SGD over every parameter of `model`."""
    if name == "adam":
        return optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adam' or 'sgd' but got {name!r}")


def plateaued(dev: float, best: float, min_improvement: float = 0.0) -> bool:
    """Whether the learning rate should decay after an epoch with development perplexity `dev`:
    unless `dev` is below the best so far by at least the fraction `min_improvement`.
    With 0.01, going from 158.1 to 158.0 is a plateau; from 158.1 to 155.0 is not."""
    return not dev < best * (1.0 - min_improvement)


def save_checkpoint(model: FeedForwardLM, path: Path) -> None:
    """The parameters as a .npz file, written atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **dict(model.state()))


def load_checkpoint(model: FeedForwardLM, path: Path) -> None:
    with np.load(path) as arrays:
        model.load_state({name: arrays[name] for name in arrays.files})


def train(model: FeedForwardLM, optimizer: optim.Optimizer, train_windows: Windows, dev_windows: Windows,
          epochs: int, batch_size: int, checkpoint: Path, lr_decay: float = 0.5, seed: int = 0,
          eval_batch_size: int = 2048, max_minutes: float | None = None, progress: Callable | None = None,
          after_epoch: Callable[[int, History], None] | None = None, min_improvement: float = 0.0) -> History:
    """Train for `epochs` epochs; after each, score the development windows, keep the best model in
    `checkpoint` and multiply the learning rate by `lr_decay` if the development perplexity did not
    improve by at least the fraction `min_improvement` (see `plateaued`). With `max_minutes`, no new
    epoch starts once that much time has gone (the epochs that ran are in the history). The best
    model is loaded back at the end. `progress(iterable, desc, total)` wraps the batches (a progress
    bar); `after_epoch(epoch, history)` runs after each epoch (logging, samples)."""
    if epochs < 1 or batch_size < 1 or not 0 < lr_decay <= 1 or not 0 <= min_improvement < 1:
        raise ValueError(f"need epochs >= 1, batch_size >= 1, 0 < lr_decay <= 1 and 0 <= min_improvement < 1; got "
                         f"{epochs}, {batch_size}, {lr_decay}, {min_improvement}")
    history, best, started = History(), math.inf, time.perf_counter()
    num_batches = math.ceil(len(train_windows) / batch_size)
    for epoch in range(1, epochs + 1):
        model.train()
        start, total_loss = time.perf_counter(), 0.0
        batches = batch_indices(len(train_windows), batch_size, shuffle=True, seed=seed + epoch)
        for rows in progress(batches, f"epoch {epoch}/{epochs}", num_batches) if progress else batches:
            optimizer.zero_grad()
            loss = ops.cross_entropy(model(train_windows.contexts[rows]), labels=train_windows.targets[rows])
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(rows)
        history.seconds.append(time.perf_counter() - start)
        history.lr.append(optimizer.lr)
        history.train_perplexity.append(math.exp(total_loss / len(train_windows)))
        dev = perplexity_of(token_log_probs(model, dev_windows, eval_batch_size))
        history.dev_perplexity.append(dev)
        if plateaued(dev, best, min_improvement):
            optimizer.lr *= lr_decay
        if dev < best:
            best, history.best_epoch = dev, epoch
            save_checkpoint(model, checkpoint)
        if after_epoch:
            after_epoch(epoch, history)
        if max_minutes is not None and time.perf_counter() - started > 60 * max_minutes and epoch < epochs:
            history.stopped_early = True
            break
    load_checkpoint(model, checkpoint)
    return history
