"""Zipf's law: a type's frequency falls off as a power of its frequency rank.

Sort the types by count; the type at rank r (1 = most frequent) occurs about f(r) = C / r**s times,
with s close to 1 for natural text. Taking logs gives a straight line,
``log f = log C - s * log r``, so a least-squares line through the points (log r, log f) estimates
the exponent s (minus its slope) and log C (its intercept).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ZipfFit:
    """The least-squares line ``log f = log_constant - exponent * log r`` (natural logs)."""

    exponent: float
    log_constant: float

    def predict(self, ranks: np.ndarray) -> np.ndarray:
        """Fitted frequencies C / r**s at `ranks` ([n] -> [n])."""
        return np.exp(self.log_constant - self.exponent * np.log(np.asarray(ranks, dtype=np.float64)))


def rank_frequency(counts: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Ranks and frequencies, most frequent type first.

    Args:
        counts: type -> count (at least one type with a positive count).

    Returns:
        ``(ranks, frequencies)``, both int64 arrays of shape [num_types]: ranks are 1, 2, ..., and
        frequencies are the counts sorted from largest to smallest (types with count 0 left out).
    """
    # TODO (about 5 lines)
    # BEGIN SOLUTION
    frequencies = np.array(sorted((c for c in counts.values() if c > 0), reverse=True), dtype=np.int64)
    if frequencies.size == 0:
        raise ValueError("rank_frequency needs at least one type with a positive count; the corpus is empty")
    ranks = np.arange(1, frequencies.size + 1, dtype=np.int64)
    return ranks, frequencies
    # END SOLUTION


def fit_zipf_exponent(ranks: np.ndarray, frequencies: np.ndarray) -> ZipfFit:
    """Least-squares fit of ``log f = log C - s * log r`` through the points (log r, log f).

    Args:
        ranks: [n] positive ranks (need not be consecutive), at least 2 distinct values.
        frequencies: [n] positive frequencies, aligned with `ranks`.

    Returns:
        ZipfFit(exponent=s, log_constant=log C): s is minus the slope, log C the intercept.
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    frequencies = np.asarray(frequencies, dtype=np.float64)
    if ranks.ndim != 1 or ranks.shape != frequencies.shape:
        raise ValueError(f"expected ranks and frequencies of the same shape [n], got {ranks.shape} and "
                         f"{frequencies.shape}")
    if np.any(ranks <= 0) or np.any(frequencies <= 0):
        raise ValueError("ranks and frequencies must be positive (logs are taken); drop zero counts first")
    if np.unique(ranks).size < 2:
        raise ValueError(f"a line needs at least 2 distinct ranks, got {np.unique(ranks).size}")
    # TODO (about 5 lines): x = log ranks, y = log frequencies; slope = cov(x, y) / var(x);
    # intercept = mean(y) - slope * mean(x).
    # BEGIN SOLUTION
    x, y = np.log(ranks), np.log(frequencies)
    x_centred = x - x.mean()
    slope = float(np.dot(x_centred, y - y.mean()) / np.dot(x_centred, x_centred))
    intercept = float(y.mean() - slope * x.mean())
    return ZipfFit(exponent=-slope, log_constant=intercept)
    # END SOLUTION
