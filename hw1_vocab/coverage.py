"""Coverage: what share of the training tokens the most frequent types account for.

If a corpus has 100 tokens and its 3 most frequent types occur 30, 20 and 10 times, the top-3
coverage is (30 + 20 + 10) / 100 = 0.6. A handful of frequent types cover a large share of any
text (Zipf's law), which is why a vocabulary of a few thousand types already covers most tokens.
"""
from __future__ import annotations

from collections.abc import Mapping


def top_k_coverage(counts: Mapping[str, int], k: int) -> float:
    """Share of all tokens that are occurrences of the `k` most frequent types.

    Args:
        counts: type -> count for a corpus with at least one token.
        k: how many of the most frequent types to keep (k >= 1; k above the number of types -> 1.0).

    Returns:
        A float in (0, 1]. Ties in frequency do not change the answer (tied types add the same count).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if sum(counts.values()) <= 0:
        raise ValueError("top_k_coverage needs counts with at least one token; the corpus is empty")
    # TODO (about 2 lines): sort the counts from largest to smallest and add up the first k.
    # BEGIN SOLUTION
    ranked = sorted(counts.values(), reverse=True)
    return sum(ranked[:k]) / sum(ranked)
    # END SOLUTION


def types_for_coverage(counts: Mapping[str, int], share: float) -> int:
    """The smallest k such that ``top_k_coverage(counts, k) >= share`` (0 < share <= 1).

    With counts 30, 20, 10, ... out of 100 tokens: share 0.5 -> 2 (30 + 20 = 50 reaches 50 %),
    share 0.55 -> 3.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    if sum(counts.values()) <= 0:
        raise ValueError("types_for_coverage needs counts with at least one token; the corpus is empty")
    # TODO (about 7 lines): walk down the sorted counts until running_total / total >= share (divide as top_k_coverage
    # does, so that the two functions agree exactly: 0.3 * 100 is 30.000000000000004 in floating point).
    # BEGIN SOLUTION
    ranked = sorted(counts.values(), reverse=True)
    total, running = sum(ranked), 0
    for k, count in enumerate(ranked, start=1):
        running += count
        if running / total >= share:
            return k
    return len(ranked)
    # END SOLUTION
