"""SST-2 with `datasets`: local TSVs -> tokenised splits -> length-grouped, dynamically padded batches.

    splits = load_sst2(["train", "dev"], train_examples=4000, seed=0)     # datasets.Dataset per split
    train = tokenize_split(splits["train"], tokenizer, max_length=64)   # TokenizedSplit
    loader = make_loader(train, tokenizer.pad_token_id, batch_size=32, shuffle=True, seed=0)

Batches are ``{"input_ids": [B, T], "attention_mask": [B, T], "labels": [B], "index": [B]}`` with T the
longest sequence of the batch (dynamic padding). Training batches come from :class:`LengthGroupedBatchSampler`:
examples of similar length share a batch, so little compute is spent on padding.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from common.data import DataFormatError, length_bucketed_batch_indices, pad_batch
from common.resources import find_dataset

LABEL_NAMES = ("negative", "positive")
TEXT_COLUMNS = {"train": "sentence", "dev": "content", "test": "content"}  # GLUE's headers differ by split


def load_sst2(splits: Sequence[str] = ("train", "dev"), data: Path | None = None,
              train_examples: int | None = None, seed: int = 0) -> dict:
    """GLUE-style SST-2 splits as ``datasets.Dataset`` with columns ``sentence`` (str) and ``label`` (int).

    Files are read with quoting off (quote characters are text) and no NA conversion (the phrase "null"
    stays a string). `train_examples`: a random subset of the training phrases (fixed by `seed`).
    """
    from datasets import Features, Value, load_dataset

    folder = find_dataset("sst2", data)
    loaded = {}
    for split in splits:
        if split not in TEXT_COLUMNS:
            raise ValueError(f"unknown SST-2 split {split!r}; choose from {list(TEXT_COLUMNS)}")
        path = folder / f"{split}.tsv"
        text_column = TEXT_COLUMNS[split]
        with open(path, encoding="utf-8") as handle:
            header = handle.readline().rstrip("\r\n").split("\t")
        if header != ["label", text_column]:
            raise DataFormatError(f"{path}:1: expected the header 'label<TAB>{text_column}' but got {header!r}; "
                                  "is this GLUE-style SST-2?")
        features = Features({"label": Value("int64"), text_column: Value("string")})
        dataset = load_dataset("csv", data_files=str(path), split="train", delimiter="\t", features=features,
                               quoting=csv.QUOTE_NONE, keep_default_na=False, na_filter=False)
        if text_column != "sentence":
            dataset = dataset.rename_column(text_column, "sentence")
        bad = [label for label in set(dataset["label"]) if label not in (0, 1)]
        if bad:
            raise DataFormatError(f"{path}: expected labels 0 and 1 but found {sorted(bad)}")
        if split == "train" and train_examples is not None:
            if not 0 < train_examples <= len(dataset):
                raise ValueError(f"train_examples must be in [1, {len(dataset)}], got {train_examples}")
            dataset = dataset.shuffle(seed=seed).select(range(train_examples))
        loaded[split] = dataset
    return loaded


@dataclass
class TokenizedSplit:
    """One split, tokenised: `input_ids[i]` is example i's token ids ([CLS] ... [SEP]), at most max_length."""

    sentences: list[str]
    input_ids: list[list[int]]
    labels: np.ndarray          # [n] int64
    num_truncated: int          # sentences longer than max_length (cut, keeping the final [SEP])

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def lengths(self) -> np.ndarray:
        """Token counts [n], special tokens included."""
        return np.array([len(ids) for ids in self.input_ids], dtype=np.int64)


def truncate(ids: list[int], max_length: int) -> list[int]:
    """`ids` cut to `max_length` tokens, keeping its last token (the closing [SEP])."""
    return ids if len(ids) <= max_length else ids[: max_length - 1] + ids[-1:]


def tokenize_split(dataset, tokenizer, max_length: int, num_proc: int | None = None) -> TokenizedSplit:
    """Tokenise a ``datasets.Dataset`` with ``Dataset.map(batched=True)`` and the fast tokenizer."""
    if max_length < 2:
        raise ValueError(f"max_length must hold at least [CLS] and [SEP] (>= 2), got {max_length}")
    model_max = getattr(tokenizer, "model_max_length", None)
    if model_max and model_max < 10**6 and max_length > model_max:
        raise ValueError(f"max_length {max_length} exceeds the model's maximum {model_max}; lower max_length")

    def encode(batch: dict) -> dict:
        encoded = tokenizer(batch["sentence"], truncation=False, verbose=False)["input_ids"]
        return {"input_ids": [truncate(ids, max_length) for ids in encoded],
                "truncated": [len(ids) > max_length for ids in encoded]}

    encoded = dataset.map(encode, batched=True, batch_size=1000, num_proc=num_proc,
                          desc=f"tokenising (max_length {max_length})")
    return TokenizedSplit(sentences=list(encoded["sentence"]), input_ids=list(encoded["input_ids"]),
                          labels=np.asarray(encoded["label"], dtype=np.int64),
                          num_truncated=int(sum(encoded["truncated"])))


class LengthGroupedBatchSampler(torch.utils.data.Sampler[list[int]]):
    """Batches of indices of similar length, the same on every process, each process taking its share.

    The global batches of an epoch are :func:`common.data.length_bucketed_batch_indices` of the lengths,
    drawn from (`seed`, epoch): the examples shuffled, cut into pools of `batch_size` x `group_batches`,
    each pool sorted by length (longest first) and cut into global batches of `batch_size`, the batches
    shuffled. A global batch is split into `world_size` near-equal contiguous parts and this process
    (`rank`) gets its part; each part is split into `micro_batches` micro-batches (gradient
    accumulation): one *update*. Without `shuffle` all examples are sorted by length once (evaluation).
    A last batch smaller than `world_size` x `micro_batches` is dropped (a process would get nothing).
    """

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                 world_size: int = 1, rank: int = 0, micro_batches: int = 1, group_batches: int = 50) -> None:
        if batch_size < world_size * micro_batches:
            raise ValueError(f"batch_size {batch_size} must be at least world_size x micro_batches = "
                             f"{world_size} x {micro_batches}")
        if not 0 <= rank < world_size:
            raise ValueError(f"expected 0 <= rank < world_size, got rank {rank} of {world_size}")
        if len(lengths) == 0:
            raise ValueError("cannot batch an empty split; check the data and train_examples")
        self.lengths, self.batch_size, self.shuffle, self.seed = np.asarray(lengths), batch_size, shuffle, seed
        self.world_size, self.rank, self.micro_batches = world_size, rank, micro_batches
        self.group_batches = group_batches
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use a new shuffle for `epoch` (the same on every process)."""
        self.epoch = epoch

    def global_batches(self) -> list[np.ndarray]:
        """This epoch's global batches (index arrays), before the split across processes."""
        # negated lengths: longest first, so a batch too large for the device fails at once
        return list(length_bucketed_batch_indices(-self.lengths, self.batch_size, seed=[self.seed, self.epoch],
                                                  pool_batches=self.group_batches, shuffle=self.shuffle))

    def updates(self) -> list[list[list[int]]]:
        """This epoch's updates on this process: for each global batch, this process's micro-batches."""
        parts = self.world_size * self.micro_batches
        return [[micro.tolist() for micro in np.array_split(np.array_split(batch, self.world_size)[self.rank],
                                                            self.micro_batches)]
                for batch in self.global_batches() if len(batch) >= parts]

    def __iter__(self) -> Iterator[list[int]]:
        for update in self.updates():
            yield from update

    def __len__(self) -> int:
        """Micro-batches this process gets per epoch."""
        return len(self.updates()) * self.micro_batches


class _Examples(torch.utils.data.Dataset):
    def __init__(self, split: TokenizedSplit) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, index: int) -> tuple[int, list[int], int]:
        return index, self.split.input_ids[index], int(self.split.labels[index])


class PaddingCollator:
    """Pads a list of ``(index, input_ids, label)`` to the batch's longest sequence (dynamic padding)."""

    def __init__(self, pad_token_id: int) -> None:
        if pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; set tokenizer.pad_token before batching")
        self.pad_token_id = pad_token_id

    def __call__(self, examples: Sequence[tuple[int, list[int], int]]) -> dict[str, torch.Tensor]:
        indices, sequences, labels = zip(*examples, strict=True)
        padded = pad_batch(sequences, self.pad_token_id)
        return {"input_ids": torch.from_numpy(padded.indices),                      # (B, T)
                "attention_mask": torch.from_numpy(padded.mask.astype(np.int64)),   # (B, T)
                "labels": torch.tensor(labels, dtype=torch.long),                   # (B,)
                "index": torch.tensor(indices, dtype=torch.long)}                   # (B,)


def make_loader(split: TokenizedSplit, pad_token_id: int, batch_size: int, shuffle: bool, seed: int = 0,
                world_size: int = 1, rank: int = 0, micro_batches: int = 1) -> torch.utils.data.DataLoader:
    """A DataLoader of padded batches from a :class:`LengthGroupedBatchSampler` (its ``batch_sampler``)."""
    sampler = LengthGroupedBatchSampler(split.lengths, batch_size, shuffle, seed, world_size, rank, micro_batches)
    return torch.utils.data.DataLoader(_Examples(split), batch_sampler=sampler,
                                       collate_fn=PaddingCollator(pad_token_id))
