"""The given Kneser–Ney model: it normalises over the vocabulary for any context, and it agrees with
a direct (slow, dictionary-based) implementation of the interpolated modified Kneser–Ney formula.
Given code: these tests carry no points."""
from collections import Counter, defaultdict

import numpy as np
import pytest

from hw5_fflm.ngram import KneserNey, _modified_discounts

pytestmark = pytest.mark.points(0)
BOS = 2
CORPUS = [[3, 4, 5, 6, 4, 5, 7], [4, 5, 3, 3, 3, 4], [8, 5, 4, 6, 3, 4, 5, 5], [6, 6, 7, 4, 5, 3], [3, 9, 4]]


def stacked_windows(sentences, order):
    rows = []
    for sentence in sentences:
        padded = [BOS] * (order - 1) + sentence + [1]
        rows += [padded[i : i + order] for i in range(len(padded) - order + 1)]
    return np.array(rows)


def reference_probability(windows: np.ndarray, order: int, vocab_size: int, window: list[int]) -> float:
    """Interpolated modified KN, straight from the formula with dictionaries (slow, for checking)."""
    counts = [Counter() for _ in range(order + 1)]  # counts[k][k-gram]: raw (k = n) or continuation
    for row in map(tuple, windows):
        counts[order][row] += 1
    for k in range(order - 1, 0, -1):
        for gram in counts[k + 1]:
            counts[k][gram[1:]] += 1
    p = 1.0 / (vocab_size - 1)
    for k in range(1, order + 1):
        n = np.bincount(list(counts[k].values()), minlength=5)[1:5]
        discounts = _modified_discounts(n)
        history = tuple(window[order - k : order - 1])
        after = defaultdict(int)
        for gram, count in counts[k].items():
            if gram[:-1] == history:
                after[gram[-1]] = count
        total = sum(after.values())
        if total == 0:
            continue
        mass = sum(discounts[min(c, 3)] for c in after.values())
        count = after.get(window[-1], 0)
        p = (max(count - discounts[min(count, 3)], 0.0) + mass * p) / total
    return p


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_probabilities_sum_to_one_for_any_context(order):
    model = KneserNey(order, 10, BOS).fit(stacked_windows(CORPUS, order))
    rng = np.random.default_rng(order)
    contexts = [[BOS] * (order - 1), [3, 4, 5, 6][: order - 1], list(rng.integers(0, 10, order - 1))]
    for context in contexts:
        distribution = model.distribution(np.array(context, dtype=np.int64))
        assert distribution.shape == (10,) and distribution[BOS] == 0.0
        assert np.all(distribution[np.arange(10) != BOS] > 0), f"expected every word > 0 after {context}"
        assert abs(distribution.sum() - 1.0) < 1e-12, (
            f"expected the distribution after {context} to sum to 1, got {distribution.sum()}")


@pytest.mark.parametrize("order", [2, 3])
def test_agrees_with_the_formula_written_with_dictionaries(order):
    windows = stacked_windows(CORPUS, order)
    model = KneserNey(order, 10, BOS).fit(windows)
    queries = np.vstack([windows[:6], stacked_windows([[9, 8, 7, 6], [5, 0, 4]], order)])
    got = model.probabilities(queries)
    expected = [reference_probability(windows, order, 10, list(row)) for row in queries]
    assert np.allclose(got, expected, rtol=1e-12), f"expected {np.round(expected, 6)} but got {np.round(got, 6)}"


def test_discounts_from_count_of_counts():
    # n1..n4 = 10, 4, 2, 1: Y = 10/18, D1 = 1 - 2Y(4/10), D2 = 2 - 3Y(2/4), D3+ = 3 - 4Y(1/2)
    y = 10 / 18
    expected = [0, 1 - 2 * y * 0.4, 2 - 3 * y * 0.5, 3 - 4 * y * 0.5]
    assert np.allclose(_modified_discounts(np.array([10, 4, 2, 1])), expected)
    # too few counts for the formula: one absolute discount Y, or 0.5 when Y is not in (0, 1)
    assert np.allclose(_modified_discounts(np.array([10, 4, 0, 0])), [0, y, y, y])
    assert np.allclose(_modified_discounts(np.array([3, 0, 0, 0])), [0, 0.5, 0.5, 0.5])


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="order"):
        KneserNey(0, 10, BOS)
    model = KneserNey(3, 10, BOS)
    with pytest.raises(ValueError, match=r"\[N, 3\]"):
        model.fit(np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="empty"):
        model.fit(np.zeros((0, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="fit"):
        model.probabilities(np.zeros((1, 3), dtype=np.int64))
