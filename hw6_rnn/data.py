"""Data for hw6 (given code): SST for the classifier, PTB words or SST characters for the language model.

    data = load_sst_classification("sst2", phrases=False)        # vocabulary + indexed splits
    for positions in batch_positions(data.train, 32, shuffle=True, seed=epoch):
        batch, labels = classification_batch(data.train, positions, data.pad_index)
    corpus = load_lm_corpus("ptb")                                # vocabulary + 1-D index streams
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from common.data import LabeledSentence, length_bucketed_batch_indices, read_ptb, read_sst_trees
from common.torch_utils import TensorBatch, padded_tensors
from common.vocabulary import BOS, EOS, PAD, UNK, Vocabulary

SST_LABELS = {"sst2": ["negative", "positive"],
              "sst5": ["very negative", "negative", "neutral", "positive", "very positive"]}
PTB_EOS = "<eos>"
LM_CORPORA = ("ptb", "sst_chars")


@dataclass
class ClassificationData:
    """A vocabulary and (token indices, label) examples for train / dev / test."""

    vocab: Vocabulary
    label_names: list[str]
    train: list[tuple[list[int], int]]
    dev: list[tuple[list[int], int]]
    test: list[tuple[list[int], int]]

    @property
    def pad_index(self) -> int:
        return self.vocab.token_to_index(PAD)


def load_sst_classification(view: str = "sst2", phrases: bool = False, min_freq: int = 1,
                            max_train: int | None = None, root: Path | None = None) -> ClassificationData:
    """SST sentences (train optionally with every labelled phrase) indexed by a vocabulary of train words.

    Dev and test are always whole sentences. `max_train` keeps the first examples of train (tests).
    `root`: a data folder holding ``sst/`` (default: the usual places, see common.resources).
    """
    if view not in SST_LABELS:
        raise ValueError(f"unknown SST view {view!r}; choose one of {sorted(SST_LABELS)}")
    train = read_sst_trees("train", view=view, phrases=phrases, root=root)[:max_train]
    dev, test = read_sst_trees("dev", view=view, root=root), read_sst_trees("test", view=view, root=root)
    vocab = Vocabulary.from_tokens((example.tokens for example in train), specials=(UNK, PAD), min_freq=min_freq)

    def index(examples: Sequence[LabeledSentence]) -> list[tuple[list[int], int]]:
        return [(vocab.tokens_to_indices(example.tokens), example.label) for example in examples if example.tokens]

    return ClassificationData(vocab, SST_LABELS[view], index(train), index(dev), index(test))


def classification_batch(examples: Sequence[tuple[list[int], int]], positions: Sequence[int], pad_index: int,
                         device: torch.device | str = "cpu") -> tuple[TensorBatch, torch.Tensor]:
    """The examples at `positions` as (padded batch, labels [B])."""
    padded = padded_tensors([examples[i][0] for i in positions], pad_index, device)
    labels = torch.tensor([examples[i][1] for i in positions], dtype=torch.int64, device=padded.indices.device)
    return padded, labels


def batch_positions(examples: Sequence[tuple[list[int], int]], batch_size: int, shuffle: bool = False,
                    seed: int = 0) -> list[np.ndarray]:
    """Positions of each batch, with little padding (:func:`common.data.length_bucketed_batch_indices`):
    shuffled, sorted by length within pools of batches, the batches shuffled; without `shuffle`, by
    length throughout (evaluation). The same seed gives the same batches."""
    if not examples:
        raise ValueError("no examples to batch; check the dataset split")
    return list(length_bucketed_batch_indices([len(tokens) for tokens, _ in examples], batch_size, seed=seed,
                                              shuffle=shuffle))


def classification_batches(examples: Sequence[tuple[list[int], int]], batch_size: int, pad_index: int,
                           shuffle: bool = False, seed: int = 0, device: torch.device | str = "cpu"
                           ) -> Iterator[tuple[TensorBatch, torch.Tensor]]:
    """Yield (padded batch, labels [B]) for the batches of :func:`batch_positions`."""
    for positions in batch_positions(examples, batch_size, shuffle, seed):
        yield classification_batch(examples, positions, pad_index, device)


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
