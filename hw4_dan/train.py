"""Training and evaluating the DAN (given code): minibatches, optimizers, checkpoints, predictions.

Every random choice of an epoch (the order of the examples, word dropout, dropout) comes from the
seed and the epoch number, so a run resumed from its checkpoint continues exactly as if it had
never stopped, and the same seed gives the same numbers.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.data import PaddedBatch, batch_indices, length_bucketed_batch_indices, pad_batch
from common.fileio import atomic_path
from hw3_edugrad.edugrad import Tensor, no_grad, ops, optim
from hw3_edugrad.edugrad.sparse import RowOptimizer
from hw4_dan.dan import DAN, classification_loss
from hw4_dan.data import EncodedSplit

OPTIMIZERS = {"adagrad": optim.Adagrad, "adam": optim.Adam}
_STATE_NAMES = ("sums", "first_moments", "second_moments", "steps")  # optimizer state saved in checkpoints


def padded_batches(
    split: EncodedSplit, batch_size: int, shuffle: bool, seed: int = 0
) -> Iterator[tuple[np.ndarray, PaddedBatch]]:
    """(example ids [batch], their padded token indices) for every batch of `split` (pad index 0).

    With `shuffle`, batches of similar lengths in a random order (common.data's bucketing: phrases
    range from 1 to 50 tokens, and a batch is padded to its longest); else the examples in order.
    """
    if shuffle:
        batches = length_bucketed_batch_indices([len(x) for x in split.indices], batch_size, seed=seed)
    else:
        batches = batch_indices(len(split), batch_size, shuffle=False)
    for ids in batches:
        yield ids, pad_batch([split.indices[i] for i in ids], pad_index=0)


@dataclass
class Optimizers:
    """The dense optimizer of the layers and the row-wise one of the embedding table (None if frozen)."""

    dense: optim.Optimizer
    rows: RowOptimizer | None

    @classmethod
    def create(cls, model: DAN, name: str, lr: float) -> Optimizers:
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} but got {name!r}")
        table = model.embedding.weight
        dense = OPTIMIZERS[name]([p for p in model.parameters() if p is not table], lr=lr)
        rows = RowOptimizer(model.embedding, OPTIMIZERS[name], lr=lr) if table.requires_grad else None
        return cls(dense, rows)

    def zero_grad(self) -> None:
        self.dense.zero_grad()
        if self.rows is not None:
            self.rows.zero_grad()

    def step(self) -> None:
        self.dense.step()
        if self.rows is not None:
            self.rows.step()

    def set_lr(self, lr: float) -> None:
        self.dense.lr = lr
        if self.rows is not None:
            self.rows.optimizer.lr = lr

    def state(self) -> dict[str, np.ndarray]:
        """Optimizer state as named arrays (for checkpoints)."""
        found = {}
        for prefix, optimizer in (("dense", self.dense), ("rows", self.rows and self.rows.optimizer)):
            for name in _STATE_NAMES:
                for i, value in enumerate(getattr(optimizer, name, [])):
                    found[f"{prefix}.{name}.{i}"] = np.asarray(value)
        return found

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for prefix, optimizer in (("dense", self.dense), ("rows", self.rows and self.rows.optimizer)):
            for name in _STATE_NAMES:
                values = getattr(optimizer, name, None)
                for i in range(len(values or [])):
                    saved = arrays[f"{prefix}.{name}.{i}"]
                    values[i] = int(saved) if name == "steps" else saved.copy()


@dataclass
class History:
    """Per-epoch training loss and dev accuracy; the best epoch so far (1-based, 0 before any)."""

    train_loss: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0

    @property
    def best_dev_accuracy(self) -> float:
        return self.dev_accuracy[self.best_epoch - 1] if self.best_epoch else float("-inf")


class WeightAverage:
    """An exponential moving average of the parameters (the embedding table included), evaluated in
    place of the last weights: avg = decay * avg + (1 - decay) * weights, applied every `every` steps
    (with decay ** every, so a step costs little) and starting from the initial weights."""

    def __init__(self, model: DAN, decay: float, every: int = 10):
        self.parameters = _all_parameters(model)
        self.values = {name: p.value.copy() for name, p in self.parameters.items()}
        self.decay, self.every, self.steps = decay, every, 0

    def update(self) -> None:
        """Count a training step; every `every` steps move the average towards the current weights."""
        self.steps += 1
        if self.steps % self.every == 0:
            keep = self.decay**self.every
            for name, parameter in self.parameters.items():
                average = self.values[name]
                average *= keep
                average += (1 - keep) * parameter.value

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Inside the block the model holds the averaged weights; the training weights come back after."""
        for name, parameter in self.parameters.items():
            parameter.value, self.values[name] = self.values[name], parameter.value
        try:
            yield
        finally:
            for name, parameter in self.parameters.items():
                parameter.value, self.values[name] = self.values[name], parameter.value


def _all_parameters(model: DAN) -> dict[str, Tensor]:
    """Every parameter by name, the embedding table included even when frozen."""
    return {**dict(model.named_parameters()), "embedding.weight": model.embedding.weight}


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator of one epoch's word dropout and dropout (a function of seed and epoch only)."""
    return np.random.default_rng([seed, epoch])


def train_epoch(
    model: DAN, optimizers: Optimizers, split: EncodedSplit, batch_size: int, l2: float, seed: int, epoch: int,
    progress=lambda batches, total: batches, average: WeightAverage | None = None,
) -> float:
    """One pass over `split` in a shuffled order; returns the mean training loss (without the L2 term)."""
    model.train()
    model.set_rng(epoch_rng(seed, epoch))
    total, count = 0.0, 0
    num_batches = -(-len(split) // batch_size)
    for ids, batch in progress(padded_batches(split, batch_size, shuffle=True, seed=seed * 1000 + epoch), num_batches):
        optimizers.zero_grad()
        logits = model(batch.indices, batch.mask)  # (B, C)
        labels = split.labels[ids]  # (B,)
        loss = classification_loss(logits, labels, model.weight_matrices(), l2)
        loss.backward()
        optimizers.step()
        if average is not None:
            average.update()
        with no_grad():  # the log's loss: without the L2 term
            total += ops.cross_entropy(logits, labels=labels).item() * len(ids)
        count += len(ids)
    return total / count


def predict_probabilities(model: DAN, split: EncodedSplit, batch_size: int = 1024) -> np.ndarray:
    """softmax of the logits of every example of `split` in evaluation mode: [n, num_classes]."""
    model.eval()
    out = []
    with no_grad():
        for _, batch in padded_batches(split, batch_size, shuffle=False):
            out.append(ops.softmax(model(batch.indices, batch.mask)).value)  # (B, C)
    model.train()
    return np.concatenate(out)


def confidently_wrong(
    probabilities: np.ndarray, split: EncodedSplit, label_names: list[str], k: int = 10
) -> list[dict]:
    """The k misclassified examples with the highest predicted probability, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != split.labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:k]
    return [{"text": split.texts[i], "gold": label_names[split.labels[i]], "predicted": label_names[predicted[i]],
             "probability": round(float(probabilities[i, predicted[i]]), 4)} for i in order]


# ---- checkpoints --------------------------------------------------------------------------------


def save_checkpoint(
    path: Path, model: DAN, optimizers: Optimizers | None, history: History, average: WeightAverage | None = None
) -> None:
    """Parameters (and optimizer state, weight average and history, to resume) in one .npz, written atomically."""
    arrays = {f"param.{name}": p.value for name, p in _all_parameters(model).items()}
    if average is not None:
        arrays.update({f"average.{name}": value for name, value in average.values.items()})
        arrays["average.steps"] = np.array(average.steps)
    if optimizers is not None:
        arrays.update({f"optimizer.{k}": v for k, v in optimizers.state().items()})
    arrays["history.train_loss"] = np.array(history.train_loss, dtype=np.float64)
    arrays["history.dev_accuracy"] = np.array(history.dev_accuracy, dtype=np.float64)
    arrays["history.best_epoch"] = np.array(history.best_epoch)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_checkpoint(
    path: Path, model: DAN, optimizers: Optimizers | None = None, average: WeightAverage | None = None
) -> History:
    """Restore the parameters (and the optimizer state and average) saved by save_checkpoint; return its history."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; resume from a run folder that holds last.npz")
    with np.load(path) as saved:
        arrays = dict(saved)
    for name, parameter in _all_parameters(model).items():
        value = arrays.get(f"param.{name}")
        if value is None or value.shape != parameter.shape:
            found = None if value is None else value.shape
            raise ValueError(f"checkpoint {path}: parameter {name} has shape {found} but the model's is "
                             f"{parameter.shape}: resume with the same config (vocabulary, dim, hidden, depth)")
        parameter.value[...] = value
    if average is not None:
        if "average.steps" not in arrays:
            raise ValueError(f"checkpoint {path} holds no weight average; resume with the same weight_average setting")
        average.steps = int(arrays["average.steps"])
        for name in average.values:
            average.values[name][...] = arrays[f"average.{name}"]
    if optimizers is not None:
        saved_state = {k.removeprefix("optimizer."): v for k, v in arrays.items() if k.startswith("optimizer.")}
        optimizers.load_state(saved_state)
    return History(arrays["history.train_loss"].tolist(), arrays["history.dev_accuracy"].tolist(),
                   int(arrays["history.best_epoch"]))
