"""Multi30k as index tensors: the raw sentence pairs, vocabularies, encoded pairs and length-bucketed batches.

    raw = read_multi30k("train", "de", "en")              # [(German line, English line)], as released
    pairs = [(text.source_units(s), text.target_units(t)) for s, t in raw]   # hw7_seq2seq.text
    src_vocab, tgt_vocab = build_vocabularies(pairs, min_freq=2)
    examples = encode_pairs(pairs, src_vocab, tgt_vocab)  # [(source ids, <s> target ids </s>)]
    for indices in bucketed_batches(examples, 128, seed=epoch):
        batch = make_batch(examples, indices)             # src [B, S], tgt_in/tgt_out [B, T]

Both vocabularies share the special tokens ``<pad>`` (index 0), ``<unk>``, ``<s>``, ``</s>``.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from common.resources import find_dataset
from common.sst_trees import DataFormatError
from common.torch_utils import padded_tensors
from common.vocabulary import BOS, EOS, PAD, UNK, Vocabulary

SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
LANGUAGES = ("de", "en", "fr")
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_INDEX, UNK_INDEX, BOS_INDEX, EOS_INDEX = range(4)

Pair = tuple[list[str], list[str]]
Example = tuple[list[int], list[int]]


@dataclass
class Batch:
    """A padded batch of translation pairs.

    src: [B, S] source ids; src_lengths: [B]; src_mask: [B, S] True at real tokens;
    tgt_in: [B, T] ``<s> y1 .. yn`` (decoder inputs); tgt_out: [B, T] ``y1 .. yn </s>`` (targets),
    both padded with PAD_INDEX; order: [B] the examples' positions in the list they came from.
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    src_mask: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor
    order: np.ndarray

    @property
    def num_target_tokens(self) -> int:
        """Target positions that are not padding (the loss is averaged over these)."""
        return int((self.tgt_out != PAD_INDEX).sum())


def read_multi30k(split: str, src: str = "de", tgt: str = "en", root: Path | None = None) -> list[tuple[str, str]]:
    """Aligned (source line, target line) pairs of Multi30k task 1, exactly as released (cased, untokenised).

    `split`: ``"train"`` (29,000 pairs), ``"val"`` (1,014) or ``"test"`` (the file test_2016_flickr, 1,000);
    `src`, `tgt`: two of ``"de"``, ``"en"``, ``"fr"``; `root`: a folder holding ``multi30k/`` (default:
    the course data folder, see common.resources). The target lines are the references BLEU is scored on.
    """
    for name, value, choices in (("split", split, list(SPLITS)), ("src", src, LANGUAGES), ("tgt", tgt, LANGUAGES)):
        if value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    if src == tgt:
        raise ValueError(f"src and tgt are both {src!r}; choose two different languages")
    folder = find_dataset("multi30k", root)
    sides = []
    for language in (src, tgt):
        path = folder / f"{SPLITS[split]}.{language}.gz"
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            sides.append((path, handle.read().splitlines()))
    (src_path, src_lines), (tgt_path, tgt_lines) = sides
    if len(src_lines) != len(tgt_lines):
        raise DataFormatError(f"{src_path} has {len(src_lines)} lines but {tgt_path} has {len(tgt_lines)}; "
                              "the files must be aligned line by line: download them again (make data)")
    if not src_lines:
        raise DataFormatError(f"{src_path} is empty; download it again (make data)")
    return list(zip(src_lines, tgt_lines, strict=True))


def build_vocabularies(pairs: Sequence[Pair], min_freq: int = 2, max_size: int | None = None
                       ) -> tuple[Vocabulary, Vocabulary]:
    """Source and target vocabularies of the (training) pairs: specials first, then words seen `min_freq` times."""
    if not pairs:
        raise ValueError("build_vocabularies got no sentence pairs; check the data split")
    src = Vocabulary.from_tokens((s for s, _ in pairs), specials=SPECIALS, min_freq=min_freq, max_size=max_size)
    tgt = Vocabulary.from_tokens((t for _, t in pairs), specials=SPECIALS, min_freq=min_freq, max_size=max_size)
    return src, tgt


def check_vocabulary(vocab: Vocabulary, side: str) -> None:
    """Raise ValueError unless `vocab` starts with this module's special tokens in their fixed order."""
    if tuple(vocab.tokens[: len(SPECIALS)]) != SPECIALS:
        raise ValueError(f"the {side} vocabulary must start with {list(SPECIALS)}, got {vocab.tokens[:4]}; "
                         "build it with hw7_seq2seq.data.build_vocabularies")


def encode_source(tokens: Sequence[str], vocab: Vocabulary) -> list[int]:
    """Source ids (unknown words -> ``<unk>``); no ``<s>``/``</s>`` on the source side."""
    return vocab.tokens_to_indices(tokens)


def encode_pairs(pairs: Sequence[Pair], src_vocab: Vocabulary, tgt_vocab: Vocabulary) -> list[Example]:
    """Each pair as (source ids, ``<s>`` target ids ``</s>``)."""
    check_vocabulary(src_vocab, "source")
    check_vocabulary(tgt_vocab, "target")
    return [(encode_source(s, src_vocab), [BOS_INDEX, *tgt_vocab.tokens_to_indices(t), EOS_INDEX]) for s, t in pairs]


def filter_by_length(pairs: Sequence[Pair], max_len: int) -> list[Pair]:
    """Training pairs whose source and target both have 1..`max_len` tokens."""
    return [(s, t) for s, t in pairs if 0 < len(s) <= max_len and 0 < len(t) <= max_len]


def bucketed_batches(examples: Sequence[Example], batch_size: int, shuffle: bool = True, seed: int = 0,
                     bucket_batches: int = 50) -> Iterator[np.ndarray]:
    """Yield arrays of example positions whose sentences have similar lengths (little padding).

    With `shuffle`, the examples are permuted by `seed`, cut into buckets of `bucket_batches` batches,
    sorted by (source, target) length inside each bucket, batched, and the batches shuffled.
    Without it, every example is sorted by length once (for evaluation: use ``Batch.order`` to put
    results back in place). Every example appears exactly once.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if len(examples) == 0:
        raise ValueError("bucketed_batches got no examples")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(examples)) if shuffle else np.arange(len(examples))
    bucket = batch_size * bucket_batches if shuffle else len(examples)
    batches = []
    for start in range(0, len(order), bucket):
        chunk = order[start : start + bucket]
        keys = [(len(examples[i][0]), len(examples[i][1])) for i in chunk]
        chunk = chunk[sorted(range(len(chunk)), key=keys.__getitem__)]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    for position in rng.permutation(len(batches)) if shuffle else range(len(batches)):
        yield batches[position]


def make_batch(examples: Sequence[Example], positions: Sequence[int] | np.ndarray,
               device: torch.device | str = "cpu") -> Batch:
    """Pad the examples at `positions` into a :class:`Batch` of int64 tensors on `device` (lengths on the CPU)."""
    positions = np.asarray(positions, dtype=np.int64)
    src = padded_tensors([examples[i][0] for i in positions], PAD_INDEX, device)
    tgt = padded_tensors([examples[i][1] for i in positions], PAD_INDEX, device)
    if int(src.lengths.min()) == 0:
        raise ValueError("a source sentence is empty; every source needs at least one token")
    tgt_in = tgt.indices.masked_fill(tgt.indices == EOS_INDEX, PAD_INDEX)[:, :-1]  # [B, T]: <s> y1 .. yn
    return Batch(src=src.indices, src_lengths=src.lengths, src_mask=src.mask, tgt_in=tgt_in,
                 tgt_out=tgt.indices[:, 1:], order=positions)                    # tgt_out [B, T]: y1 .. yn </s>
