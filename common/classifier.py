"""Sentence classification in PyTorch, shared by the homeworks that train a classifier on SST: the
data as indexed examples, labelled batches of similar lengths, a fit that keeps the best dev epoch
and resumes exactly after a kill, `predict`, the test figures, and a miniature SST for tests.

    data = load_sst_classification("sst2", root=folder)    # vocabulary + (token indices, label) examples
    step = TrainStep(model, torch.optim.Adam(model.parameters(), lr=1e-3), clip_norm=5.0)
    history = fit_classifier(step, data, run, "sst2", epochs=3, batch_size=32, seed=0)
    gold, predicted = predict(model, data.test, 256, data.pad_index, device)          # labels [n] each
    metrics = classifier_metrics(model, data, history, "sst2", run, device)          # test figures + plots
    write_mini_sst(tmp_path / "data")     # tests: a tiny SST trees folder, then root=tmp_path / "data"

A classifier is any ``torch.nn.Module`` called as ``model(indices, lengths)``: indices [B, T] int64
(`pad_index` after each sentence), lengths [B] int64 on the CPU -> logits [B, C].

The fit keeps its own pair of checkpoints in the run folder (``<name>.best.ckpt``: the weights of the
best dev accuracy, which the model ends with; ``<name>.last.ckpt``: everything needed to continue), so
``python -m hwN.run --resume runs/<hw>/<id>`` continues mid-epoch, and a finished model is not trained
again. :class:`Trainer` (model, optimizers, gradient scaler, seconds trained across resumes) is the
base of any such fit, e.g. a language model's.
"""
from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.nn import functional as F

from common.checkpoint import TrainingLoop, load_model, model_state
from common.data import LabeledSentence, length_bucketed_batch_indices, read_sst_trees
from common.metrics import accuracy, confusion_matrix, macro_f1
from common.plots import plot_confusion_matrix, plot_curves
from common.run import Run
from common.torch_utils import TensorBatch, TrainStep, autocast, count_parameters, padded_tensors
from common.vocabulary import PAD, UNK, Vocabulary

SST_LABELS = {"sst2": ["negative", "positive"],
              "sst5": ["very negative", "negative", "neutral", "positive", "very positive"]}
Example = tuple[list[int], int]          # (token indices, label)


# ---------------------------------------------------------------------------------------------
# Data


@dataclass
class ClassificationData:
    """A vocabulary and (token indices, label) examples for train / dev / test."""

    vocab: Vocabulary
    label_names: list[str]
    train: list[Example]
    dev: list[Example]
    test: list[Example]

    @property
    def pad_index(self) -> int:
        return self.vocab.token_to_index(PAD)


def load_sst_classification(view: Literal["sst2", "sst5"] = "sst2", phrases: bool = False, min_freq: int = 1,
                            max_train: int | None = None, root: Path | None = None) -> ClassificationData:
    """SST sentences (train optionally with every labelled phrase) indexed by a vocabulary of train words.

    Dev and test are always whole sentences. `max_train` keeps the first examples of train (tests,
    quick runs). `root`: a data folder holding ``sst/`` (default: the usual places, see common.resources).
    """
    if view not in SST_LABELS:
        raise ValueError(f"expected an SST view among {sorted(SST_LABELS)} but got {view!r}; set the view to sst2 "
                         "or sst5")
    train = read_sst_trees("train", view=view, phrases=phrases, root=root)[:max_train]
    dev, test = read_sst_trees("dev", view=view, root=root), read_sst_trees("test", view=view, root=root)
    vocab = Vocabulary.from_tokens((example.tokens for example in train), specials=(UNK, PAD), min_freq=min_freq)

    def index(examples: Sequence[LabeledSentence]) -> list[Example]:
        return [(vocab.tokens_to_indices(example.tokens), example.label) for example in examples if example.tokens]

    return ClassificationData(vocab, SST_LABELS[view], index(train), index(dev), index(test))


def classification_batch(examples: Sequence[Example], positions: Sequence[int], pad_index: int,
                         device: torch.device | str = "cpu") -> tuple[TensorBatch, torch.Tensor]:
    """The examples at `positions` as (padded batch: indices [B, T], lengths [B], mask [B, T]; labels [B])."""
    padded = padded_tensors([examples[i][0] for i in positions], pad_index, device)
    labels = torch.tensor([examples[i][1] for i in positions], dtype=torch.int64, device=padded.indices.device)
    return padded, labels


def batch_positions(examples: Sequence[Example], batch_size: int, shuffle: bool = False,
                    seed: int = 0) -> list[np.ndarray]:
    """Positions of each batch, with little padding (:func:`common.data.length_bucketed_batch_indices`):
    shuffled, sorted by length within pools of batches, the batches shuffled; without `shuffle`, by
    length throughout (evaluation). The same seed gives the same batches: train with ``seed + epoch``."""
    if not examples:
        raise ValueError("expected examples to batch but got none; check the dataset split (and max_train)")
    return list(length_bucketed_batch_indices([len(tokens) for tokens, _ in examples], batch_size, seed=seed,
                                              shuffle=shuffle))


def classification_batches(examples: Sequence[Example], batch_size: int, pad_index: int, shuffle: bool = False,
                           seed: int = 0, device: torch.device | str = "cpu"
                           ) -> Iterator[tuple[TensorBatch, torch.Tensor]]:
    """Yield (padded batch, labels [B]) for the batches of :func:`batch_positions`."""
    for positions in batch_positions(examples, batch_size, shuffle, seed):
        yield classification_batch(examples, positions, pad_index, device)


@torch.no_grad()
def predict(model: torch.nn.Module, examples: Sequence[Example], batch_size: int, pad_index: int,
            device: torch.device, amp: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(gold labels [n], predicted labels [n]) in batch order (by length), the model in eval mode."""
    model.eval()
    gold, pred = [], []
    for batch, labels in classification_batches(examples, batch_size, pad_index, device=device):
        with autocast(device, amp):
            logits = model(batch.indices, batch.lengths)                   # (B, C)
        gold.append(labels.cpu().numpy())
        pred.append(logits.argmax(dim=-1).cpu().numpy())
    return np.concatenate(gold), np.concatenate(pred)


# ---------------------------------------------------------------------------------------------
# Training


class Trainer:
    """What every resumable torch fit holds: the model, its optimizers and train step (`step`), its
    checkpoints in the run folder (``<name>.last.ckpt`` / ``<name>.best.ckpt``) and the seconds
    trained, counted across resumes. Subclasses add to :meth:`state` and :meth:`restore`."""

    def __init__(self, step: TrainStep, run: Run, name: str) -> None:
        self.step, self.model, self.optimizers, self.run = step, step.model, step.optimizers, run
        self.device = next(self.model.parameters()).device
        self.checkpoints = run.checkpoints.part(name)
        self.seconds_before, self.started = 0.0, time.perf_counter()

    def seconds(self) -> float:
        """Seconds of training so far, across resumes."""
        return self.seconds_before + time.perf_counter() - self.started

    def state(self) -> dict[str, Any]:
        scaler = self.step.scaler
        return {"model": self.model.state_dict(), "optimizers": [opt.state_dict() for opt in self.optimizers],
                "scaler": scaler.state_dict() if scaler is not None else None, "seconds": self.seconds()}

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)
        if self.step.scaler is not None and state["scaler"] is not None:
            self.step.scaler.load_state_dict(state["scaler"])
        self.seconds_before = state["seconds"]


@dataclass
class ClassifierHistory:
    """Per epoch: the training loss and dev accuracy; the best dev accuracy and its epoch; seconds trained."""

    curves: dict[str, list[float]] = field(default_factory=lambda: {"train loss": [], "dev accuracy": []})
    best_dev: float = -1.0
    best_epoch: int = 0
    seconds: float = 0.0


class ClassifierTrainer(Trainer):
    """Cross-entropy on train; after each epoch dev accuracy, and the weights kept when it is a new best.
    Its state adds the history and the sums of the epoch in progress."""

    def __init__(self, step: TrainStep, data: ClassificationData, run: Run, name: str,
                 config: Mapping[str, Any] | None = None) -> None:
        super().__init__(step, run, name)
        self.data, self.name, self.config = data, name, dict(config or {})
        self.history = ClassifierHistory()
        self.start_epoch()

    def start_epoch(self) -> None:
        self.loss_sum, self.count = torch.zeros((), device=self.device), 0

    def state(self) -> dict[str, Any]:
        return {**super().state(), "history": asdict(self.history), "loss_sum": self.loss_sum, "count": self.count}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        self.history = ClassifierHistory(**state["history"])
        self.loss_sum, self.count = state["loss_sum"].to(self.device), state["count"]

    def train_batch(self, positions: Sequence[int]) -> None:
        batch, labels = classification_batch(self.data.train, positions, self.data.pad_index, self.device)
        loss, _ = self.step(lambda: F.cross_entropy(self.model(batch.indices, batch.lengths), labels))
        self.loss_sum += loss * len(labels)
        self.count += len(labels)

    def end_epoch(self, epoch: int) -> None:
        """Score dev, record the epoch, keep the weights when dev accuracy is a new best."""
        history, data = self.history, self.data
        dev_accuracy = accuracy(*predict(self.model, data.dev, 256, data.pad_index, self.device, self.step.amp))
        history.curves["train loss"].append(float(self.loss_sum) / self.count)
        history.curves["dev accuracy"].append(dev_accuracy)
        if dev_accuracy > history.best_dev:
            history.best_dev, history.best_epoch = dev_accuracy, epoch
            self.checkpoints.save("best", model_state(self.model, {"words": data.vocab}, self.config,
                                                      extra={"epoch": epoch, "dev_accuracy": dev_accuracy}))
        history.seconds = self.seconds()
        self.run.log(f"{self.name} epoch {epoch}: train loss {history.curves['train loss'][-1]:.4f}, dev accuracy "
                     f"{dev_accuracy:.4f} ({history.seconds:.0f} s)")


def fit_classifier(step: TrainStep, data: ClassificationData, run: Run, name: str, epochs: int, batch_size: int,
                   seed: int = 0, config: Mapping[str, Any] | None = None) -> ClassifierHistory:
    """Train `step.model` on data.train for `epochs` (an epoch's batch order from `seed` and the epoch),
    keep the best dev epoch's weights in ``<name>.best.ckpt`` (with `config`), resume from
    ``<name>.last.ckpt`` when the run folder has one. The model ends with the best weights."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"expected epochs >= 1 and batch_size >= 1 but got {epochs} and {batch_size}; fix the config")
    trainer = ClassifierTrainer(step, data, run, name, config)
    run.log(f"{name}: {len(data.train):,} train / {len(data.dev):,} dev / {len(data.test):,} test examples, "
            f"vocabulary {len(data.vocab):,}, {count_parameters(trainer.model):,} parameters, device {trainer.device}")
    loop = TrainingLoop(trainer.checkpoints, trainer.state, trainer.restore, run.log)
    for epoch in loop.epochs(epochs):
        if loop.batch == 0:
            trainer.start_epoch()
        trainer.model.train()
        order = batch_positions(data.train, batch_size, shuffle=True, seed=seed + epoch)
        for positions in run.progress(loop.batches(order), f"{name} epoch {epoch}", total=len(order),
                                      initial=loop.batch):
            trainer.train_batch(positions)
        trainer.end_epoch(epoch)
    load_model(trainer.checkpoints.path("best"), trainer.model, {"words": data.vocab})
    return trainer.history


# ---------------------------------------------------------------------------------------------
# Test figures


def classifier_metrics(model: torch.nn.Module, data: ClassificationData, history: ClassifierHistory, name: str,
                       run: Run, device: torch.device, amp: bool = False) -> dict[str, Any]:
    """Test accuracy, macro-F1 and the confusion matrix of `model` (trained), with its figures
    (``<name>_confusion.png``, ``<name>_loss.png``, ``<name>_dev_accuracy.png``)."""
    gold, pred = predict(model, data.test, 256, data.pad_index, device, amp)
    classes = len(data.label_names)
    matrix = confusion_matrix(gold, pred, classes)
    plot_classifier(name, history.curves, matrix, data.label_names, run)
    return {"test_accuracy": accuracy(gold, pred), "test_macro_f1": macro_f1(gold, pred, range(classes)),
            "best_dev_accuracy": history.best_dev, "best_epoch": history.best_epoch,
            "confusion_matrix": matrix.tolist(), "curves": history.curves, "train_seconds": round(history.seconds, 1),
            "parameters": count_parameters(model), "vocab_size": len(data.vocab), "train_examples": len(data.train),
            "test_examples": len(data.test)}


def plot_classifier(name: str, curves: dict[str, list[float]], matrix: np.ndarray, label_names: Sequence[str],
                    run: Run) -> None:
    """``<name>_confusion.png`` (test), ``<name>_loss.png`` and ``<name>_dev_accuracy.png`` (per epoch)."""
    plot_confusion_matrix(matrix, list(label_names), run.path(f"{name}_confusion.png"), title=f"{name} test")
    plot_curves({"train loss": curves["train loss"]}, run.path(f"{name}_loss.png"), xlabel="epoch",
                title=f"{name}: training loss")
    plot_curves({"dev accuracy": curves["dev accuracy"]}, run.path(f"{name}_dev_accuracy.png"), xlabel="epoch",
                ylabel="accuracy", title=f"{name}: dev accuracy")


# ---------------------------------------------------------------------------------------------
# A miniature SST for tests

MINI_SST_FILLERS = "the a film movie plot story actors was is and it this very quite".split()
MINI_SST_SENTIMENT = {4: ["wonderful", "great"], 3: ["good", "fine"], 1: ["dull", "weak"], 0: ["awful", "terrible"]}
MINI_SST_SIZES = {"train": 300, "dev": 60, "test": 80}


def write_mini_sst(folder: str | Path, sizes: Mapping[str, int] = MINI_SST_SIZES, seed: int = 0) -> Path:
    """Write a miniature SST into the data folder `folder` (``sst/trees/{train,dev,test}.txt``) and return
    `folder`, to pass as the readers' `root`. Each tree is flat, and its one sentiment word decides its
    label, e.g. ``(3 (2 the) (3 good) (2 film))``: a classifier that learns the words reaches > 0.9.
    The same `seed` writes the same trees. For tests of any homework (tests/ is not released)."""
    rng = random.Random(seed)
    trees = Path(folder) / "sst" / "trees"
    trees.mkdir(parents=True, exist_ok=True)
    for split, size in sizes.items():
        (trees / f"{split}.txt").write_text("\n".join(_mini_tree(rng) for _ in range(size)) + "\n", encoding="utf-8")
    return Path(folder)


def _mini_tree(rng: random.Random) -> str:
    label = rng.choice(list(MINI_SST_SENTIMENT))
    words = [f"(2 {rng.choice(MINI_SST_FILLERS)})" for _ in range(rng.randint(2, 7))]
    words.insert(rng.randint(0, len(words)), f"({label} {rng.choice(MINI_SST_SENTIMENT[label])})")
    return f"({label} {' '.join(words)})"
