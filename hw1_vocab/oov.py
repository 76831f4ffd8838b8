"""Out-of-vocabulary (OOV) rate: how often held-out text uses a token the vocabulary lacks.

A model with a fixed vocabulary maps every such token to ``<unk>``. The OOV rate on the dev set is
the share of its running tokens that become ``<unk>``: with vocabulary {the, cat} (plus ``<unk>``)
the dev sentence "the dog saw the cat" has 2 OOV tokens (dog, saw) out of 5, a rate of 0.4.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from common.vocabulary import UNK, Vocabulary


def oov_rate(sentences: Iterable[Sequence[str]], vocabulary: Vocabulary) -> float:
    """Share of the tokens in `sentences` that `vocabulary` maps to ``<unk>``.

    A token is OOV when it is not in the vocabulary, or when it is the ``<unk>`` token itself (some
    corpora, such as the Penn Treebank LM text, already replaced rare words by ``<unk>``).

    Args:
        sentences: held-out corpus, one token list per sentence (normalised like the training text).
        vocabulary: a :class:`common.vocabulary.Vocabulary` whose specials include ``<unk>``.

    Returns:
        A float in [0, 1].

    Raises:
        ValueError: if `sentences` has no tokens (the rate would be 0/0).
    """
    if vocabulary.unk_index is None:
        raise ValueError(f"the vocabulary has no {UNK!r} token; build it with {UNK!r} among the specials")
    # TODO (about 8 lines): count all tokens and the OOV ones; raise ValueError when there are no tokens at all.
    # BEGIN SOLUTION
    total = unknown = 0
    for tokens in sentences:
        for token in tokens:
            total += 1
            unknown += token not in vocabulary or token == UNK
    if total == 0:
        raise ValueError("the held-out corpus has no tokens; check the dev split and data path")
    return unknown / total
    # END SOLUTION
