"""SST for the DAN (given code): sentences and phrases as index arrays, batches, and initial embeddings.

    data = load_view(config, "sst2")                        # ViewData: encoded train/dev/test, vocabulary
    splits = load_sst(view="sst2", train_phrases=True)   # train (phrases), dev, test sentences
    vocab = build_vocabulary(splits["train"], min_freq=1)
    train = encode(splits["train"], vocab, num_classes=2)   # EncodedSplit: indices, labels, texts
    for ids, batch in padded_batches(train, 256, shuffle=True, seed=3): ...   # ids [B], batch.indices [B, T]
    table, missing = embeddings_from_word2vec("runs/hw2_word2vec/x/vectors.txt", vocab, dim=100, rng=rng)
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.data import (
    LabeledSentence,
    PaddedBatch,
    batch_indices,
    length_bucketed_batch_indices,
    pad_batch,
    read_sst_trees,
)
from common.vocabulary import PAD, UNK, Vocabulary
from common.word_vectors import WordVectorsFileError, load_word2vec_format
from hw4_dan.config import Config

NUM_CLASSES = {"sst5": 5, "sst2": 2}
VIEW_NAMES = {"sst2": "SST-2", "sst5": "SST-5"}
LABEL_NAMES = {
    "sst5": ["very negative", "negative", "neutral", "positive", "very positive"],
    "sst2": ["negative", "positive"],
}


@dataclass
class EncodedSplit:
    """One split as vocabulary indices: `indices[i]` the token indices of example i, `labels` [n] int64,
    `texts[i]` its words joined by spaces (for the log), `unknown` how many tokens were not in the
    vocabulary, `all_unknown` how many examples consist of unknown tokens only."""

    indices: list[np.ndarray]
    labels: np.ndarray
    texts: list[str]
    unknown: int
    all_unknown: int

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, ids: np.ndarray) -> PaddedBatch:
        """The examples at positions `ids` [B], padded with index 0: indices and mask [B, T]."""
        return pad_batch([self.indices[i] for i in ids], pad_index=0)


@dataclass
class ViewData:
    """One view (``sst2`` or ``sst5``) ready to train on: `splits` train/dev/test encoded with `vocab`,
    the vocabulary of the training tokens."""

    view: str
    splits: dict[str, EncodedSplit]
    vocab: Vocabulary

    @property
    def name(self) -> str:
        return VIEW_NAMES[self.view]

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES[self.view]

    @property
    def label_names(self) -> list[str]:
        return LABEL_NAMES[self.view]


def load_view(config: Config, view: str) -> ViewData:
    """`view`'s splits as the config says (phrases or sentences, lower-cased or not, the first
    `max_train` training examples), encoded with the vocabulary of the training tokens."""
    splits = load_sst(view, config.train_phrases, config.data, config.lowercase)
    splits["train"] = splits["train"][: config.max_train]
    vocab = build_vocabulary(splits["train"], config.min_freq)
    encoded = {name: encode(examples, vocab, NUM_CLASSES[view], name) for name, examples in splits.items()}
    return ViewData(view, encoded, vocab)


def training_batches(split: EncodedSplit, batch_size: int, seed: int) -> list[np.ndarray]:
    """One epoch's batches of example ids: similar lengths together, in an order drawn from `seed`
    (common.data's bucketing: phrases range from 1 to 50 tokens, and a batch is padded to its longest)."""
    return list(length_bucketed_batch_indices([len(x) for x in split.indices], batch_size, seed=seed))


def padded_batches(
    split: EncodedSplit, batch_size: int, shuffle: bool, seed: int = 0
) -> Iterator[tuple[np.ndarray, PaddedBatch]]:
    """(example ids [batch], their padded token indices) for every batch of `split` (pad index 0):
    with `shuffle`, :func:`training_batches`; else the examples in order."""
    batches = training_batches(split, batch_size, seed) if shuffle else batch_indices(len(split), batch_size, False)
    for ids in batches:
        yield ids, split.batch(ids)


def load_sst(
    view: str = "sst5", train_phrases: bool = False, data: Path | None = None, lowercase: bool = False
) -> dict[str, list[LabeledSentence]]:
    """SST train/dev/test from the trees (common.data.read_sst_trees). With `train_phrases`, train holds
    every labelled phrase of the training trees (each distinct phrase once, with its label); dev and
    test are always whole sentences. `lowercase` lower-cases every token."""
    if view not in NUM_CLASSES:
        raise ValueError(f"view must be one of {sorted(NUM_CLASSES)} but got {view!r}")
    splits = {
        "train": read_sst_trees("train", view=view, phrases=train_phrases, root=data),
        "dev": read_sst_trees("dev", view=view, root=data),
        "test": read_sst_trees("test", view=view, root=data),
    }
    if lowercase:
        splits = {name: [LabeledSentence([t.lower() for t in e.tokens], e.label) for e in examples]
                  for name, examples in splits.items()}
    if train_phrases:
        distinct: dict[tuple[tuple[str, ...], int], LabeledSentence] = {}
        for example in splits["train"]:
            distinct.setdefault((tuple(example.tokens), example.label), example)
        splits["train"] = list(distinct.values())
    return splits


def build_vocabulary(examples: list[LabeledSentence], min_freq: int = 1) -> Vocabulary:
    """Vocabulary of the training tokens: <pad> is index 0, <unk> index 1, then by frequency."""
    return Vocabulary.from_tokens((e.tokens for e in examples), specials=(PAD, UNK), min_freq=min_freq)


def encode(examples: list[LabeledSentence], vocab: Vocabulary, num_classes: int, split: str = "data") -> EncodedSplit:
    """Token indices and labels of `examples`. An example without tokens, or with a label outside
    [0, num_classes), is an error that names it; unknown tokens become <unk> and are counted."""
    indices, labels, texts = [], [], []
    unknown = all_unknown = 0
    unk = vocab.unk_index
    for number, example in enumerate(examples):
        if not example.tokens:
            raise ValueError(f"{split} example {number} has no tokens (empty after tokenisation): "
                             "remove it from the data, the average of no words is undefined")
        if not 0 <= example.label < num_classes:
            raise ValueError(f"{split} example {number} {' '.join(example.tokens)!r} has label {example.label}, "
                             f"outside the label set [0, {num_classes}): check the view (sst5 or sst2) "
                             "or the labels of the data")
        ids = np.array(vocab.tokens_to_indices(example.tokens), dtype=np.int64)
        misses = int(np.sum(ids == unk))
        unknown += misses
        all_unknown += misses == len(ids)
        indices.append(ids)
        labels.append(example.label)
        texts.append(" ".join(example.tokens))
    if not indices:
        raise ValueError(f"{split} has no examples; check the data folder")
    return EncodedSplit(indices, np.array(labels, dtype=np.int64), texts, unknown, all_unknown)


def embeddings_from_word2vec(
    path: Path, vocab: Vocabulary, dim: int, rng: np.random.Generator, init_scale: float = 1.0
) -> tuple[np.ndarray, list[str]]:
    """An initial table [len(vocab), dim] (float32) from a word2vec text file (hw2 writes one).

    Rows of words found in the file (exactly, else lower-cased) are copied; the others, <unk>
    included, are drawn from N(0, init_scale²); <pad> is zero. Returns (table, the missing words).
    A file whose dimension differs from `dim` is an error naming both sizes; a malformed file raises
    common.word_vectors.WordVectorsFileError with the line at fault.
    """
    words, vectors = load_word2vec_format(path)
    if vectors.shape[1] != dim:
        raise WordVectorsFileError(f"{path} holds {vectors.shape[1]}-dimensional vectors but the model's dim is "
                                   f"{dim}: set dim: {vectors.shape[1]} in the config (or --dim {vectors.shape[1]})")
    row_of = {word: i for i, word in enumerate(words)}
    table = (init_scale * rng.standard_normal((len(vocab), dim))).astype(np.float32)
    missing = []
    for index, token in enumerate(vocab.tokens):
        row = row_of.get(token, row_of.get(token.lower()))
        if token == PAD:
            table[index] = 0.0
        elif row is None:
            missing.append(token)
        else:
            table[index] = vectors[row]
    return table, missing
