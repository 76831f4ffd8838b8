"""common/skipgram.py: subsampling, dynamic-window pairs (hand-worked), unigram^0.75 negatives, batches."""
from __future__ import annotations

import numpy as np
import pytest

from common.skipgram import NegativeSampler, SkipGramData, skipgram_pairs, subsample_probabilities
from common.vocabulary import Vocabulary


class FixedReach:
    """A stand-in generator whose window sizes are given (skipgram_pairs draws them with integers)."""

    def __init__(self, reach: list[int]) -> None:
        self.reach = np.array(reach)

    def integers(self, low: int, high: int, size: int) -> np.ndarray:
        assert len(self.reach) == size and low == 1 and all(low <= r < high for r in self.reach)
        return self.reach


def test_pairs_hand_worked_example_with_duplicates() -> None:
    # "a b a c" = ids [7, 8, 7, 9], window 2, drawn sizes [2, 1, 2, 1]:
    # pos 0 (a, size 2): b a | pos 1 (b, size 1): a a | pos 2 (a, size 2): a b c | pos 3 (c, size 1): a
    targets, contexts = skipgram_pairs(np.array([7, 8, 7, 9]), 2, FixedReach([2, 1, 2, 1]))
    expected = [(7, 8), (7, 7), (8, 7), (8, 7), (7, 7), (7, 8), (7, 9), (9, 7)]
    got = list(zip(targets.tolist(), contexts.tolist(), strict=True))
    assert got == expected, f"expected {expected} but got {got}"


def test_pairs_never_cross_sentences() -> None:
    targets, contexts = skipgram_pairs(np.array([7, 8, 7, 9]), 2, FixedReach([2, 1, 2, 1]), np.array([0, 0, 1, 1]))
    got = list(zip(targets.tolist(), contexts.tolist(), strict=True))
    assert got == [(7, 8), (8, 7), (7, 9), (9, 7)], f"expected pairs inside each sentence but got {got}"


def test_dynamic_window_distance_distribution() -> None:
    # distance o is used when the drawn size is >= o: probability (w - o + 1) / w
    n, window = 20000, 4
    ids = np.arange(n)
    targets, contexts = skipgram_pairs(ids, window, np.random.default_rng(0))
    distances = np.abs(targets - contexts)
    for o in range(1, window + 1):
        expected_pairs = 2 * n * (window - o + 1) / window
        got_pairs = np.sum(distances == o)
        assert abs(got_pairs - expected_pairs) < 0.03 * expected_pairs, (
            f"distance {o}: expected about {expected_pairs:.0f} pairs but got {got_pairs}"
        )


def test_pairs_same_seed_same_pairs_and_errors() -> None:
    ids = np.random.default_rng(1).integers(0, 50, size=300)
    a = skipgram_pairs(ids, 3, np.random.default_rng(5))
    b = skipgram_pairs(ids, 3, np.random.default_rng(5))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="window"):
        skipgram_pairs(ids, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="1-D integer"):
        skipgram_pairs(ids.astype(float), 2, np.random.default_rng(0))


def test_subsample_probabilities_formula() -> None:
    counts = np.array([900, 90, 10, 0])  # total 1000, f = 0.9, 0.09, 0.01
    keep = subsample_probabilities(counts, 0.01)
    ratio = 0.01 / np.array([0.9, 0.09])
    expected = np.sqrt(ratio) + ratio
    assert np.allclose(keep[:2], expected), f"expected {expected} but got {keep[:2]}"
    assert keep[2] == 1.0 and keep[3] == 1.0, f"words with f <= t are always kept, got {keep[2:]}"
    assert np.array_equal(subsample_probabilities(counts, 0.0), np.ones(4))


def test_negative_sampler_matches_unigram_power() -> None:
    counts = np.array([1000, 300, 50, 5, 0, 120])
    sampler = NegativeSampler(counts, power=0.75)
    expected = counts**0.75 / np.sum(counts**0.75)
    assert np.allclose(sampler.probabilities, expected), f"expected {expected} but got {sampler.probabilities}"
    n = 400_000
    draws = sampler.sample((n // 4, 4), np.random.default_rng(0))
    assert draws.shape == (n // 4, 4) and np.issubdtype(draws.dtype, np.integer)
    observed = np.bincount(draws.ravel(), minlength=len(counts)) / n
    tolerance = 5 * np.sqrt(expected * (1 - expected) / n) + 1e-12
    assert np.all(np.abs(observed - expected) <= tolerance), f"expected {expected} but got {observed}"
    assert observed[4] == 0, "a word with count 0 must never be drawn"


def test_negative_sampler_same_seed_same_draws() -> None:
    sampler = NegativeSampler(np.arange(1, 101))
    a = sampler.sample((10, 5), np.random.default_rng(3))
    b = sampler.sample((10, 5), np.random.default_rng(3))
    assert np.array_equal(a, b)


SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log", "zebra"]] * 20


def make_data(**kwargs) -> SkipGramData:
    vocab = Vocabulary.from_tokens(SENTENCES, specials=(), min_freq=2)
    settings = {"window": 2, "negatives": 3, "subsample": 0.0, "seed": 0, **kwargs}
    return SkipGramData(SENTENCES, vocab, **settings)


def test_skipgram_data_batches_deterministic_and_shaped() -> None:
    data = make_data()
    assert "zebra" in data.vocab and data.num_tokens == sum(map(len, SENTENCES))
    first = list(make_data().epoch_batches(0, 16))
    second = list(make_data().epoch_batches(0, 16))
    assert len(first) == len(make_data().epoch_batches(0, 16))
    for (t1, c1, n1), (t2, c2, n2) in zip(first, second, strict=True):
        assert np.array_equal(t1, t2) and np.array_equal(c1, c2) and np.array_equal(n1, n2)
        assert t1.shape == c1.shape and n1.shape == (len(t1), 3)
    other_epoch = next(iter(make_data().epoch_batches(1, 16)))
    assert not np.array_equal(other_epoch[0], first[0][0]), "a new epoch must shuffle differently"


def test_an_epoch_continues_from_its_saved_position_with_the_same_negatives() -> None:
    whole = list(make_data().epoch_batches(0, 16))
    first = make_data().epoch_batches(0, 16)
    read = [first[0], first[1]]
    state = first.state_dict()
    later = make_data().epoch_batches(0, 16)
    later.load_state_dict(state)
    for (t1, c1, n1), (t2, c2, n2) in zip(whole, read + list(later), strict=True):
        assert np.array_equal(t1, t2) and np.array_equal(c1, c2) and np.array_equal(n1, n2), (
            "expected the batches after a saved position to be those of an epoch read without a break")
    with pytest.raises(ValueError, match="expected batch 0 next but got a request for batch 2"):
        make_data().epoch_batches(0, 16)[2]
    with pytest.raises(IndexError):
        first[len(first)]


def test_skipgram_data_drops_oov_and_checks_input() -> None:
    vocab = Vocabulary.from_tokens([["the", "cat"]] * 3, specials=())
    data = SkipGramData([["the", "unknown", "cat", "the", "cat"]], vocab, window=1, negatives=1, subsample=0, seed=0)
    expected = vocab.tokens_to_indices(["the", "cat", "the", "cat"])
    assert data.ids.tolist() == expected, f"expected {expected} (unknown dropped) but got {data.ids.tolist()}"
    with pytest.raises(ValueError, match="smaller window"):
        SkipGramData([["the", "cat"]], vocab, window=5, negatives=1, subsample=0, seed=0)
    with pytest.raises(ValueError, match="negatives must be an integer >= 1"):
        make_data(negatives=0)


def test_subsampling_thins_frequent_words() -> None:
    data = make_data(subsample=0.01)
    targets = np.concatenate([t for t, _, _ in data.epoch_batches(0, 1000)])
    plain = np.concatenate([t for t, _, _ in make_data().epoch_batches(0, 1000)])
    the = data.vocab.token_to_index("the")
    assert np.sum(targets == the) < 0.8 * np.sum(plain == the), "subsampling should drop some of 'the'"
