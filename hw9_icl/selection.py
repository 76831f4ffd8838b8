"""Choosing the k demonstrations (students' part: get_k_examples).

Strategies: ``random`` (k training examples uniformly without replacement), ``balanced`` (as many of each
class as possible, the remainder given to randomly chosen classes, then shuffled) and ``nearest`` (the k
training examples whose sentence embeddings have the highest cosine similarity with the test review's).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from hw9_icl.prompts import Demonstration

Strategy = Literal["random", "balanced", "nearest"]
STRATEGIES = ("random", "balanced", "nearest")


def get_k_examples(
    train: Sequence[Demonstration],
    k: int,
    strategy: Strategy,
    seed: int,
    query_vector: np.ndarray | None = None,
    train_vectors: np.ndarray | None = None,
) -> list[int]:
    """Indices into `train` of k demonstrations, in prompt order.

    random:   ``np.random.default_rng(seed).choice(len(train), size=k, replace=False)``, in that order.
    balanced: with C classes, k // C of each class plus one more for k % C classes drawn at random
              (``rng.choice(C, k % C, replace=False)``); each class's examples drawn without replacement
              with ``rng.choice``; finally the k indices shuffled with ``rng.permutation``. One
              ``rng = np.random.default_rng(seed)`` is used for all draws, classes in increasing order.
    nearest:  cosine similarity of `query_vector` [d] with each row of `train_vectors` [N, d]; the k most
              similar, ordered from least to most similar (the nearest sits next to the test review);
              of equally similar examples the lower index counts as the more similar. `seed` is not used.
    Raises ValueError when k is negative or larger than what `train` (or a class of it) holds (the message
    names the class), and when ``nearest`` is asked for without vectors.
    """
    if k < 0 or k > len(train):
        raise ValueError(f"k = {k} demonstrations asked for, but the training pool has {len(train)} examples; "
                         "choose 0 <= k <= the pool size (raise --pool_size or lower k)")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if strategy == "nearest" and (query_vector is None or train_vectors is None):
        raise ValueError("strategy 'nearest' needs query_vector [d] and train_vectors [N, d] (sentence embeddings)")
    # TODO: the three strategies (about 20 lines); np.argsort(-similarity, kind="stable") gives the ranking.
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return [int(i) for i in rng.choice(len(train), size=k, replace=False)]
    if strategy == "balanced":
        labels = np.array([example.label for example in train])
        classes = np.unique(labels)
        counts = np.full(len(classes), k // len(classes))
        counts[rng.choice(len(classes), size=k % len(classes), replace=False)] += 1
        chosen = []
        for label, count in zip(classes, counts, strict=True):
            members = np.flatnonzero(labels == label)
            if count > len(members):
                raise ValueError(f"balanced selection needs {count} examples of class {label} but the pool has "
                                 f"{len(members)}; lower k or enlarge the pool")
            chosen.extend(rng.choice(members, size=count, replace=False))
        return [int(i) for i in rng.permutation(chosen)]
    vectors = np.asarray(train_vectors, dtype=np.float64)  # (N, d)
    query = np.asarray(query_vector, dtype=np.float64)     # (d,)
    similarity = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-12)  # (N,)
    nearest = np.argsort(-similarity, kind="stable")[:k]
    return [int(i) for i in nearest[::-1]]
    # END SOLUTION


def order_examples(indices: Sequence[int], order: str, seed: int) -> list[int]:
    """Reorder selected demonstrations: ``as_selected`` keeps them, ``reversed`` flips them (for nearest:
    the most similar first), ``shuffled`` permutes them with `seed`."""
    if order == "as_selected":
        return list(indices)
    if order == "reversed":
        return list(indices)[::-1]
    if order == "shuffled":
        return [int(i) for i in np.random.default_rng(seed).permutation(list(indices))] if len(indices) else []
    raise ValueError(f"unknown order {order!r}; choose as_selected, reversed or shuffled")
