"""Task: counting tokens and types (counting.py)."""
from collections import Counter

import pytest

from hw1_vocab.counting import count_tokens, type_token_counts

pytestmark = pytest.mark.task_counts

CORPUS = [["the", "cat", "sat"], ["the", "dog"], [], ["The", "cat", "."]]


@pytest.mark.points(2)
def test_count_tokens_by_hand():
    counts = count_tokens(CORPUS)
    expected = {"the": 2, "cat": 2, "sat": 1, "dog": 1, "The": 1, ".": 1}
    assert dict(counts) == expected, f"expected {expected} but got {dict(counts)}"
    assert isinstance(counts, Counter), f"expected a collections.Counter but got {type(counts).__name__}"


@pytest.mark.points(1)
def test_count_tokens_accepts_a_generator_and_keeps_case():
    counts = count_tokens(tokens for tokens in CORPUS)
    assert counts["the"] == 2 and counts["The"] == 1, f"expected the=2, The=1 (case kept) but got {dict(counts)}"


@pytest.mark.points(1)
def test_type_token_counts_by_hand():
    result = type_token_counts(count_tokens(CORPUS))
    assert result == (6, 8), f"expected (6 types, 8 tokens) but got {result}"


@pytest.mark.points(1)
def test_type_token_counts_ignores_zero_counts():
    result = type_token_counts({"a": 3, "b": 0, "c": 1})
    assert result == (2, 4), f"expected (2, 4): a type with count 0 does not occur, but got {result}"


@pytest.mark.points(1)
@pytest.mark.parametrize("corpus", [[], [[], []]], ids=["no sentences", "only empty sentences"])
def test_empty_corpus_is_a_clear_error(corpus):
    with pytest.raises(ValueError, match="(?i)empty|no tokens"):
        count_tokens(corpus)
