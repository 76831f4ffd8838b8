"""The feed-forward model against the Kneser–Ney baseline (given code): the baseline counted and
scored, the three models' perplexities (feed-forward, Kneser–Ney, their interpolation tuned on dev),
and the learning curves.

    kn = score_kneser_ney(corpus, 5)                         # log p of every dev and test word under KN5
    results, weight = compare(nn_dev, nn_test, kn)           # {model: (dev, test) perplexity}, λ
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.plots import plot_curves
from common.vocabulary import BOS
from hw5_fflm.data import Corpus
from hw5_fflm.evaluate import interpolate, perplexity_of, tune_weight
from hw5_fflm.ngram import KneserNey
from hw5_fflm.train import History

Perplexities = dict[str, tuple[float, float]]  # model name -> (dev, test) perplexity


@dataclass
class KneserNeyScores:
    """dev, test: log p [N] of every word of dev and test under the n-gram model; seconds to count and score."""

    order: int
    dev: np.ndarray
    test: np.ndarray
    seconds: float

    @property
    def name(self) -> str:
        return f"KN{self.order}"


def score_kneser_ney(corpus: Corpus, order: int) -> KneserNeyScores:
    """Count train's n-grams of `order` (interpolated modified Kneser–Ney) and score dev and test; a
    resumed run counts them again (the same numbers)."""
    start = time.perf_counter()
    kn = KneserNey(order, len(corpus.vocab), corpus.vocab.token_to_index(BOS))
    kn.fit(corpus.windows(corpus.train, order - 1).stacked())
    dev, test = (kn.log_probabilities(corpus.windows(split, order - 1).stacked())
                 for split in (corpus.dev, corpus.test))
    return KneserNeyScores(order, dev, test, time.perf_counter() - start)


def compare(nn_dev: np.ndarray, nn_test: np.ndarray, kn: KneserNeyScores) -> tuple[Perplexities, float]:
    """(dev, test) perplexity of the feed-forward model, Kneser–Ney and their interpolation, whose
    weight of the feed-forward model (returned beside) is tuned on dev."""
    weight = tune_weight(nn_dev, kn.dev)
    results = {
        "feed-forward": (perplexity_of(nn_dev), perplexity_of(nn_test)),
        kn.name: (perplexity_of(kn.dev), perplexity_of(kn.test)),
        "interpolated": (perplexity_of(interpolate(nn_dev, kn.dev, weight)),
                         perplexity_of(interpolate(nn_test, kn.test, weight))),
    }
    return results, weight


def plot_learning_curves(history: History, kn_dev: float, kn_name: str, corpus: Corpus, path: Path) -> None:
    """Training (dropout on) and development perplexity per epoch, the n-gram model's dev perplexity beside."""
    epochs = list(range(1, len(history.dev_perplexity) + 1))
    plot_curves({"train (dropout on)": (epochs, history.train_perplexity),
                 corpus.dev: (epochs, history.dev_perplexity),
                 f"{kn_name} {corpus.dev}": (epochs, [kn_dev] * len(epochs))},
                path, xlabel="epoch", ylabel="perplexity", logy=True,
                title=f"feed-forward LM (edugrad) on {corpus.name}")
