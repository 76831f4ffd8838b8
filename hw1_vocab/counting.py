"""Counting: how many times each token type occurs in a corpus, and the type/token totals.

A *token* is one running word in the text; a *type* is a distinct token string. In
``[["the", "cat"], ["the", "dog"]]`` there are 4 tokens and 3 types (the, cat, dog).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence


def count_tokens(sentences: Iterable[Sequence[str]]) -> Counter[str]:
    """Count every token occurrence in a corpus.

    Args:
        sentences: the corpus, one token list per sentence (already tokenised; case as given).

    Returns:
        A Counter mapping each type to its number of occurrences (only types that occur).

    Raises:
        ValueError: if the corpus has no tokens at all (no sentences, or only empty ones); the
            message should say that the corpus is empty and to check the data path/split.
    """
    # TODO (about 6 lines): update a Counter sentence by sentence; raise ValueError for an empty corpus.
    # BEGIN SOLUTION
    counts: Counter[str] = Counter()
    for tokens in sentences:
        counts.update(tokens)
    if not counts:
        raise ValueError("the corpus has no tokens; check that the data path and split point at a non-empty corpus")
    return counts
    # END SOLUTION


def type_token_counts(counts: Mapping[str, int]) -> tuple[int, int]:
    """``(number of types, number of tokens)`` for the counts of a corpus.

    Types with a count of 0 (possible in a hand-made mapping) are not types of the corpus.

    >>> type_token_counts({"the": 2, "cat": 1, "dog": 1})
    (3, 4)
    """
    # TODO (about 3 lines)
    # BEGIN SOLUTION
    num_types = sum(1 for count in counts.values() if count > 0)
    num_tokens = sum(counts.values())
    return num_types, num_tokens
    # END SOLUTION
