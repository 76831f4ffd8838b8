"""The skip-gram with negative sampling (SGNS) data pipeline, shared by hw2 (numpy) and hw3 (edugrad).

    sentences -> ids (tokens outside the vocabulary are dropped, as word2vec does)
              -> frequent-word subsampling (keep word w with probability subsample_probabilities)
              -> (target, context) pairs from a dynamic window, never crossing a sentence boundary
              -> shuffled minibatches, each with k negatives per pair drawn from unigram^0.75

    data = SkipGramData(sentences, vocab, window=5, negatives=5, subsample=1e-3, seed=0)
    for targets, contexts, negatives in data.epoch_batches(epoch=0, batch_size=1024):
        ...   # targets [B], contexts [B], negatives [B, k]; int64 vocabulary indices

Everything random comes from ``np.random.default_rng([seed, epoch])``: the same seed and epoch give
the same batches, whatever ran before.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from common.vocabulary import Vocabulary


def subsample_probabilities(counts: np.ndarray, threshold: float) -> np.ndarray:
    """Probability of *keeping* each occurrence of each word (Mikolov et al. 2013's subsampling).

    With f = count / total and t = `threshold`, word2vec's released code (and gensim) keep a word with
    probability ``min(1, sqrt(t / f) + t / f)``; words rarer than about t are always kept.
    `threshold` <= 0 turns subsampling off (every probability is 1).

    counts: [V] non-negative token counts. Returns [V] float64 in [0, 1] (1 for zero counts).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or np.any(counts < 0):
        raise ValueError(f"counts must be a 1-D array of non-negative counts, got shape {counts.shape}")
    if threshold <= 0:
        return np.ones_like(counts)
    total = counts.sum()
    if total <= 0:
        raise ValueError("all counts are zero; subsampling needs a corpus with at least one counted token")
    with np.errstate(divide="ignore"):
        ratio = np.where(counts > 0, threshold * total / np.maximum(counts, 1e-300), np.inf)  # t / f
    return np.minimum(1.0, np.sqrt(ratio) + ratio)


def skipgram_pairs(
    ids: np.ndarray,
    window: int,
    rng: np.random.Generator,
    sentence_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(target, context) index pairs from a dynamic window over the token stream `ids`.

    For every position i a window size b_i is drawn uniformly from 1..`window` (one draw per
    position, in order: ``rng.integers(1, window + 1, size=N)``), and the pairs are
    ``(ids[i], ids[j])`` for every j with ``0 < |i - j| <= b_i``. Nearby words are therefore paired
    more often, as in word2vec. Pairs come ordered by target position, then context position; a
    word repeated in a window gives repeated pairs, all kept.

    ids: [N] integer token indices. sentence_ids: optional [N] non-decreasing sentence number of
    each position; pairs never cross from one sentence to another. Returns (targets [P], contexts [P]).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape} and dtype {ids.dtype}")
    if not isinstance(window, int | np.integer) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    if sentence_ids is not None:
        sentence_ids = np.asarray(sentence_ids)
        if sentence_ids.shape != ids.shape:
            raise ValueError(f"sentence_ids must have the shape of ids {ids.shape}, got {sentence_ids.shape}")
    n = len(ids)
    reach = rng.integers(1, window + 1, size=n)                           # [N] b_i
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # [2w], left to right
    positions = np.arange(n)[:, None] + offsets[None, :]                  # [N, 2w] context positions
    valid = (np.abs(offsets)[None, :] <= reach[:, None]) & (positions >= 0) & (positions < n)
    if sentence_ids is not None:
        same = sentence_ids[:, None] == sentence_ids[np.clip(positions, 0, max(n - 1, 0))]
        valid &= same
    target_positions = np.broadcast_to(np.arange(n)[:, None], positions.shape)[valid]  # [P], row-major order
    return ids[target_positions], ids[positions[valid]]


class NegativeSampler:
    """Draws negative words from the unigram distribution raised to `power` (0.75 in word2vec).

    Uses Walker's alias method: one uniform number u per draw picks the column ``floor(u V)`` and,
    by its fractional part, either that word or the column's alias. The probabilities are exact (no
    table rounding), a draw costs O(1), and a given generator state gives the same draws.
    """

    def __init__(self, counts: np.ndarray, power: float = 0.75) -> None:
        counts = np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or np.any(counts < 0) or counts.sum() <= 0:
            raise ValueError("counts must be a 1-D array of non-negative counts with a positive sum")
        weights = counts**power
        weights[counts == 0] = 0.0  # 0 ** 0 would be 1 when power == 0
        self.probabilities: np.ndarray = weights / weights.sum()  # [V]
        self._threshold, self._alias = _alias_table(self.probabilities)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Word indices of the given shape (int64), each drawn independently."""
        scaled = rng.random(shape) * len(self._alias)                    # uniform in [0, V)
        column = scaled.astype(np.int64)
        keep = (scaled - column) < self._threshold[column]
        return np.where(keep, column, self._alias[column])


def _alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias table: column i keeps word i with probability threshold[i], else gives alias[i]."""
    size = len(probabilities)
    scaled = probabilities * size
    threshold = np.ones(size)
    alias = np.arange(size)
    small = [i for i in range(size) if scaled[i] < 1.0]
    large = [i for i in range(size) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        threshold[low], alias[low] = scaled[low], high
        scaled[high] -= 1.0 - scaled[low]
        (small if scaled[high] < 1.0 else large).append(high)
    return threshold, alias  # leftovers keep threshold 1 (only rounding error remains)


class SkipGramData:
    """A corpus prepared for SGNS training; see the module docstring.

    Args:
        sentences: token lists (e.g. one per line of the corpus).
        vocab: the vocabulary; tokens not in it are dropped before windowing (word2vec's min_count).
            Its counts define the subsampling and negative-sampling distributions.
        window: the largest window size (>= 1).
        negatives: negatives per (target, context) pair, k >= 1.
        subsample: the threshold t of :func:`subsample_probabilities`; 0 turns subsampling off.
        seed: the seed of every random choice.
        power: exponent of the negative-sampling distribution.
    """

    def __init__(
        self,
        sentences: Sequence[Sequence[str]],
        vocab: Vocabulary,
        window: int,
        negatives: int,
        subsample: float,
        seed: int,
        power: float = 0.75,
    ) -> None:
        if not isinstance(negatives, int | np.integer) or negatives < 1:
            raise ValueError(f"negatives must be an integer >= 1 (word2vec uses 5-20), got {negatives!r}")
        if not isinstance(window, int | np.integer) or window < 1:
            raise ValueError(f"window must be an integer >= 1, got {window!r}")
        if subsample < 0:
            raise ValueError(f"subsample must be >= 0 (0 turns subsampling off), got {subsample}")
        self.vocab, self.window, self.negatives, self.seed = vocab, int(window), int(negatives), int(seed)
        ids, sentence_ids = [], []
        for number, sentence in enumerate(sentences):
            kept = [vocab.token_to_index(t) for t in sentence if t in vocab]
            ids.extend(kept)
            sentence_ids.extend([number] * len(kept))
        self.ids = np.asarray(ids, dtype=np.int64)                    # [N] the corpus, in order
        self.sentence_ids = np.asarray(sentence_ids, dtype=np.int64)  # [N]
        if len(self.ids) <= self.window:
            raise ValueError(
                f"the corpus has {len(self.ids)} in-vocabulary tokens, not more than the window ({self.window}); "
                "use a larger corpus, a smaller window or a lower min_freq"
            )
        self.counts = np.array([vocab.counts[t] for t in vocab.tokens], dtype=np.float64)  # [V]
        self.keep_probabilities = subsample_probabilities(self.counts, subsample)        # [V]
        self.sampler = NegativeSampler(self.counts, power)

    @property
    def num_tokens(self) -> int:
        """In-vocabulary tokens in the corpus (before subsampling)."""
        return len(self.ids)

    def epoch_pairs(self, epoch: int) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
        """The shuffled (targets [P], contexts [P]) of one epoch, and the generator to continue with."""
        rng = np.random.default_rng([self.seed, epoch])
        keep = rng.random(len(self.ids)) < self.keep_probabilities[self.ids]  # [N] subsampling
        targets, contexts = skipgram_pairs(self.ids[keep], self.window, rng, self.sentence_ids[keep])
        order = rng.permutation(len(targets))
        return targets[order], contexts[order], rng

    def epoch_batches(self, epoch: int, batch_size: int) -> EpochBatches:
        """Minibatches (targets [B], contexts [B], negatives [B, k]) of one epoch, read in order (see
        :class:`EpochBatches`); ``len()`` gives their number. The last batch may be smaller."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        targets, contexts, rng = self.epoch_pairs(epoch)
        return EpochBatches(targets, contexts, self.sampler, self.negatives, batch_size, rng)


class EpochBatches:
    """One epoch's minibatches (targets [B], contexts [B], negatives [B, k]); ``len()`` gives their number.

    The negatives are drawn from the epoch's generator as the batches are read, so they are read in
    order: ``batches[i]`` comes after ``batches[i - 1]`` (iterating yields the batches not read yet).
    To continue an epoch in another process (a resumed run), keep :meth:`state_dict` after some batches
    and give it to :meth:`load_state_dict` of the same epoch's batches there.
    """

    def __init__(self, targets: np.ndarray, contexts: np.ndarray, sampler: NegativeSampler, negatives: int,
                 batch_size: int, rng: np.random.Generator) -> None:
        self.targets, self.contexts = targets, contexts                 # [P] each, shuffled
        self._sampler, self._k, self._batch_size, self._rng = sampler, negatives, batch_size, rng
        self.position = 0                                               # batches read so far

    @property
    def num_pairs(self) -> int:
        return len(self.targets)

    def __len__(self) -> int:
        return -(-len(self.targets) // self._batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return (self[index] for index in range(self.position, len(self)))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"expected a batch index in [0, {len(self)}) but got {index}")
        if index != self.position:
            raise ValueError(f"expected batch {self.position} next but got a request for batch {index}: an epoch's "
                             "negatives are drawn batch after batch, so read them in order (load_state_dict "
                             "continues from a saved position)")
        batch = slice(index * self._batch_size, min((index + 1) * self._batch_size, len(self.targets)))
        negatives = self._sampler.sample((batch.stop - batch.start, self._k), self._rng)  # [B, k]
        self.position += 1
        return self.targets[batch], self.contexts[batch], negatives

    def state_dict(self) -> dict[str, Any]:
        """Where the epoch is: the batches read and the generator's state after them."""
        return {"position": self.position, "generator": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of the same epoch (same data, seed, epoch and batch size)."""
        self.position, self._rng.bit_generator.state = state["position"], state["generator"]
