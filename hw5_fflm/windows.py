"""From a corpus to fixed-size windows: the examples of a feed-forward (n-gram) language model.

A sentence w_1 … w_T becomes T + 1 examples, one per word to predict, the end marker `</s>`
included. Each example's context is the previous `context_size` words; at the start of the
sentence, where there are fewer, the context is padded on the left with `<s>`. With
context_size = 3, "the cat sat" gives

    context              target
    <s>  <s>  <s>    ->  the
    <s>  <s>  the    ->  cat
    <s>  the  cat    ->  sat
    the  cat  sat    ->  </s>

Contexts never reach into the previous sentence.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from common.vocabulary import BOS, EOS, UNK, Vocabulary

LM_SPECIALS = (UNK, EOS, BOS)  # the vocabulary's first three ids: <unk> 0, </s> 1, <s> 2


@dataclass
class Windows:
    """contexts: [N, context_size] int64 word ids; targets: [N] int64, the word after each context."""

    contexts: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def stacked(self) -> np.ndarray:
        """[N, context_size + 1]: each context followed by its target (the n-gram model's input)."""
        return np.column_stack([self.contexts, self.targets])


def build_lm_vocabulary(sentences: Sequence[Sequence[str]], min_freq: int = 1) -> Vocabulary:
    """The vocabulary of a language model: <unk>, </s>, <s>, then the corpus words by frequency."""
    return Vocabulary.from_tokens(sentences, specials=LM_SPECIALS, min_freq=min_freq)


def make_windows(sentences: Sequence[Sequence[int]], context_size: int, bos: int, eos: int) -> Windows:
    """Every (context, next word) example of `sentences` (lists of word ids), in corpus order.

    Each sentence of length T gives T + 1 rows: its words, then `eos`, each with the `context_size`
    previous ids, left-padded with `bos` (see the module docstring). Empty sentences give one row
    (<s> … <s> -> </s>). Returns Windows with contexts [N, context_size] and targets [N], int64.
    """
    if context_size < 1:
        raise ValueError(f"context_size must be >= 1 (the model needs at least one previous word), got {context_size}")
    if len(sentences) == 0:
        raise ValueError("the corpus has no sentences: check the data split or max_sentences")
    # TODO: pad each sentence with context_size bos ids in front and eos behind, then take every
    # window of context_size + 1 ids (np.lib.stride_tricks.sliding_window_view); about 10 lines.
    # BEGIN SOLUTION
    rows = []
    for sentence in sentences:
        padded = np.array([bos] * context_size + list(sentence) + [eos], dtype=np.int64)  # [T + 1 + c]
        rows.append(np.lib.stride_tricks.sliding_window_view(padded, context_size + 1))  # [T + 1, c + 1]
    stacked = np.concatenate(rows)  # [N, c + 1]
    return Windows(np.ascontiguousarray(stacked[:, :-1]), np.ascontiguousarray(stacked[:, -1]))
    # END SOLUTION
