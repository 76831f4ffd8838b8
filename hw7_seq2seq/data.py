"""Multi30k as index tensors (given code): the raw sentence pairs, their units, vocabularies, encoded pairs, batches.

    corpus = load_corpus(config.data, run.dir)            # everything below, for train / val / test
    raw = read_multi30k("train", "de", "en")              # [(German line, English line)], as released
    pairs = [(src_side.units(src_side.words(s)), ...)]    # model units (hw7_seq2seq.text)
    src_vocab, tgt_vocab = build_vocabularies(pairs, min_freq=2)
    examples = encode_pairs(pairs, src_vocab, tgt_vocab)  # [(source ids, <s> target ids </s>)]
    for positions in length_bucketed_batch_indices(lengths(examples), 128, seed=epoch):   # common.data
        batch = make_batch(examples, positions)           # src [B, S], tgt_in/tgt_out [B, T]

Both vocabularies share the special tokens ``<pad>`` (index 0), ``<unk>``, ``<s>``, ``</s>``.
"""
from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from common.resources import find_dataset
from common.sst_trees import DataFormatError
from common.torch_utils import padded_tensors
from common.vocabulary import BOS, EOS, PAD, UNK, Vocabulary
from hw7_seq2seq.config import DataConfig
from hw7_seq2seq.text import TextSide, tokenize_sentence

SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
LANGUAGES = ("de", "en", "fr")
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_INDEX, UNK_INDEX, BOS_INDEX, EOS_INDEX = range(4)

Pair = tuple[list[str], list[str]]
Example = tuple[list[int], list[int]]


SPLIT_NAMES = ("train", "val", "test")


@dataclass
class Corpus:
    """One language pair of Multi30k as the model sees it.

    raw[split]: the released lines (the target lines are the references BLEU scores against);
    units[split]: (source units, target units) per pair, after tokenising, truecasing and BPE
    (train: only the pairs kept by `max_len` and `max_train_pairs`); examples[split]: the units as
    ids; sides: the source and target :class:`~hw7_seq2seq.text.TextSide`, learned on train.
    """

    raw: dict[str, list[tuple[str, str]]]
    units: dict[str, list[Pair]]
    examples: dict[str, list[Example]]
    src_vocab: Vocabulary
    tgt_vocab: Vocabulary
    sides: tuple[TextSide, TextSide]


def load_corpus(config: DataConfig, folder: Path | None = None) -> Corpus:
    """Read the three splits, learn the text sides and vocabularies on train, encode everything; with a
    run `folder`, save what translating needs there (vocabularies, truecasers, BPE merges)."""
    raw = {split: read_multi30k(split, config.src, config.tgt, config.root) for split in SPLIT_NAMES}
    train_tokens = filter_by_length([(tokenize_sentence(s), tokenize_sentence(t)) for s, t in raw["train"]],
                                    config.max_len)[: config.max_train_pairs]
    sides = tuple(TextSide.train([pair[side] for pair in train_tokens], config.subwords) for side in (0, 1))
    src_side, tgt_side = sides
    units = {"train": [(src_side.units(src_side.truecaser(s)), tgt_side.units(tgt_side.truecaser(t)))
                       for s, t in train_tokens]}
    for split in ("val", "test"):
        units[split] = [(src_side.units(src_side.words(s)), tgt_side.units(tgt_side.words(t))) for s, t in raw[split]]
    src_vocab, tgt_vocab = build_vocabularies(units["train"], config.min_freq)
    if folder is not None:
        src_vocab.save(folder / "src_vocab.tsv")
        tgt_vocab.save(folder / "tgt_vocab.tsv")
        src_side.save(folder, "src")
        tgt_side.save(folder, "tgt")
    examples = {split: encode_pairs(units[split], src_vocab, tgt_vocab) for split in SPLIT_NAMES}
    return Corpus(raw, units, examples, src_vocab, tgt_vocab, (src_side, tgt_side))


def lengths(examples: Sequence[Example]) -> list[tuple[int, int]]:
    """(source length, target length) of each example: the keys of length-bucketed batching."""
    return [(len(source), len(target)) for source, target in examples]


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
