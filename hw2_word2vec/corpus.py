"""The training text for word2vec: the Penn Treebank LM text, optionally with SST sentences."""
from __future__ import annotations

from pathlib import Path

from common.data import read_ptb, read_sst_trees
from hw2_word2vec.config import CorpusName


def load_corpus(name: CorpusName, data: Path | None = None, max_sentences: int | None = None) -> list[list[str]]:
    """Token lists, one per sentence: PTB train (lower-cased, numbers as N, rare words as <unk>), and
    with ``"ptb+sst"`` also the SST training sentences, lower-cased. `max_sentences` keeps the first ones."""
    if name not in ("ptb", "ptb+sst"):
        raise ValueError(f"unknown corpus {name!r}; choose 'ptb' or 'ptb+sst'")
    sentences = read_ptb("train")
    if name == "ptb+sst":
        sst = read_sst_trees("train", root=data)
        sentences += [[token.lower() for token in sentence.tokens] for sentence in sst]
    if max_sentences is not None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1 or null, got {max_sentences}")
        sentences = sentences[:max_sentences]
    return sentences


def corpus_label(name: CorpusName, max_sentences: int | None = None) -> str:
    """The data-set name for report tables."""
    label = {"ptb": "PTB train", "ptb+sst": "PTB+SST train"}[name]
    return label if max_sentences is None else f"{label} (first {max_sentences} lines)"
