"""Scoring a trained classifier (given code): accuracy and probabilities on a split, the most confident
mistakes, accuracy by sentence length, and the report of one trained model (its figures and plots)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from common.metrics import accuracy, confusion_matrix
from common.plots import plot_confusion_matrix, plot_curves
from common.run import Run
from common.torch_utils import Precision, autocast
from hw8_transformer.data import LABEL_NAMES, TokenizedSplit, make_loader

if TYPE_CHECKING:
    from hw8_transformer.train import History


@dataclass
class Evaluation:
    """Results on a split: accuracy, mean loss, P(label) per example [n, C] and predictions [n] in split order."""

    accuracy: float
    loss: float
    probabilities: np.ndarray
    predictions: np.ndarray


@torch.no_grad()
def evaluate(model: nn.Module, split: TokenizedSplit, pad_token_id: int, device: torch.device,
             batch_size: int = 128, precision: Precision = "fp32") -> Evaluation:
    """Evaluate on the whole `split` (batches sorted by length); every process computes the same numbers."""
    was_training = model.training
    model.eval()
    probabilities = np.zeros((len(split), 0), dtype=np.float32)
    total_loss = 0.0
    for batch in make_loader(split, pad_token_id, batch_size, shuffle=False):
        with autocast(device, precision):
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device)).float()  # (B, C)
        labels = batch["labels"].to(device)
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        if probabilities.shape[1] == 0:
            probabilities = np.zeros((len(split), logits.shape[1]), dtype=np.float32)
        probabilities[batch["index"].numpy()] = logits.softmax(dim=-1).cpu().numpy()
    model.train(was_training)
    predictions = probabilities.argmax(axis=1)
    return Evaluation(accuracy(split.labels, predictions), total_loss / len(split), probabilities, predictions)


def confident_mistakes(sentences: Sequence[str], labels: np.ndarray, probabilities: np.ndarray,
                       count: int = 10, label_names: Sequence[str] = LABEL_NAMES) -> list[dict]:
    """The `count` wrong predictions with the highest predicted probability (probabilities [n, C])."""
    predictions = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predictions != labels)
    ranked = wrong[np.argsort(-probabilities[wrong, predictions[wrong]], kind="stable")][:count]
    return [{"sentence": sentences[i], "gold": label_names[labels[i]], "predicted": label_names[predictions[i]],
             "probability": round(float(probabilities[i, predictions[i]]), 4)} for i in ranked]


def accuracy_by_length(sentences: Sequence[str], labels: np.ndarray, predictions: np.ndarray,
                       edges: Sequence[int] = (10, 20, 30)) -> list[dict]:
    """Accuracy per sentence-length bucket (words, split on spaces): [1, e0], (e0, e1], ..., (e_last, inf)."""
    words = np.array([len(sentence.split()) for sentence in sentences])
    bounds = [0, *edges, np.inf]
    rows = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        inside = (words > low) & (words <= high)
        if inside.any():
            name = f"{low + 1}-{int(high)}" if np.isfinite(high) else f">{low}"
            rows.append({"words": name, "count": int(inside.sum()),
                         "accuracy": round(float(np.mean(predictions[inside] == labels[inside])), 4)})
    return rows


def report(mode: str, model: nn.Module, history: History, data: dict[str, TokenizedSplit], pad_token_id: int,
           precision: Precision, eval_batch_size: int, mistakes_shown: int, run: Run) -> dict[str, Any]:
    """One trained model's figures for metrics.json (`model` holding the checkpoint chosen on dev: its dev and
    test accuracy, the most confident dev mistakes, accuracy by length; the dev accuracy after the last
    update from `history`), logged, with its loss, dev-accuracy and confusion plots in the run folder."""
    device = next(model.parameters()).device
    dev = evaluate(model, data["dev"], pad_token_id, device, eval_batch_size, precision)
    result: dict[str, Any] = {
        "pooling": model.pooling, "dev_accuracy": dev.accuracy, "dev_loss": dev.loss,
        "best_update": history.best_update, "final_dev_accuracy": history.eval_accuracy[-1],
        "train_examples_per_second": round(history.examples_per_second, 2),
        "train_seconds": round(history.train_seconds, 2),
        "curve": {"update_loss": history.update_loss, "eval_updates": history.eval_updates,
                  "dev_accuracy": history.eval_accuracy},
        "confident_mistakes": confident_mistakes(data["dev"].sentences, data["dev"].labels, dev.probabilities,
                                                 mistakes_shown),
        "accuracy_by_length": accuracy_by_length(data["dev"].sentences, data["dev"].labels, dev.predictions),
    }
    if "test" in data:
        result["test_accuracy"] = evaluate(model, data["test"], pad_token_id, device, eval_batch_size,
                                           precision).accuracy
    run.log(f"{mode}: dev accuracy {history.eval_accuracy[-1]:.4f} after the last update, the best "
            f"{dev.accuracy:.4f} at update {history.best_update} (a maximum over the evaluations on dev); "
            f"{history.examples_per_second:.1f} training examples/s; by length {result['accuracy_by_length']}")
    title = f"{run.hw}: {mode}"
    plot_curves({mode: history.update_loss}, run.path(f"loss_{mode}.png"), xlabel="update",
                ylabel="training loss (mean cross-entropy)", title=title)
    plot_curves({mode: (history.eval_updates, history.eval_accuracy)}, run.path(f"dev_accuracy_{mode}.png"),
                xlabel="update", ylabel="dev accuracy", title=title)
    matrix = confusion_matrix(data["dev"].labels, dev.predictions, len(LABEL_NAMES))
    plot_confusion_matrix(matrix, LABEL_NAMES, run.path(f"confusion_{mode}.png"), title=f"SST-2 dev, {mode}")
    return result
