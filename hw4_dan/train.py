"""Training the DAN (given code): optimizers, the weight average, and `fit`, the epoch loop of one view.

    models, history, seconds = fit(config, load_view(config, "sst2"), run)   # models with their best dev weights

`fit` trains ``config.ensemble`` DANs side by side (member i seeded ``seed + i``, each exactly as it
would train alone); after each epoch the dev accuracy of their averaged probabilities (the weight
averages', with ``weight_average``) picks the best epoch. Every random choice of an epoch (the
order of the examples, word dropout, dropout) comes from the member's seed and the epoch number.

Checkpoints (common/checkpoint.py), in the run folder: ``<view>.last.ckpt`` holds everything needed
to continue the view's training (every member's weights, optimizer state, weight average, dropout
generator and the sums of its epoch in progress; the schedule and the history), written at every
epoch's end and every ``--checkpoint-minutes``; ``<view>.best.ckpt`` (member i > 0:
``<view>.member<i>.best.ckpt``) holds the weights evaluated at the best dev epoch, with the vocabulary.
``python -m hw4_dan.run --resume runs/hw4_dan/<id>`` continues exactly; a view that had finished is
not trained again.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from common.checkpoint import Checkpoints, TrainingLoop, load_model, model_state
from common.config import config_to_dict
from common.metrics import accuracy
from common.run import Run
from common.schedule import LearningRateSchedule
from hw3_edugrad.edugrad import no_grad, ops, optim
from hw3_edugrad.edugrad.sparse import RowOptimizer
from hw4_dan.config import Config
from hw4_dan.dan import DAN, classification_loss
from hw4_dan.data import EncodedSplit, ViewData, embeddings_from_word2vec, training_batches
from hw4_dan.evaluate import ensemble_probabilities

OPTIMIZERS = {"adagrad": optim.Adagrad, "adam": optim.Adam}


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

    def state_dict(self) -> dict[str, Any]:
        return {"dense": self.dense.state_dict(), "rows": self.rows.optimizer.state_dict() if self.rows else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.dense.load_state_dict(state["dense"])
        if self.rows is not None:
            self.rows.optimizer.load_state_dict(state["rows"])


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
        self.parameters = {**dict(model.named_parameters()), "embedding.weight": model.embedding.weight}
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

    def state_dict(self) -> dict[str, Any]:
        return {"values": {name: value.copy() for name, value in self.values.items()}, "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, value in self.values.items():
            value[...] = state["values"][name]
        self.steps = state["steps"]


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator of one epoch's word dropout and dropout (a function of seed and epoch only)."""
    return np.random.default_rng([seed, epoch])


class Member:
    """One DAN of the ensemble (the only one when ``ensemble: 1``): its optimizers, weight average,
    seed, and the summed loss and example count of its epoch in progress."""

    def __init__(self, model: DAN, optimizers: Optimizers, average: WeightAverage | None = None, seed: int = 0):
        self.model, self.optimizers, self.average, self.seed = model, optimizers, average, seed
        self.loss_sum, self.count = 0.0, 0

    @classmethod
    def create(cls, config: Config, data: ViewData, index: int, log: Callable[[str], None] = print) -> Member:
        """Member `index`: a fresh DAN seeded with ``config.seed + index``, its optimizers and weight average."""
        seed = config.seed + index
        rng = np.random.default_rng(seed)
        pretrained = None
        if config.vectors is not None:
            pretrained, missing = embeddings_from_word2vec(config.vectors, data.vocab, config.dim, rng,
                                                           config.init_scale)
            if index == 0:
                log(f"{data.name}: embeddings from {config.vectors}; {len(missing):,} of {len(data.vocab):,} "
                    f"vocabulary words not in the file, initialised at random (e.g. {missing[:8]})")
        model = DAN(len(data.vocab), config.dim, config.hidden, config.depth, data.num_classes, config.activation,
                    config.word_dropout, config.dropout, rng=rng, pretrained=pretrained,
                    frozen=config.freeze_embeddings, init_scale=config.init_scale)
        average = WeightAverage(model, config.weight_average) if config.weight_average else None
        return cls(model, Optimizers.create(model, config.optimizer, config.lr), average, seed)

    def start_epoch(self, epoch: int) -> None:
        """Training mode, the epoch's dropout generator, and new sums."""
        self.model.train()
        self.model.set_rng(epoch_rng(self.seed, epoch))
        self.loss_sum, self.count = 0.0, 0

    def epoch_batches(self, split: EncodedSplit, batch_size: int, epoch: int) -> list[np.ndarray]:
        """This member's batches of `epoch` (example ids), in an order drawn from its seed and the epoch."""
        return training_batches(split, batch_size, seed=self.seed * 1000 + epoch)

    def train_batch(self, split: EncodedSplit, ids: np.ndarray, l2: float) -> None:
        """One update on the examples `ids` [B] of `split`; the loss without the L2 term joins the sums."""
        batch = split.batch(ids)
        self.optimizers.zero_grad()
        logits = self.model(batch.indices, batch.mask)  # (B, C)
        labels = split.labels[ids]  # (B,)
        loss = classification_loss(logits, labels, self.model.weight_matrices(), l2)
        loss.backward()
        self.optimizers.step()
        if self.average is not None:
            self.average.update()
        with no_grad():  # the log's loss: without the L2 term
            self.loss_sum += ops.cross_entropy(logits, labels=labels).item() * len(ids)
        self.count += len(ids)

    @property
    def epoch_loss(self) -> float:
        """The mean training loss (without the L2 term) of the epoch so far."""
        return self.loss_sum / self.count

    def evaluated(self) -> contextlib.AbstractContextManager:
        """The weights this member is evaluated with: the moving average if there is one, else the current ones."""
        return self.average.applied() if self.average is not None else contextlib.nullcontext()

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizers": self.optimizers.state_dict(),
                "average": self.average.state_dict() if self.average is not None else None,
                "rng": self.model.rng.bit_generator.state, "loss_sum": self.loss_sum, "count": self.count}

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizers.load_state_dict(state["optimizers"])
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        self.model.set_rng(rng)
        self.loss_sum, self.count = state["loss_sum"], state["count"]


def member_checkpoints(checkpoints: Checkpoints, view: str, index: int) -> Checkpoints:
    """Where member `index` of `view` keeps its best weights: ``<view>.best.ckpt``, ``<view>.member<i>.best.ckpt``."""
    return checkpoints.part(view if index == 0 else f"{view}.member{index}")


class ViewTrainer:
    """The training of one view: its members, the learning-rate schedule and the history, saved and
    restored as a whole by the :class:`~common.checkpoint.TrainingLoop`."""

    def __init__(self, config: Config, data: ViewData, run: Run) -> None:
        self.config, self.data, self.run = config, data, run
        self.members = [Member.create(config, data, index, run.log) for index in range(config.ensemble)]
        self.schedule = LearningRateSchedule(config.lr, config.lr_decay, kind="exponential")
        self.history = History()
        self.seconds_before, self.started = 0.0, time.perf_counter()

    def state(self) -> dict[str, Any]:
        return {"members": [member.state() for member in self.members], "schedule": self.schedule.state_dict(),
                "history": asdict(self.history), "seconds": self.seconds()}

    def restore(self, state: dict[str, Any]) -> None:
        for member, saved in zip(self.members, state["members"], strict=True):
            member.restore(saved)
        self.schedule.load_state_dict(state["schedule"])
        self.history = History(**state["history"])
        self.seconds_before = state["seconds"]

    def seconds(self) -> float:
        """Seconds of this view's training so far, across resumes."""
        return self.seconds_before + time.perf_counter() - self.started

    def start_epoch(self, epoch: int, resumed_mid_epoch: bool) -> None:
        if not resumed_mid_epoch:
            for member in self.members:
                member.start_epoch(epoch)
        for member in self.members:
            member.optimizers.set_lr(self.schedule.lr)

    def end_epoch(self, epoch: int) -> None:
        """Score the ensemble on dev, record the epoch, keep the best weights, decay the rate."""
        dev, history = self.data.splits["dev"], self.history
        with contextlib.ExitStack() as evaluated:
            for member in self.members:
                evaluated.enter_context(member.evaluated())
            dev_accuracy = accuracy(dev.labels, ensemble_probabilities([m.model for m in self.members], dev)
                                    .argmax(axis=1))
            improved = dev_accuracy > history.best_dev_accuracy
            if improved:
                self.save_best(epoch, dev_accuracy)
        loss = float(np.mean([member.epoch_loss for member in self.members]))
        history.train_loss.append(loss)
        history.dev_accuracy.append(dev_accuracy)
        if improved:
            history.best_epoch = epoch
        self.schedule.step()
        self.run.log(f"{self.data.name} epoch {epoch}: train loss {loss:.4f}, dev accuracy {dev_accuracy:.4f}"
                     + (" (best so far)" if improved else ""))

    def save_best(self, epoch: int, dev_accuracy: float) -> None:
        for index, member in enumerate(self.members):
            extra = {"view": self.data.view, "member": index, "seed": member.seed, "epoch": epoch,
                     "dev_accuracy": dev_accuracy}
            member_checkpoints(self.run.checkpoints, self.data.view, index).save(
                "best", model_state(member.model, {"vocab": self.data.vocab}, config_to_dict(self.config), extra))

    def load_best(self) -> list[DAN]:
        """Every member's model with the weights of the best dev epoch (the weights evaluated there)."""
        for index, member in enumerate(self.members):
            load_model(member_checkpoints(self.run.checkpoints, self.data.view, index).path("best"), member.model,
                       {"vocab": self.data.vocab})
            member.average = None
        return [member.model for member in self.members]


def fit(config: Config, data: ViewData, run: Run) -> tuple[list[DAN], History, float]:
    """Train the view's DAN(s) as the module doc says, resuming from ``<view>.last.ckpt`` when the run has one.
    Returns the members' models with their best dev weights, the history and the training seconds."""
    trainer = ViewTrainer(config, data, run)
    if config.ensemble > 1:
        run.log(f"{data.name}: an ensemble of {config.ensemble} DANs (seeds {config.seed} to "
                f"{config.seed + config.ensemble - 1}); the dev accuracy of their averaged probabilities "
                "picks the epoch")
    loop = TrainingLoop(run.checkpoints.part(data.view), trainer.state, trainer.restore, run.log)
    train = data.splits["train"]
    for epoch in loop.epochs(config.epochs):
        trainer.start_epoch(epoch, resumed_mid_epoch=loop.batch > 0)
        work = [(member, ids) for member in trainer.members
                for ids in member.epoch_batches(train, config.batch_size, epoch)]
        for member, ids in run.progress(loop.batches(work), f"{data.view} epoch {epoch}", total=len(work),
                                        initial=loop.batch):
            member.train_batch(train, ids, config.l2)
        trainer.end_epoch(epoch)
    seconds = trainer.seconds()
    return trainer.load_best(), trainer.history, seconds
