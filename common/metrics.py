"""Evaluation metrics: accuracy, macro-F1, confusion matrix, perplexity, corpus BLEU.

Labels are integers (lists, numpy arrays or CPU tensors). Every function rejects empty input,
mismatched lengths and labels outside the label set with a message that says what was expected.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def accuracy(gold: Any, pred: Any) -> float:
    """Fraction of positions where `pred` equals `gold` (both [n])."""
    gold_array, pred_array = _paired_labels(gold, pred)
    return float(np.mean(gold_array == pred_array))


def confusion_matrix(gold: Any, pred: Any, num_classes: int) -> np.ndarray:
    """Counts [num_classes, num_classes]: entry [g, p] is how many examples of gold class g were predicted p."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    gold_array, pred_array = _paired_labels(gold, pred)
    for name, values in (("gold", gold_array), ("pred", pred_array)):
        outside = values[(values < 0) | (values >= num_classes)]
        if outside.size:
            raise ValueError(f"{name} label {outside[0]} is outside the label set: expected labels in "
                             f"[0, {num_classes}) but got {sorted(set(outside.tolist()))[:5]}")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (gold_array, pred_array), 1)
    return matrix


def macro_f1(gold: Any, pred: Any, labels: Sequence[int] | None = None) -> float:
    """Unweighted mean over classes of F1 = 2 P R / (P + R).

    `labels`: the label set (default: every label seen in gold or pred). A class with no gold and no
    predicted examples, or with P + R = 0, scores 0 (as scikit-learn's ``zero_division=0``).
    """
    gold_array, pred_array = _paired_labels(gold, pred)
    seen = sorted(set(gold_array.tolist()) | set(pred_array.tolist()))
    if labels is None:
        labels = seen
    labels = [int(label) for label in labels]
    if not labels:
        raise ValueError("macro_f1 got an empty label set; pass labels=None or a list of class labels")
    outside = sorted(set(seen) - set(labels))
    if outside:
        raise ValueError(f"labels {outside} are outside the label set: expected labels in {labels}")
    scores = []
    for label in labels:
        true_pos = int(np.sum((pred_array == label) & (gold_array == label)))
        predicted, actual = int(np.sum(pred_array == label)), int(np.sum(gold_array == label))
        scores.append(0.0 if predicted + actual == 0 else 2 * true_pos / (predicted + actual))
    return float(np.mean(scores))


def perplexity(total_nll: float, num_tokens: int) -> float:
    """``exp(total_nll / num_tokens)``: `total_nll` is the summed negative log-likelihood (natural log)."""
    if not isinstance(num_tokens, int | np.integer) or num_tokens <= 0:
        raise ValueError(f"num_tokens must be a positive int (tokens predicted), got {num_tokens!r}")
    total_nll = float(total_nll)
    if not math.isfinite(total_nll) or total_nll < 0:
        raise ValueError(f"total_nll must be a finite sum of negative log-likelihoods (>= 0), got {total_nll}")
    mean = total_nll / int(num_tokens)
    return math.exp(mean) if mean < 700 else math.inf


@dataclass(frozen=True)
class Bleu:
    """A corpus BLEU score (0-100) and the sacreBLEU signature that says how it was computed."""

    score: float
    signature: str


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> Bleu:
    """sacreBLEU's corpus BLEU of detokenised `hypotheses` against one untouched reference each.

    sacreBLEU's defaults (13a tokenisation, case-sensitive, exponential smoothing) are the figure a
    paper reports; `lowercase` gives the case-insensitive score (``sacrebleu -lc``), signed ``case:lc``.
    Pass text, not token lists: detokenise first.
    """
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"expected one reference per hypothesis but got {len(hypotheses)} hypotheses "
                         f"and {len(references)} references")
    if len(hypotheses) == 0:
        raise ValueError("corpus_bleu got no sentences; give at least one hypothesis and reference")
    for name, texts in (("hypotheses", hypotheses), ("references", references)):
        bad = next((text for text in texts if not isinstance(text, str)), None)
        if bad is not None:
            raise TypeError(f"{name} must be strings but got {type(bad).__name__} {bad!r}; "
                            "detokenise token lists into text first")
    metric = sacrebleu.BLEU(lowercase=lowercase)
    score = metric.corpus_score(list(hypotheses), [list(references)]).score
    return Bleu(float(score), str(metric.get_signature()))


def _paired_labels(gold: Any, pred: Any) -> tuple[np.ndarray, np.ndarray]:
    gold_array, pred_array = _labels(gold, "gold"), _labels(pred, "pred")
    if gold_array.shape != pred_array.shape:
        raise ValueError(f"expected as many predictions as gold labels but got {len(gold_array)} gold and "
                         f"{len(pred_array)} predicted")
    if gold_array.size == 0:
        raise ValueError("got no labels; metrics need at least one example")
    return gold_array, pred_array


def _labels(values: Any, name: str) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of labels [n], got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)):
            return array.astype(np.int64)
        raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}; "
                        "take argmax of scores first")
    return array.astype(np.int64)
