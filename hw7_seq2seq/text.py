"""Text in and out of the translation model (given code): raw lines -> model units -> text like the references.

The model reads and writes *units*: a sentence's words with punctuation split off, in their true
case, or (with ``data.subwords``) their BPE pieces. In, for each language (:class:`TextSide`):

    "A man's dog runs."  -- tokenize -->  A man 's dog runs .  -- truecase -->  a man 's dog runs .

Truecasing puts the first word of a sentence into the form it has most often elsewhere in the
training text ("A" -> "a", "Zwei" -> "zwei", but "Boston" stays "Boston"), so a word is one unit
whether or not it starts the sentence; every other word keeps its case as written. Out:

    a man 's dog runs .  -- capitalise sentence starts, re-attach punctuation -->  "A man's dog runs."

An output ``<unk>`` is first replaced by the source word the model attended to most when it wrote it
(Luong et al., 2015: names and numbers are usually copied), or dropped by a model without attention.
sacreBLEU then scores that text against the reference lines as released, case included.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.data import split_punctuation
from common.fileio import atomic_write_text
from common.vocabulary import UNK
from hw7_seq2seq.subwords import Subwords

LANGUAGE_NAMES = {"de": "German", "en": "English", "fr": "French"}
SENTENCE_ENDS = frozenset({".", "!", "?"})
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]}]|'s|'re|'ve|'ll|'d|'m|n't)(?= |$)")
_NO_SPACE_AFTER = re.compile(r"([(\[{]) ")


def tokenize_sentence(text: str) -> list[str]:
    """A raw sentence as tokens, case kept: punctuation and clitics split off ("man's." -> man 's .)."""
    return split_punctuation(text)


def sentence_starts(tokens: Sequence[str]) -> set[int]:
    """Positions that start a sentence: 0 and every token after ``.``, ``!`` or ``?``."""
    return {0} | {i + 1 for i, token in enumerate(tokens[:-1]) if token in SENTENCE_ENDS} if tokens else set()


class Truecaser:
    """Each word's usual form, learned where case carries meaning: away from sentence starts."""

    def __init__(self, forms: dict[str, str]) -> None:
        self.forms = forms  # lower-cased word -> its most frequent written form

    @classmethod
    def train(cls, sentences: Iterable[Sequence[str]]) -> Truecaser:
        """Count the written forms of every word outside sentence starts; keep the most frequent
        (a tie goes to the form that sorts last, lower case before capitals)."""
        seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for tokens in sentences:
            starts = sentence_starts(tokens)
            for position, token in enumerate(tokens):
                if position not in starts:
                    seen[token.lower()][token] += 1
        return cls({word: max(forms, key=lambda form: (forms[form], form)) for word, forms in seen.items()})

    def __call__(self, tokens: Sequence[str]) -> list[str]:
        """`tokens` with each sentence's first word in its usual form (unchanged when never seen inside a sentence)."""
        starts = sentence_starts(tokens)
        return [self.forms.get(token.lower(), token) if i in starts else token for i, token in enumerate(tokens)]


def capitalize_sentences(words: Sequence[str]) -> list[str]:
    """The first letter of each sentence upper-cased: a b . c -> A b . C (undoes truecasing for output)."""
    starts = sentence_starts(words)
    return [word[:1].upper() + word[1:] if i in starts else word for i, word in enumerate(words)]


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens into text: no space before closing punctuation and clitics, none after an opening bracket.

        >>> detokenize(["A", "man", "'s", "dog", ",", "running", "."])
        "A man's dog, running."
    """
    text = " ".join(tokens)
    return _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", text))


def replace_unknowns(units: Sequence[str], source_units: Sequence[str], aligned: Sequence[int] | None) -> list[str]:
    """Each ``<unk>`` in `units` replaced by ``source_units[aligned[i]]`` (the source unit that output
    position i attended to most), or dropped when `aligned` is None (a model without attention)."""
    if aligned is None:
        return [unit for unit in units if unit != UNK]
    if len(aligned) < len(units):
        raise ValueError(f"expected a source position for each of the {len(units)} output units, got {len(aligned)}")
    return [source_units[aligned[i]] if unit == UNK else unit for i, unit in enumerate(units)]


@dataclass
class TextSide:
    """One language's way between raw sentences and model units, learned on its side of the training pairs."""

    truecaser: Truecaser
    subwords: Subwords | None = None

    @classmethod
    def train(cls, sentences: Sequence[Sequence[str]], subwords: int | None = None) -> TextSide:
        """Learn the truecaser on tokenised `sentences`, then (`subwords` units) BPE on the truecased words."""
        truecaser = Truecaser.train(sentences)
        if subwords is None:
            return cls(truecaser)
        return cls(truecaser, Subwords.train([truecaser(tokens) for tokens in sentences], subwords))

    def words(self, text: str) -> list[str]:
        """A raw sentence as truecased words."""
        return self.truecaser(tokenize_sentence(text))

    def units(self, words: Sequence[str]) -> list[str]:
        """Truecased words as the units the model reads and writes (BPE pieces, or the words themselves)."""
        return list(words) if self.subwords is None else self.subwords.split(words)

    def output_words(self, units: Sequence[str]) -> list[str]:
        """Output units as words: BPE pieces joined, sentence starts capitalised."""
        return capitalize_sentences(list(units) if self.subwords is None else Subwords.join(units))

    def text(self, units: Sequence[str]) -> str:
        """Output units as text: :meth:`output_words` with the punctuation attached."""
        return detokenize(self.output_words(units))

    def save(self, folder: Path, side: str) -> None:
        """``<side>_truecase.json`` (and ``<side>_subwords.json``) in `folder`, written atomically."""
        atomic_write_text(folder / f"{side}_truecase.json", json.dumps(self.truecaser.forms, ensure_ascii=False))
        if self.subwords is not None:
            self.subwords.save(folder / f"{side}_subwords.json")

    @classmethod
    def load(cls, folder: Path, side: str, subwords: bool) -> TextSide:
        """What :meth:`save` wrote; `subwords` says whether the run used BPE."""
        path = folder / f"{side}_truecase.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: it is written into the run folder by hw7_seq2seq.run")
        truecaser = Truecaser(json.loads(path.read_text(encoding="utf-8")))
        return cls(truecaser, Subwords.load(folder / f"{side}_subwords.json") if subwords else None)
