"""Evaluating trained DANs (given code): probabilities, ensembles, dev and test metrics, confusion
matrices, learning curves and the most confidently wrong sentences.

    probabilities = ensemble_probabilities(models, data.splits["dev"])   # [n, num_classes], averaged
    results = evaluate_view(models, data, history, run)                   # metrics, plots, the log's lines
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from common.metrics import accuracy, confusion_matrix, macro_f1
from common.plots import plot_confusion_matrix, plot_curves
from common.run import Run
from hw3_edugrad.edugrad import no_grad, ops
from hw4_dan.dan import DAN
from hw4_dan.data import EncodedSplit, ViewData, padded_batches

if TYPE_CHECKING:
    from hw4_dan.train import History


def predict_probabilities(model: DAN, split: EncodedSplit, batch_size: int = 1024) -> np.ndarray:
    """softmax of the logits of every example of `split` in evaluation mode: [n, num_classes]."""
    model.eval()
    out = []
    with no_grad():
        for _, batch in padded_batches(split, batch_size, shuffle=False):
            out.append(ops.softmax(model(batch.indices, batch.mask)).value)  # (B, C)
    model.train()
    return np.concatenate(out)


def ensemble_probabilities(models: Sequence[DAN], split: EncodedSplit) -> np.ndarray:
    """The models' class probabilities on `split`, averaged: [n, num_classes] (one model: its own)."""
    return np.mean([predict_probabilities(model, split) for model in models], axis=0)


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


def evaluate_view(models: Sequence[DAN], data: ViewData, history: History, run: Run) -> dict[str, Any]:
    """Dev and test accuracy and macro-F1 of the models' averaged probabilities, the test confusion
    matrix (``<view>_confusion.png``), the ten most confidently wrong dev sentences and the learning
    curves (``<view>_curves.png``: `history`'s training loss and dev accuracy per epoch); logged too."""
    results: dict[str, Any] = {}
    probabilities = {split: ensemble_probabilities(models, data.splits[split]) for split in ("dev", "test")}
    predicted = {split: values.argmax(axis=1) for split, values in probabilities.items()}
    for split, guesses in predicted.items():
        labels = data.splits[split].labels
        results[split] = {"accuracy": accuracy(labels, guesses),
                          "macro_f1": macro_f1(labels, guesses, labels=range(data.num_classes))}
    results["confidently_wrong_dev"] = confidently_wrong(probabilities["dev"], data.splits["dev"], data.label_names)
    matrix = confusion_matrix(data.splits["test"].labels, predicted["test"], data.num_classes)
    results["test"]["confusion_matrix"] = matrix.tolist()
    plot_confusion_matrix(matrix, data.label_names, run.path(f"{data.view}_confusion.png"),
                          title=f"{data.name} test, best dev epoch {history.best_epoch}")
    results["curves"] = {"train_loss": history.train_loss, "dev_accuracy": history.dev_accuracy}
    epochs = list(range(1, len(history.train_loss) + 1))
    plot_curves({"train loss": (epochs, history.train_loss), "dev accuracy": (epochs, history.dev_accuracy)},
                run.path(f"{data.view}_curves.png"), xlabel="epoch", ylabel="", title=f"DAN on {data.name}")
    log_results(results, data, history.best_epoch, run)
    return results


def log_results(results: dict[str, Any], data: ViewData, best_epoch: int, run: Run) -> None:
    run.log(f"{data.name}: best dev epoch {best_epoch}: dev accuracy {results['dev']['accuracy']:.4f}, test "
            f"accuracy {results['test']['accuracy']:.4f}, test macro-F1 {results['test']['macro_f1']:.4f}")
    run.log(f"{data.name}: the ten most confidently wrong dev sentences:")
    for row in results["confidently_wrong_dev"]:
        run.log(f"  p={row['probability']:.3f} predicted {row['predicted']}, gold {row['gold']}: {row['text']}")
