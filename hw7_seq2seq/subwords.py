"""Subword units (byte-pair encoding, Sennrich et al., 2016) learned on the training split (given code).

Word-level vocabularies with ``min_freq`` turn every rare word into ``<unk>``: a German compound
seen once ("Straßenmusiker") is lost on the source side, and on the target side the model can
never write a word outside its vocabulary. BPE starts from characters and merges the most frequent
adjacent pair again and again until there are ``vocab_size`` units, so frequent words stay whole and
rare ones are spelled from pieces. The pieces of a word after its first carry the prefix ``##``
(the convention of BERT's wordpieces, hw8), so words come back exactly:

    >>> bpe = Subwords.train(sentences, vocab_size=6000)
    >>> bpe.split(["ein", "kopfsteinpflaster"])
    ['ein', 'kopfstein', '##pflaster']
    >>> Subwords.join(['ein', 'kopfstein', '##pflaster'])
    ['ein', 'kopfsteinpflaster']

The model then reads and writes pieces; BLEU is computed on the joined, detokenised words. A
character never seen in training stays a piece of its own, which the vocabulary reads as ``<unk>``.
Ties between equally frequent pairs go to the alphabetically first, so training is deterministic.
"""
from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

from common.fileio import atomic_write_text

CONTINUATION = "##"
Pair = tuple[str, str]


def spell(word: str) -> list[str]:
    """A word as its first character and its continuation characters: "hund" -> h ##u ##n ##d."""
    return [word[0], *(CONTINUATION + char for char in word[1:])]


def merged(pair: Pair) -> str:
    """The unit a merge makes: ("kopf", "##stein") -> "kopfstein", ("##pf", "##la") -> "##pfla"."""
    return pair[0] + pair[1].removeprefix(CONTINUATION)


def apply_merge(symbols: list[str], pair: Pair) -> list[str]:
    """Every occurrence of `pair` in `symbols` (left to right, no overlaps) replaced by its merged unit."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(merged(pair))
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


class Subwords:
    """A BPE model over word tokens: its merges, in the order they were learned."""

    def __init__(self, merges: Sequence[Pair]) -> None:
        self.merges = [tuple(pair) for pair in merges]
        self.rank = {pair: i for i, pair in enumerate(self.merges)}
        self.cache: dict[str, list[str]] = {}

    @classmethod
    def train(cls, sentences: Iterable[Sequence[str]], vocab_size: int, min_frequency: int = 2) -> Subwords:
        """Learn merges on tokenised sentences until the characters and the merged units number
        `vocab_size`, or no pair occurs `min_frequency` times."""
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (the characters alone need more), got {vocab_size}")
        word_counts = Counter(word for sentence in sentences for word in sentence if word)
        words = [spell(word) for word in word_counts]
        counts = list(word_counts.values())
        units = {symbol for symbols in words for symbol in symbols}
        pair_counts: Counter[Pair] = Counter()
        containing: dict[Pair, set[int]] = defaultdict(set)  # pair -> the words it occurs in (or once did)
        for index, symbols in enumerate(words):
            for pair in pairwise(symbols):
                pair_counts[pair] += counts[index]
                containing[pair].add(index)
        heap = [(-count, pair) for pair, count in pair_counts.items()]
        heapq.heapify(heap)  # the most frequent pair first; ties: the alphabetically first
        merges: list[Pair] = []
        while heap and len(units) < vocab_size:
            negative_count, pair = heapq.heappop(heap)
            if pair_counts[pair] != -negative_count:
                continue  # an outdated entry: the pair's count changed since it was pushed
            if -negative_count < min_frequency:
                break
            merges.append(pair)
            units.add(merged(pair))
            changed = set()
            for index in containing.pop(pair):
                old, new = words[index], apply_merge(words[index], pair)
                for gone in pairwise(old):
                    pair_counts[gone] -= counts[index]
                    changed.add(gone)
                for made in pairwise(new):
                    pair_counts[made] += counts[index]
                    containing[made].add(index)
                    changed.add(made)
                words[index] = new
            del pair_counts[pair]
            for other in changed - {pair}:  # the heap orders by (count, pair): push order does not matter
                if pair_counts[other] > 0:
                    heapq.heappush(heap, (-pair_counts[other], other))
        return cls(merges)

    def split_word(self, word: str) -> list[str]:
        """One word as pieces: the learned merges applied in the order they were learned."""
        if word not in self.cache:
            symbols = spell(word)
            while len(symbols) > 1:
                pairs = [pair for pair in pairwise(symbols) if pair in self.rank]
                if not pairs:
                    break
                symbols = apply_merge(symbols, min(pairs, key=self.rank.__getitem__))
            self.cache[word] = symbols
        return self.cache[word]

    def split(self, words: Sequence[str]) -> list[str]:
        """Words -> pieces."""
        return [piece for word in words for piece in self.split_word(word)]

    @staticmethod
    def join(pieces: Sequence[str]) -> list[str]:
        """Pieces -> words: a ``##`` piece continues the word before it (or starts one, if it comes first)."""
        words: list[str] = []
        for piece in pieces:
            if piece.startswith(CONTINUATION) and words:
                words[-1] += piece[len(CONTINUATION):]
            else:
                words.append(piece.removeprefix(CONTINUATION))
        return words

    def save(self, path: str | Path) -> None:
        """The merges as JSON, written atomically."""
        atomic_write_text(Path(path), json.dumps({"merges": self.merges}, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> Subwords:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: it is written beside best.pt by a run with data.subwords set")
        return cls(json.loads(path.read_text(encoding="utf-8"))["merges"])
