"""Text in and out of the translation model: tokenising typed sentences and detokenising output.

Tokens are Multi30k's convention (``common.data.tokenize(text, "multi30k")``): lower-cased words,
punctuation split off. Detokenising re-attaches punctuation so that sacreBLEU, which tokenises
its input itself (13a), scores text rather than our tokens:

    >>> detokenize(["a", "man", "'s", "dog", ",", "running", "."])
    "a man's dog, running."
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from common.data import tokenize

LANGUAGE_NAMES = {"de": "German", "en": "English", "fr": "French"}
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]}]|'s|'re|'ve|'ll|'d|'m|n't)(?= |$)")
_NO_SPACE_AFTER = re.compile(r"([(\[{]) ")


def tokenize_sentence(text: str) -> list[str]:
    """A typed sentence as model tokens (lower-cased, punctuation split off), as the training data."""
    return tokenize(text, "multi30k")


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens into text: no space before closing punctuation and clitics, none after an opening bracket."""
    text = " ".join(tokens)
    return _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", text))
