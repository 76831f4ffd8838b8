"""Data for hw6's language model (given code): PTB words or SST characters as index streams. (The
classifier's SST sentences and batches come from common/classifier.py.)

    corpus = load_lm_corpus("ptb")                                # vocabulary + 1-D index streams
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from common.data import read_ptb, read_sst_trees
from common.vocabulary import BOS, EOS, UNK, Vocabulary

PTB_EOS = "<eos>"
LM_CORPORA = ("ptb", "sst_chars")


@dataclass
class LMCorpus:
    """A vocabulary and the train / valid / test text as 1-D int64 index streams."""

    vocab: Vocabulary
    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    level: str  # "word" or "char"

    def prompt_tokens(self, prompt: str) -> list[str]:
        """Split a prompt like the text: words for PTB; ``<s>`` then characters for SST characters."""
        return prompt.split() if self.level == "word" else [BOS, *prompt]


def load_lm_corpus(name: str = "ptb", max_train_tokens: int | None = None, min_freq: int = 1,
                   root: Path | None = None) -> LMCorpus:
    """``"ptb"``: PTB words with ``<eos>`` after each line (929,589 / 73,760 / 82,430 tokens, 10,000 types).
    ``"sst_chars"``: SST sentences as characters, each wrapped in ``<s>`` ... ``</s>`` (train characters
    seen fewer than `min_freq` times become ``<unk>``). `max_train_tokens` cuts train (quick runs, tests).
    `root`: a data folder holding ``sst/`` (only for ``sst_chars``).
    """
    if name not in LM_CORPORA:
        raise ValueError(f"unknown language-model corpus {name!r}; choose one of {list(LM_CORPORA)}")
    if name == "ptb":
        splits = {split: [token for line in read_ptb(split) for token in [*line, PTB_EOS]]
                  for split in ("train", "valid", "test")}
        specials, level = (UNK, PTB_EOS), "word"
    else:
        splits = {split: [token for sentence in read_sst_trees(source, root=root)
                          for token in [BOS, *" ".join(sentence.tokens), EOS]]
                  for split, source in (("train", "train"), ("valid", "dev"), ("test", "test"))}
        specials, level = (UNK, BOS, EOS), "char"
    splits["train"] = splits["train"][:max_train_tokens]
    vocab = Vocabulary.from_tokens([splits["train"]], specials=specials, min_freq=min_freq)
    streams = {split: torch.tensor(vocab.tokens_to_indices(tokens), dtype=torch.int64)
               for split, tokens in splits.items()}
    return LMCorpus(vocab, streams["train"], streams["valid"], streams["test"], level)
