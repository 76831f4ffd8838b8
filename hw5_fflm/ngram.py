"""Interpolated modified Kneser–Ney n-gram language model (given code: the baseline to beat).

Chen & Goodman (1999). For the highest order n and a history h (the previous n−1 words),

    p(w | h) = max(c(hw) − D(c(hw)), 0) / c(h)  +  γ(h) · p_lower(w | h')      h' = h without its first word
    γ(h)     = (D1 · N1(h•) + D2 · N2(h•) + D3+ · N3+(h•)) / c(h)

where N1(h•), N2(h•), N3+(h•) count the words seen exactly once, twice, three or more times after h,
and the three discounts come from the count-of-counts n1..n4 of that order:
Y = n1 / (n1 + 2 n2), D1 = 1 − 2Y n2/n1, D2 = 2 − 3Y n3/n2, D3+ = 3 − 4Y n4/n3.
Lower orders use the same formula with *continuation counts* N1+(•hw) — the number of different
words seen before hw — in place of c(hw): a word that follows many contexts is a good guess in a new
one. The unigram level is interpolated with the uniform distribution, so every word of the
vocabulary has some probability. A history never seen in training backs off to the lower order
entirely (γ = 1). Each level sums to 1 over the vocabulary, so the model does for every context.

Everything is numpy on integer ids. An n-gram gets an id from the id of its last n−1 words and its
first word (key = id(suffix) · V + first word), so the ids of a window's n-grams ending at the
target are found order after order with `np.searchsorted` on sorted key tables. The full PTB
train (930k windows) is counted for n = 5 in well under a minute.
"""
from __future__ import annotations

import numpy as np


class KneserNey:
    """An interpolated modified Kneser–Ney model of order `order` over `vocab_size` word ids.

    Fit and score *windows*: an int array [N, order] whose last column is the predicted word and
    whose first order−1 columns are its history, padded at the start of a sentence with `bos`
    (the same windows the neural model trains on; see windows.py). `bos` is never predicted: the
    distribution covers the other vocab_size − 1 ids.
    """

    def __init__(self, order: int, vocab_size: int, bos: int):
        if order < 1:
            raise ValueError(f"the n-gram order must be >= 1 but got {order}")
        if not 0 <= bos < vocab_size:
            raise ValueError(f"bos must be a word id in [0, {vocab_size}) but got {bos}")
        self.order, self.vocab_size, self.bos = order, vocab_size, bos
        self.keys: list[np.ndarray] = []        # per order k = 1..n: sorted unique keys of the k-grams
        self.counts: list[np.ndarray] = []      # per order: count (k = n) or continuation count (k < n)
        self.totals: list[np.ndarray] = []      # per order: sum of counts after each history (a (k−1)-gram id)
        self.backoff: list[np.ndarray] = []     # per order: D1 N1 + D2 N2 + D3+ N3+ for each history
        self.discounts: list[np.ndarray] = []   # per order: [0, D1, D2, D3+], indexed by min(count, 3)

    # ---- fitting --------------------------------------------------------------------------------
    def fit(self, windows: np.ndarray) -> KneserNey:
        """Count the n-grams of `windows` [N, order] (int) and set the discounts; returns self."""
        windows = self._checked(windows)
        n, size = self.order, self.vocab_size
        # target_ids[k]: id of the k-gram ending at each window's word (k = 0: the empty n-gram);
        # context_ids[k]: id of the k-gram ending the window's history (order k+1's history)
        target_ids = [np.zeros(len(windows), dtype=np.int64)]
        context_ids = [np.zeros(len(windows), dtype=np.int64)]
        for k in range(1, n + 1):
            target_keys = target_ids[-1] * size + windows[:, n - k]
            context_keys = context_ids[-1] * size + windows[:, n - 1 - k] if k < n else target_keys[:0]
            keys = np.unique(np.concatenate([target_keys, context_keys]))
            self.keys.append(keys)
            target_ids.append(np.searchsorted(keys, target_keys))
            context_ids.append(np.searchsorted(keys, context_keys))
        for k in range(1, n + 1):
            if k == n:
                counts = np.bincount(target_ids[k], minlength=len(self.keys[k - 1]))
            else:  # continuation counts: how many different (k+1)-grams end with each k-gram
                _, first = np.unique(target_ids[k + 1], return_index=True)
                counts = np.bincount(target_ids[k][first], minlength=len(self.keys[k - 1]))
            self._set_order(k, counts, target_ids[k], context_ids[k - 1])
        return self

    def _set_order(self, k: int, counts: np.ndarray, ids: np.ndarray, histories: np.ndarray) -> None:
        """Store order k's counts, discounts, and per history the total count and the back-off mass.

        counts: [number of k-grams]; ids: [N] the k-gram ending at each window's word; histories: [N]
        the id of its (k−1)-word history.
        """
        gram_history = np.zeros(len(counts), dtype=np.int64)  # history id of every k-gram
        gram_history[ids] = histories
        seen = counts > 0
        count_of_counts = np.bincount(counts[seen], minlength=5)[1:5]  # n1..n4: how many k-grams occur 1..4 times
        discounts = _modified_discounts(count_of_counts)
        num_histories = 1 if k == 1 else len(self.keys[k - 2])
        self.counts.append(counts)
        self.discounts.append(discounts)
        self.totals.append(np.bincount(gram_history[seen], weights=counts[seen], minlength=num_histories))
        mass = discounts[np.minimum(counts[seen], 3)]
        self.backoff.append(np.bincount(gram_history[seen], weights=mass, minlength=num_histories))

    # ---- scoring --------------------------------------------------------------------------------
    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """p(last word | the rest) for each window [N, order] -> [N] float64."""
        windows = self._checked(windows)
        if not self.keys:
            raise RuntimeError("the model is not fitted: call fit(train_windows) first")
        n, size = self.order, self.vocab_size
        probabilities = np.full(len(windows), 1.0 / (size - 1))  # order 0: uniform over every word but bos
        target_ids = np.zeros(len(windows), dtype=np.int64)
        history_ids = np.zeros(len(windows), dtype=np.int64)  # order k's history: a (k−1)-gram id, −1 unseen
        for k in range(1, n + 1):
            target_ids = _lookup(self.keys[k - 1], target_ids, windows[:, n - k], size)
            counts = np.where(target_ids >= 0, self.counts[k - 1][np.maximum(target_ids, 0)], 0)
            known = history_ids >= 0
            history = np.maximum(history_ids, 0)
            totals = np.where(known, self.totals[k - 1][history], 0.0)
            discounted = np.maximum(counts - self.discounts[k - 1][np.minimum(counts, 3)], 0.0)
            backoff = self.backoff[k - 1][history]
            seen = totals > 0
            probabilities = np.where(seen, (discounted + backoff * probabilities) / np.where(seen, totals, 1.0),
                                     probabilities)
            if k < n:
                history_ids = _lookup(self.keys[k - 1], history_ids, windows[:, n - 1 - k], size)
        return probabilities

    def log_probabilities(self, windows: np.ndarray) -> np.ndarray:
        """Natural log of `probabilities(windows)` -> [N]."""
        return np.log(self.probabilities(windows))

    def distribution(self, context: np.ndarray) -> np.ndarray:
        """p(w | context) for every word id w (0 at bos) for one context [order−1] -> [vocab_size]."""
        context = np.asarray(context, dtype=np.int64).reshape(-1)
        if len(context) != self.order - 1:
            raise ValueError(f"expected a context of {self.order - 1} word ids but got {len(context)}")
        windows = np.column_stack([np.tile(context, (self.vocab_size, 1)), np.arange(self.vocab_size)])
        out = self.probabilities(windows)
        out[self.bos] = 0.0
        return out

    def _checked(self, windows: np.ndarray) -> np.ndarray:
        windows = np.asarray(windows)
        if windows.ndim != 2 or windows.shape[1] != self.order or not np.issubdtype(windows.dtype, np.integer):
            raise ValueError(f"expected integer windows [N, {self.order}] (history then word) but got "
                             f"{windows.dtype} {windows.shape}")
        if len(windows) == 0:
            raise ValueError("got no windows: the corpus is empty")
        if windows.min() < 0 or windows.max() >= self.vocab_size:
            raise ValueError(f"word ids must lie in [0, {self.vocab_size}) but got {windows.min()}..{windows.max()}")
        return windows.astype(np.int64, copy=False)


def _lookup(keys: np.ndarray, suffix_ids: np.ndarray, first_words: np.ndarray, size: int) -> np.ndarray:
    """Ids in `keys` of the n-grams (first word, then the n-gram `suffix_ids`); −1 where unseen."""
    query = np.where(suffix_ids >= 0, suffix_ids * size + first_words, -1)
    position = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where((suffix_ids >= 0) & (keys[position] == query), position, -1)


def _modified_discounts(count_of_counts: np.ndarray) -> np.ndarray:
    """[0, D1, D2, D3+] from n1..n4 (Chen & Goodman). Where the counts are too few for the formula
    to give 0 < D_i < i (some n_i is 0, or n4 > n3 in a tiny corpus), one discount for all counts:
    plain absolute discounting with D = n1 / (n1 + 2 n2), or 0.5 without any n1, n2."""
    n1, n2, n3, n4 = (float(c) for c in count_of_counts)
    y = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
    if min(n1, n2, n3) > 0:
        discounts = np.array([0.0, 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3])
        if np.all((discounts[1:] > 0) & (discounts[1:] < [1, 2, 3])):
            return discounts
    return np.array([0.0, y, y, y]) if 0 < y < 1 else np.array([0.0, 0.5, 0.5, 0.5])
