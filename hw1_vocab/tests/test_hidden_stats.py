"""Hidden checks: larger random corpora against direct references, and edge cases."""
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from common.vocabulary import Vocabulary
from hw1_vocab.counting import count_tokens, type_token_counts
from hw1_vocab.coverage import top_k_coverage, types_for_coverage
from hw1_vocab.oov import oov_rate
from hw1_vocab.zipf import fit_zipf_exponent, rank_frequency

pytestmark = pytest.mark.hidden


def random_corpus(seed: int, sentences: int = 300) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(400)]
    weights = 1 / np.arange(1, 401)
    weights /= weights.sum()
    return [list(rng.choice(words, size=rng.integers(0, 15), p=weights)) for _ in range(sentences)]


@pytest.mark.task_counts
@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [1, 2])
def test_counts_match_a_flat_counter(seed):
    corpus = random_corpus(seed)
    flat = [token for sentence in corpus for token in sentence]
    expected = Counter(flat)
    assert count_tokens(corpus) == expected, "expected the counts of the flattened corpus"
    assert type_token_counts(expected) == (len(expected), len(flat)), "expected (distinct tokens, all tokens)"


@pytest.mark.task_coverage
@pytest.mark.points(1)
def test_coverage_matches_sorted_cumulative_sums():
    counts = count_tokens(random_corpus(3))
    cumulative = np.cumsum(sorted(counts.values(), reverse=True)) / sum(counts.values())
    for k in (1, 7, 50, len(counts)):
        got = top_k_coverage(counts, k)
        assert got == pytest.approx(cumulative[k - 1]), f"k={k}: expected {cumulative[k - 1]} but got {got}"
    for share in (0.2, 0.6, 0.95):
        expected = int(np.argmax(cumulative >= share)) + 1
        assert types_for_coverage(counts, share) == expected, f"share {share}: expected {expected}"


@pytest.mark.task_oov
@pytest.mark.points(1)
def test_oov_rate_matches_a_direct_count():
    train, dev = random_corpus(4), random_corpus(5, sentences=100)
    counts = count_tokens(train)
    vocab = Vocabulary(counts, specials=("<unk>",), min_freq=3)
    dev_tokens = [token for sentence in dev for token in sentence]
    expected = sum(counts[token] < 3 for token in dev_tokens) / len(dev_tokens)
    assert oov_rate(iter(dev), vocab) == pytest.approx(expected), f"expected {expected}"


@pytest.mark.task_zipf
@pytest.mark.points(1)
def test_zipf_fit_on_rank_frequency_matches_scipy():
    ranks, frequencies = rank_frequency(count_tokens(random_corpus(6, sentences=2000)))
    assert np.all(np.diff(frequencies) <= 0), "expected frequencies sorted from largest to smallest"
    reference = stats.linregress(np.log(ranks), np.log(frequencies))
    fit = fit_zipf_exponent(ranks, frequencies)
    assert fit.exponent == pytest.approx(-reference.slope), f"expected {-reference.slope} but got {fit.exponent}"
    assert fit.predict(np.array([1.0]))[0] == pytest.approx(np.exp(reference.intercept))


@pytest.mark.task_zipf
@pytest.mark.points(1)
def test_rank_frequency_of_an_empty_corpus_is_a_clear_error():
    assert rank_frequency({"a": 1})[1].tolist() == [1], "expected one frequency for one type"
    with pytest.raises(ValueError, match="(?i)empty|positive"):
        rank_frequency({})
