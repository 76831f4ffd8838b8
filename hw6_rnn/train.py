"""Training and evaluation loops for the classifier and the language model (given code).

Both use :class:`common.torch_utils.TrainStep` (gradient clipping, mixed precision on a GPU) and keep
the best-on-validation weights in a checkpoint that :func:`common.torch_utils.load_checkpoint`
reads back on any device.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch.nn import functional as F

from common.metrics import accuracy, confusion_matrix, macro_f1, perplexity
from common.plots import plot_confusion_matrix, plot_curves
from common.resources import find_model
from common.run import Run
from common.torch_utils import TrainStep, autocast, count_parameters, detach_state, load_checkpoint, save_checkpoint
from hw6_rnn.classifier import RNNClassifier
from hw6_rnn.data import ClassificationData, LMCorpus, classification_batches
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows, generate
from hw6_rnn.pretrained import PRETRAINED_EMBEDDINGS, vocabulary_vectors


@dataclass
class ClassifierConfig:
    datasets: list[Literal["sst2", "sst5"]] = field(default_factory=lambda: ["sst2"])
    phrases: bool = False             # train on every labelled phrase of the trees (dev/test: sentences)
    min_freq: int = 1                 # vocabulary: train words seen at least this often
    max_train: int | None = None      # keep only the first examples of train (tests, quick runs)
    embedding_dim: int = 300
    embeddings: Literal["random", "minilm"] = "random"   # minilm: start from MiniLM's wordpiece table (384-d)
    hidden_size: int = 150
    num_layers: int = 1
    bidirectional: bool = True
    cell: Literal["lstm", "elman"] = "lstm"
    pooling: Literal["final", "mean", "max"] = "max"
    dropout: float = 0.5
    fused: bool = True                # torch.nn.LSTM with packed sequences; false: your StackedRNN
    sparse_embeddings: bool = True    # update only the embedding rows a batch uses (SparseAdam): a dense
                                      #   Adam step over every row costs more than the whole LSTM
    batch_size: int = 32
    epochs: int = 8
    lr: float = 1.0e-3                # Adam
    weight_decay: float = 0.0
    clip_norm: float = 5.0

    def __post_init__(self) -> None:
        if not self.datasets:
            raise ValueError("classifier.datasets is empty; list sst2 and/or sst5")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"classifier.dropout must be in [0, 1), got {self.dropout}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("classifier.epochs and classifier.batch_size must be >= 1")
        if self.embeddings == "minilm" and self.embedding_dim != 384:
            raise ValueError(f"classifier.embeddings minilm gives 384-d vectors; set classifier.embedding_dim 384 "
                             f"(got {self.embedding_dim})")


@dataclass
class LMConfig:
    corpus: Literal["ptb", "sst_chars"] = "ptb"
    max_train_tokens: int | None = None   # cut the training text (quick runs, tests)
    min_freq: int = 1
    embedding_dim: int = 200
    hidden_size: int = 200
    num_layers: int = 2
    cell: Literal["lstm", "elman"] = "lstm"
    dropout: float = 0.0
    tie_weights: bool = False
    fused: bool = True
    batch_size: int = 20
    bptt: int = 35
    lr: float = 1.0                       # plain SGD
    clip_norm: float = 5.0
    epochs: int = 6
    schedule: Literal["step", "plateau"] = "step"
    lr_decay: float = 0.5                 # step: lr *= lr_decay each epoch after decay_after; plateau: when
    decay_after: int = 4                  #   the validation perplexity did not improve
    max_minutes: float | None = None      # stop training after this much time (then evaluate)
    eval_batch_size: int = 10
    prompt: str = "the company said"
    sample_tokens: int = 30
    samples: int = 3
    temperature: float = 0.8
    top_k: int | None = None
    top_p: float | None = 0.9

    def __post_init__(self) -> None:
        if not 0 <= self.dropout < 1:
            raise ValueError(f"lm.dropout must be in [0, 1), got {self.dropout}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lm.lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"lm.top_p must be in (0, 1] or null, got {self.top_p}")


@dataclass
class VanishingConfig:
    steps: int = 100
    hidden_size: int = 64
    input_size: int = 32
    batch_size: int = 16
    forget_bias: float = 1.0


# ---------------------------------------------------------------------------------------------
# Classifier


def build_classifier(config: ClassifierConfig, data: ClassificationData,
                     log: Callable[[str], None] = print) -> RNNClassifier:
    """A fresh classifier; with ``embeddings: minilm`` its embedding layer starts from pretrained vectors."""
    model = RNNClassifier(len(data.vocab), len(data.label_names), data.pad_index, config.embedding_dim,
                          config.hidden_size, config.num_layers, config.bidirectional, config.cell,
                          config.pooling, config.dropout, config.fused, config.sparse_embeddings)
    if config.embeddings != "random":
        name = PRETRAINED_EMBEDDINGS[config.embeddings]
        weights, coverage = vocabulary_vectors(data.vocab, find_model(name))      # (V, E)
        with torch.no_grad():
            model.embedding.weight.copy_(weights)
        log(f"embeddings: {name}'s wordpiece table, a word = the mean of its pieces; {coverage:.1%} of the "
            f"{len(data.vocab):,} words have no unknown piece")
    return model


@torch.no_grad()
def predict(model: RNNClassifier, examples, batch_size: int, pad_index: int, device: torch.device,
            amp: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(gold labels [n], predicted labels [n]) in batch order."""
    model.eval()
    gold, pred = [], []
    for batch, labels in classification_batches(examples, batch_size, pad_index, device=device):
        with autocast(device, amp):
            logits = model(batch.indices, batch.lengths)                   # (B, C)
        gold.append(labels.cpu().numpy())
        pred.append(logits.argmax(dim=-1).cpu().numpy())
    return np.concatenate(gold), np.concatenate(pred)


def train_classifier(config: ClassifierConfig, data: ClassificationData, name: str, run: Run,
                     device: torch.device, amp: bool = False, seed: int = 0) -> dict[str, Any]:
    """Train with Adam, keep the best-on-dev checkpoint, report test accuracy, macro-F1 and the confusion matrix."""
    model = build_classifier(config, data, run.log).to(device)
    if config.sparse_embeddings:
        rest = [p for name, p in model.named_parameters() if not name.startswith("embedding.")]
        optimizers = [torch.optim.SparseAdam(list(model.embedding.parameters()), lr=config.lr),
                      torch.optim.Adam(rest, lr=config.lr, weight_decay=config.weight_decay)]
        step = TrainStep(model, optimizers, config.clip_norm, amp, device, clip_parameters=rest)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        step = TrainStep(model, optimizer, config.clip_norm, amp, device)
    checkpoint = run.path(f"{name}_best.pt")
    run.log(f"{name}: {len(data.train):,} train / {len(data.dev):,} dev / {len(data.test):,} test examples, "
            f"vocabulary {len(data.vocab):,}, {count_parameters(model):,} parameters, device {device}")
    curves: dict[str, list[float]] = {"train loss": [], "dev accuracy": []}
    best_dev, best_epoch, start = -1.0, 0, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        total, count = torch.zeros((), device=device), 0
        batches = classification_batches(data.train, config.batch_size, data.pad_index, shuffle=True,
                                         seed=seed + epoch, device=device)
        for batch, labels in run.progress(batches, desc=f"{name} epoch {epoch}",
                                          total=math.ceil(len(data.train) / config.batch_size)):
            loss, _ = step(lambda batch=batch, labels=labels: F.cross_entropy(
                model(batch.indices, batch.lengths), labels))
            total += loss * len(labels)
            count += len(labels)
        dev_accuracy = accuracy(*predict(model, data.dev, 256, data.pad_index, device, amp))
        curves["train loss"].append(float(total) / count)
        curves["dev accuracy"].append(dev_accuracy)
        if dev_accuracy > best_dev:
            best_dev, best_epoch = dev_accuracy, epoch
            save_checkpoint(checkpoint, model, {"words": data.vocab}, extra={"epoch": epoch, "dev_accuracy": best_dev})
        run.log(f"{name} epoch {epoch}: train loss {curves['train loss'][-1]:.4f}, dev accuracy {dev_accuracy:.4f}"
                f" ({time.perf_counter() - start:.0f} s)")
    seconds = time.perf_counter() - start
    load_checkpoint(checkpoint, model, {"words": data.vocab}, device)
    gold, pred = predict(model, data.test, 256, data.pad_index, device, amp)
    classes = len(data.label_names)
    matrix = confusion_matrix(gold, pred, classes)
    plot_confusion_matrix(matrix, data.label_names, run.path(f"{name}_confusion.png"), title=f"{name} test")
    plot_curves({"train loss": curves["train loss"]}, run.path(f"{name}_loss.png"), xlabel="epoch",
                title=f"{name}: training loss")
    plot_curves({"dev accuracy": curves["dev accuracy"]}, run.path(f"{name}_dev_accuracy.png"), xlabel="epoch",
                ylabel="accuracy", title=f"{name}: dev accuracy")
    return {"test_accuracy": accuracy(gold, pred), "test_macro_f1": macro_f1(gold, pred, range(classes)),
            "best_dev_accuracy": best_dev, "best_epoch": best_epoch, "confusion_matrix": matrix.tolist(),
            "curves": curves, "train_seconds": round(seconds, 1), "parameters": count_parameters(model),
            "vocab_size": len(data.vocab), "train_examples": len(data.train), "test_examples": len(data.test)}


# ---------------------------------------------------------------------------------------------
# Language model


def build_language_model(config: LMConfig, vocab_size: int) -> RNNLanguageModel:
    return RNNLanguageModel(vocab_size, config.embedding_dim, config.hidden_size, config.num_layers, config.cell,
                            config.dropout, config.tie_weights, config.fused)


@torch.no_grad()
def evaluate_perplexity(model: RNNLanguageModel, stream: torch.Tensor, batch_size: int, bptt: int,
                        device: torch.device, amp: bool = False) -> float:
    """Perplexity of a 1-D index stream, read as `batch_size` rows with the state carried across windows."""
    model.eval()
    rows = batchify(stream, batch_size).to(device)                        # (B, L)
    total_nll, tokens, state = torch.zeros((), device=device, dtype=torch.float64), 0, None
    for inputs, targets in bptt_windows(rows, bptt):
        with autocast(device, amp):
            logits, state = model(inputs, state)                           # (B, t, V)
        total_nll += F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="sum").double()
        tokens += targets.numel()
    return perplexity(float(total_nll), tokens)


def train_lm_epoch(model: RNNLanguageModel, step: TrainStep, windows, deadline: float | None = None
                   ) -> tuple[float, int, int]:
    """One pass of truncated BPTT over `windows` ((inputs, targets) pairs, each [B, t]), the state carried
    and detached between windows. Stops early once ``time.perf_counter()`` passes `deadline`.

    Returns (summed training loss over predicted tokens, tokens predicted, windows completed).
    """
    model.train()
    state, total, tokens, completed = None, None, 0, 0
    for inputs, targets in windows:
        state = detach_state(state)

        def loss_fn(inputs=inputs, targets=targets):
            nonlocal state
            logits, state = model(inputs, state)                           # (B, t, V)
            return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

        loss, _ = step(loss_fn)
        total = loss * targets.numel() if total is None else total + loss * targets.numel()
        tokens, completed = tokens + targets.numel(), completed + 1
        if deadline is not None and time.perf_counter() > deadline:
            break
    return float(total), tokens, completed


def train_language_model(config: LMConfig, corpus: LMCorpus, run: Run, device: torch.device,
                         amp: bool = False) -> dict[str, Any]:
    """SGD with truncated BPTT and gradient clipping; learning-rate schedule; best-on-valid checkpoint;
    valid/test perplexity and samples from the prompt."""
    model = build_language_model(config, len(corpus.vocab)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    step = TrainStep(model, optimizer, config.clip_norm, amp, device)
    windows = bptt_windows(batchify(corpus.train, config.batch_size).to(device), config.bptt)
    checkpoint, unit = run.path(f"lm_{corpus.level}_best.pt"), "words" if corpus.level == "word" else "characters"
    run.log(f"lm ({corpus.level} level): {corpus.train.numel():,} train tokens, vocabulary {len(corpus.vocab):,}, "
            f"{count_parameters(model):,} parameters, {len(windows)} windows per epoch, device {device}")
    budget = None if config.max_minutes is None else 60 * config.max_minutes
    curves: dict[str, list[float]] = {"train perplexity": [], "valid perplexity": []}
    epoch_seconds: list[float] = []
    best_valid, lr, trained_tokens, epochs_done, start = math.inf, config.lr, 0, 0.0, time.perf_counter()
    out_of_time, train_seconds = False, 0.0
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        deadline = None if budget is None else start + budget
        progress = run.progress(windows, desc=f"lm epoch {epoch} (lr {lr:g})")
        total, tokens, completed = train_lm_epoch(model, step, progress, deadline)
        out_of_time = deadline is not None and time.perf_counter() > deadline
        epochs_done += completed / len(windows)
        trained_tokens += tokens
        train_seconds += time.perf_counter() - epoch_start
        valid = evaluate_perplexity(model, corpus.valid, config.eval_batch_size, config.bptt, device, amp)
        curves["train perplexity"].append(math.exp(min(float(total) / tokens, 700)))
        curves["valid perplexity"].append(valid)
        epoch_seconds.append(round(time.perf_counter() - epoch_start, 1))
        run.log(f"lm epoch {epoch}: lr {lr:g}, train perplexity {curves['train perplexity'][-1]:.1f}, valid "
                f"perplexity {valid:.1f} (epoch {epoch_seconds[-1]:.0f} s, total {time.perf_counter() - start:.0f} s)")
        improved = valid < best_valid
        if improved:
            best_valid = valid
            save_checkpoint(checkpoint, model, {"tokens": corpus.vocab}, extra={"epoch": epoch, "valid": valid})
        if config.schedule == "step" and epoch >= config.decay_after:
            lr *= config.lr_decay
        elif config.schedule == "plateau" and not improved:
            lr *= config.lr_decay
        for group in optimizer.param_groups:
            group["lr"] = lr
        if out_of_time:
            run.log(f"lm: stopped after {epochs_done:.2f} epochs: the time budget of {config.max_minutes} min is spent")
            break
    seconds = time.perf_counter() - start
    load_checkpoint(checkpoint, model, {"tokens": corpus.vocab}, device)
    test = evaluate_perplexity(model, corpus.test, config.eval_batch_size, config.bptt, device, amp)
    prompt = corpus.prompt_tokens(config.prompt)
    stop = "</s>" if corpus.level == "char" else None
    samples = [generate(model, corpus.vocab, prompt, config.sample_tokens, config.temperature, config.top_k,
                        config.top_p, stop, seed=seed) for seed in range(config.samples)]
    joiner = "" if corpus.level == "char" else " "
    texts = [config.prompt + joiner + joiner.join(sample) for sample in samples]
    for text in texts:
        run.log(f"lm sample: {text}")
    plot_curves({name: curves[name] for name in ("train perplexity", "valid perplexity")},
                run.path(f"lm_{corpus.level}_perplexity.png"), xlabel="epoch", ylabel="perplexity", logy=True,
                title=f"LM ({corpus.level} level): perplexity per epoch")
    return {"valid_perplexity": best_valid, "test_perplexity": test, "epochs_completed": round(epochs_done, 3),
            "stopped_by_time_budget": out_of_time, "curves": curves, "epoch_seconds": epoch_seconds,
            "train_seconds": round(seconds, 1),
            "tokens_per_second": round(trained_tokens / train_seconds, 1), "unit": unit, "samples": texts,
            "parameters": count_parameters(model), "vocab_size": len(corpus.vocab)}
