"""Train deep averaging networks on SST-2 and SST-5 in edugrad; pick the epoch on dev; report test.

    python -m hw4_dan.run --config hw4_dan/config.quick.yaml
    python -m hw4_dan.run --views '[sst2]' --word_dropout 0 --depth 1
    python -m hw4_dan.run --ensemble 4                          # four DANs, probabilities averaged
    python -m hw4_dan.run --resume runs/hw4_dan/<run id>      # continue an interrupted run

For each view it writes into ``runs/hw4_dan/<run id>/``: ``<view>_best.npz`` (the parameters of
the best dev epoch) and ``<view>_last.npz`` (everything needed to resume), ``<view>_curves.png``
(training loss and dev accuracy per epoch), ``<view>_confusion.png`` (test), ``vocab_<view>.tsv``,
and in ``metrics.json`` the dev and test accuracy and macro-F1 of the best dev epoch and the ten
most confidently wrong dev sentences (also in the log). With ``ensemble: N > 1``, N DANs (seeds
``seed`` to ``seed + N - 1``) train side by side; their averaged probabilities are what is evaluated,
so the epoch is picked on the ensemble's dev accuracy, and members 1 to N - 1 write
``<view>_best_<i>.npz`` and ``<view>_last_<i>.npz`` beside member 0's files.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from common.fileio import atomic_write_bytes
from common.metrics import accuracy, confusion_matrix, macro_f1
from common.plots import plot_confusion_matrix, plot_curves
from common.run import Run, run_cli, summary_row
from common.vocabulary import Vocabulary
from hw4_dan.dan import ACTIVATIONS, DAN
from hw4_dan.data import (
    LABEL_NAMES,
    NUM_CLASSES,
    EncodedSplit,
    build_vocabulary,
    embeddings_from_word2vec,
    encode,
    load_sst,
)
from hw4_dan.train import (
    OPTIMIZERS,
    History,
    Optimizers,
    WeightAverage,
    confidently_wrong,
    load_checkpoint,
    predict_probabilities,
    save_checkpoint,
    train_epoch,
)

VIEW_NAMES = {"sst2": "SST-2", "sst5": "SST-5"}


@dataclass
class Config:
    seed: int = 0
    views: list[str] = field(default_factory=lambda: ["sst2", "sst5"])  # one model per view
    train_phrases: bool = True        # train on every labelled phrase of the training trees
    lowercase: bool = False
    min_freq: int = 1                 # rarer training tokens become <unk>
    dim: int = 300                    # embedding size
    init_scale: float = 0.1           # random embeddings ~ N(0, init_scale^2)
    vectors: Path | None = None       # word2vec text file to initialise the embeddings (e.g. hw2's vectors.txt)
    freeze_embeddings: bool = False
    hidden: int = 300
    depth: int = 3                    # feed-forward layers before the output layer
    activation: str = "relu"
    word_dropout: float = 0.3
    dropout: float = 0.0
    l2: float = 1.0e-5
    optimizer: str = "adam"
    lr: float = 1.0e-3
    lr_decay: float = 1.0             # epoch e trains with lr * lr_decay ** (e - 1)
    weight_average: float = 0.0       # > 0: evaluate a moving average of the weights with this decay per step
    batch_size: int = 256
    epochs: int = 10
    data: Path | None = None          # folder holding sst/ (default: the resolver's search order)
    resume: Path | None = None        # a previous run folder of the same config: continue from its last.npz
    max_train: int | None = None      # use only the first max_train training examples (tests, quick looks)
    ensemble: int = 1                 # DANs trained side by side (seeds seed, seed+1, ...), probabilities averaged
    threads: int = 1                  # numpy's BLAS threads: the DAN's matrices are small, and one thread
                                      # is as fast on an idle machine and much faster on a busy one

    def __post_init__(self) -> None:
        unknown = [view for view in self.views if view not in NUM_CLASSES]
        if unknown or not self.views:
            raise ValueError(f"views must be a non-empty list of {sorted(NUM_CLASSES)} but got {self.views}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} but got {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} but got {self.optimizer!r}")
        if not 0.0 <= self.word_dropout < 1.0 or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"word_dropout and dropout must be in [0, 1) but got {self.word_dropout}, {self.dropout}")
        for name in ("dim", "hidden", "batch_size", "epochs", "min_freq", "ensemble", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 but got {getattr(self, name)}")
        if not 0.0 <= self.weight_average < 1.0:
            raise ValueError(f"weight_average must be in [0, 1) (0: off) but got {self.weight_average}")
        if self.depth < 0 or self.lr <= 0 or self.l2 < 0 or not 0 < self.lr_decay <= 1:
            raise ValueError(f"expected depth >= 0, lr > 0, l2 >= 0 and lr_decay in (0, 1] but got {self.depth}, "
                             f"{self.lr}, {self.l2}, {self.lr_decay}")


@dataclass
class Member:
    """One DAN of the ensemble (the only one when ``ensemble: 1``), its optimizers, weight average and files."""

    model: DAN
    optimizers: Optimizers
    average: WeightAverage | None
    seed: int
    best_path: Path
    last_path: Path

    def evaluated(self) -> contextlib.AbstractContextManager:
        """The weights this member is evaluated with: the moving average if there is one, else the current ones."""
        return self.average.applied() if self.average is not None else contextlib.nullcontext()


def create_member(config: Config, run: Run, view: str, vocab: Vocabulary, index: int) -> Member:
    """Member `index`: a fresh DAN seeded with ``config.seed + index`` and its optimizers."""
    seed = config.seed + index
    rng = np.random.default_rng(seed)
    pretrained = None
    if config.vectors is not None:
        pretrained, missing = embeddings_from_word2vec(config.vectors, vocab, config.dim, rng, config.init_scale)
        if index == 0:
            run.log(f"{VIEW_NAMES[view]}: embeddings from {config.vectors}; {len(missing):,} of {len(vocab):,} "
                    f"vocabulary words not in the file, initialised at random (e.g. {missing[:8]})")
    model = DAN(len(vocab), config.dim, config.hidden, config.depth, NUM_CLASSES[view], config.activation,
                config.word_dropout, config.dropout, rng=rng, pretrained=pretrained,
                frozen=config.freeze_embeddings, init_scale=config.init_scale)
    average = WeightAverage(model, config.weight_average) if config.weight_average else None
    suffix = f"_{index}" if index else ""
    return Member(model, Optimizers.create(model, config.optimizer, config.lr), average, seed,
                  run.path(f"{view}_best{suffix}.npz"), run.path(f"{view}_last{suffix}.npz"))


def ensemble_probabilities(members: list[Member], split: EncodedSplit) -> np.ndarray:
    """The members' class probabilities on `split`, averaged: [n, num_classes]."""
    probabilities = []
    for member in members:
        with member.evaluated():
            probabilities.append(predict_probabilities(member.model, split))
    return np.mean(probabilities, axis=0)


def train_view(config: Config, run: Run, view: str) -> dict[str, Any]:
    """Train one DAN (or an ensemble) on `view`, keep the best dev epoch, evaluate it on dev and test."""
    name = VIEW_NAMES[view]
    splits = load_sst(view, config.train_phrases, config.data, config.lowercase)
    splits["train"] = splits["train"][: config.max_train]
    vocab = build_vocabulary(splits["train"], config.min_freq)
    vocab.save(run.path(f"vocab_{view}.tsv"))
    num_classes = NUM_CLASSES[view]
    data = {split: encode(examples, vocab, num_classes, split) for split, examples in splits.items()}
    kind = "phrases" if config.train_phrases else "sentences"
    run.log(f"{name}: {len(data['train']):,} training {kind}, {len(data['dev']):,} dev and {len(data['test']):,} "
            f"test sentences; vocabulary {len(vocab):,}; unknown tokens: dev {data['dev'].unknown:,}, "
            f"test {data['test'].unknown:,}; sentences with only unknown words: dev {data['dev'].all_unknown}, "
            f"test {data['test'].all_unknown}")

    members = [create_member(config, run, view, vocab, i) for i in range(config.ensemble)]
    if config.ensemble > 1:
        last_seed = config.seed + config.ensemble - 1
        run.log(f"{name}: an ensemble of {config.ensemble} DANs (seeds {config.seed} to {last_seed}); "
                "the dev accuracy of their averaged probabilities picks the epoch")
    history = History()
    if config.resume is not None:
        for member in members:
            history = load_checkpoint(Path(config.resume) / member.last_path.name, member.model, member.optimizers,
                                      member.average)
            atomic_write_bytes(member.best_path, (Path(config.resume) / member.best_path.name).read_bytes())
        run.log(f"{name}: resumed from {config.resume} after epoch {len(history.train_loss)}")

    start = time.perf_counter()
    for epoch in range(len(history.train_loss) + 1, config.epochs + 1):
        losses = []
        for i, member in enumerate(members):
            member.optimizers.set_lr(config.lr * config.lr_decay ** (epoch - 1))
            description = f"{view} epoch {epoch}" + (f" member {i}" if config.ensemble > 1 else "")
            losses.append(train_epoch(member.model, member.optimizers, data["train"], config.batch_size, config.l2,
                                      member.seed, epoch, average=member.average,
                                      progress=lambda batches, total, d=description: run.progress(batches, d, total)))
        loss = float(np.mean(losses))
        dev_accuracy = accuracy(data["dev"].labels, ensemble_probabilities(members, data["dev"]).argmax(axis=1))
        history.train_loss.append(loss)
        history.dev_accuracy.append(dev_accuracy)
        improved = dev_accuracy > history.best_dev_accuracy
        if improved:
            history.best_epoch = epoch
        for member in members:
            if improved:
                with member.evaluated():
                    save_checkpoint(member.best_path, member.model, None, history)
            save_checkpoint(member.last_path, member.model, member.optimizers, history, member.average)
        run.log(f"{name} epoch {epoch}: train loss {loss:.4f}, dev accuracy {dev_accuracy:.4f}"
                + (" (best so far)" if improved else ""))
    seconds = time.perf_counter() - start

    for member in members:
        load_checkpoint(member.best_path, member.model)
        member.average = None  # the best checkpoint holds the weights that were evaluated
    results: dict[str, Any] = {"best_epoch": history.best_epoch, "train_seconds": round(seconds, 2),
                               "train_examples": len(data["train"]), "vocab_size": len(vocab)}
    labels = LABEL_NAMES[view]
    for split in ("dev", "test"):
        probabilities = ensemble_probabilities(members, data[split])
        predicted = probabilities.argmax(axis=1)
        results[split] = {"accuracy": accuracy(data[split].labels, predicted),
                          "macro_f1": macro_f1(data[split].labels, predicted, labels=range(num_classes))}
        if split == "test":
            matrix = confusion_matrix(data[split].labels, predicted, num_classes)
            results["test"]["confusion_matrix"] = matrix.tolist()
            plot_confusion_matrix(matrix, labels, run.path(f"{view}_confusion.png"),
                                  title=f"{name} test, best dev epoch {history.best_epoch}")
        else:
            results["confidently_wrong_dev"] = confidently_wrong(probabilities, data[split], labels)
    results["curves"] = {"train_loss": history.train_loss, "dev_accuracy": history.dev_accuracy}
    epochs = list(range(1, len(history.train_loss) + 1))
    plot_curves({"train loss": (epochs, history.train_loss), "dev accuracy": (epochs, history.dev_accuracy)},
                run.path(f"{view}_curves.png"), xlabel="epoch", ylabel="", title=f"DAN on {name}")
    run.log(f"{name}: best dev epoch {history.best_epoch}: dev accuracy {results['dev']['accuracy']:.4f}, test "
            f"accuracy {results['test']['accuracy']:.4f}, test macro-F1 {results['test']['macro_f1']:.4f}")
    run.log(f"{name}: the ten most confidently wrong dev sentences:")
    for row in results["confidently_wrong_dev"]:
        run.log(f"  p={row['probability']:.3f} predicted {row['predicted']}, gold {row['gold']}: {row['text']}")
    return results


def main(config: Config, run: Run) -> dict[str, Any]:
    metrics: dict[str, Any] = {"views": {}}
    summary = []
    for view in config.views:
        with threadpool_limits(limits=config.threads):
            results = train_view(config, run, view)
        metrics["views"][view] = results
        summary.append(summary_row(f"{VIEW_NAMES[view]} test", "DAN accuracy (best dev epoch)",
                                   round(results["test"]["accuracy"], 4)))
    metrics["summary"] = summary
    return metrics


if __name__ == "__main__":
    run_cli("hw4_dan", Config, main)
