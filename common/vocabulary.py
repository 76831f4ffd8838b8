"""Vocabulary: a fixed, ordered mapping between tokens and integer indices.

Special tokens come first, in the order given; then every other token, most frequent first, ties
broken alphabetically so the same counts always give the same indices.

    >>> vocab = Vocabulary.from_tokens([["the", "cat"], ["the", "dog"]], specials=("<unk>", "<pad>"))
    >>> vocab.tokens
    ['<unk>', '<pad>', 'the', 'cat', 'dog']
    >>> vocab.tokens_to_indices(["the", "emu"])
    [2, 0]
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from common.fileio import atomic_write_text

UNK, PAD, BOS, EOS = "<unk>", "<pad>", "<s>", "</s>"
_HEADER = "index\ttoken\tcount"
_SPECIALS_PREFIX = "#specials"


class VocabularyFileError(ValueError):
    """A vocabulary TSV file that cannot be read back."""


class Vocabulary:
    """Tokens <-> indices, with optional special tokens and per-token counts.

    Args:
        counts: token -> count (a Counter or any mapping); it is never modified.
        specials: special tokens placed first, in this order (e.g. ``("<unk>", "<pad>")``).
        min_freq: drop tokens seen fewer than this many times (specials are always kept).
        max_size: the largest vocabulary, specials included; the least frequent tokens are cut.
    """

    def __init__(
        self,
        counts: Mapping[str, int],
        specials: Sequence[str] = (UNK,),
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> None:
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"duplicate special tokens in {specials}; list each special token once")
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"max_size={max_size} is smaller than the {len(specials)} special tokens {specials}; "
                f"use max_size >= {len(specials)} or max_size=None for no limit"
            )
        for token in list(counts) + specials:
            _check_token(token)
        ranked = sorted(
            (token for token, count in counts.items() if count >= min_freq and token not in specials),
            key=lambda token: (-counts[token], token),
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        self.specials: list[str] = specials
        self.tokens: list[str] = specials + ranked
        self.counts: dict[str, int] = {token: int(counts.get(token, 0)) for token in self.tokens}
        self._index: dict[str, int] = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_tokens(cls, token_streams: Iterable[Iterable[str]], **kwargs) -> Vocabulary:
        """Build from an iterable of token sequences (e.g. sentences); kwargs as for the constructor."""
        counts: Counter[str] = Counter()
        for tokens in token_streams:
            counts.update(tokens)
        return cls(counts, **kwargs)

    @property
    def unk_index(self) -> int | None:
        """Index of ``<unk>``, or None when the vocabulary has no unknown token."""
        return self._index.get(UNK) if UNK in self.specials else None

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __iter__(self):
        return iter(self.tokens)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self.tokens, self.specials, self.counts) == (other.tokens, other.specials, other.counts)

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, specials={self.specials})"

    def token_to_index(self, token: str) -> int:
        """Index of `token`; unknown tokens map to ``<unk>`` when the vocabulary has one."""
        index = self._index.get(token)
        if index is not None:
            return index
        if self.unk_index is None:
            raise KeyError(
                f"token {token!r} is not in the vocabulary and the vocabulary has no {UNK!r} token; "
                f"build it with {UNK!r} among the specials to map unknown tokens"
            )
        return self.unk_index

    def index_to_token(self, index: int) -> str:
        """Token at `index`; raises IndexError for an index outside [0, len)."""
        if not 0 <= index < len(self.tokens):
            raise IndexError(f"index {index} is outside the vocabulary [0, {len(self.tokens)})")
        return self.tokens[index]

    def tokens_to_indices(self, tokens: Iterable[str]) -> list[int]:
        """Map a token sequence to indices (unknown tokens -> ``<unk>``)."""
        return [self.token_to_index(token) for token in tokens]

    def indices_to_tokens(self, indices: Iterable[int]) -> list[str]:
        """Map indices back to tokens."""
        return [self.index_to_token(int(index)) for index in indices]

    def save(self, path: str | Path) -> None:
        """Write a TSV file: a ``#specials`` line, a header, then one ``index<TAB>token<TAB>count`` row
        per token. Written atomically."""
        lines = ["\t".join([_SPECIALS_PREFIX, *self.specials]), _HEADER]
        lines += [f"{i}\t{token}\t{self.counts[token]}" for i, token in enumerate(self.tokens)]
        atomic_write_text(path, "\n".join(lines) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a file written by :meth:`save`; the result equals the saved vocabulary."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary file {path} does not exist; write one with Vocabulary.save")
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines(): tokens may hold U+2028 etc.
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) < 2 or not lines[0].startswith(_SPECIALS_PREFIX) or lines[1] != _HEADER:
            raise VocabularyFileError(
                f"{path}: expected a '{_SPECIALS_PREFIX}' line then the header '{_HEADER}'; "
                "was this file written by Vocabulary.save?"
            )
        specials = lines[0].split("\t")[1:]
        counts: dict[str, int] = {}
        order: list[str] = []
        for line_number, line in enumerate(lines[2:], start=3):
            fields = line.split("\t")
            if len(fields) != 3 or not fields[0].isdigit() or not fields[2].lstrip("-").isdigit():
                raise VocabularyFileError(
                    f"{path}:{line_number}: expected 'index<TAB>token<TAB>count', got {line!r}"
                )
            index, token, count = int(fields[0]), fields[1], int(fields[2])
            if index != len(order):
                raise VocabularyFileError(f"{path}:{line_number}: expected index {len(order)}, got {index}")
            if token in counts:
                raise VocabularyFileError(
                    f"{path}:{line_number}: duplicate token {token!r} (first at index {order.index(token)}); "
                    "each token must appear once: rebuild the file with Vocabulary.save"
                )
            counts[token] = count
            order.append(token)
        if order[: len(specials)] != specials:
            raise VocabularyFileError(
                f"{path}: the first rows must be the specials {specials}, got {order[:len(specials)]}"
            )
        vocab = cls.__new__(cls)
        vocab.specials, vocab.tokens, vocab.counts = specials, order, counts
        vocab._index = {token: i for i, token in enumerate(order)}
        return vocab


def _check_token(token: str) -> None:
    if not isinstance(token, str) or token == "" or any(c in token for c in "\t\n\r"):
        raise ValueError(f"invalid token {token!r}: tokens must be non-empty strings without tabs or newlines")
