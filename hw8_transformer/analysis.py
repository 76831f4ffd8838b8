"""Error analysis of a classifier's dev predictions: the most confident mistakes, accuracy by length."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hw8_transformer.data import LABEL_NAMES


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
