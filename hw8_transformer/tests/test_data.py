"""The given data pipeline: reading SST-2 with datasets, tokenising, length-grouped batches, padding."""
from __future__ import annotations

import numpy as np
import pytest

from common.data import DataFormatError
from hw8_transformer.data import LengthGroupedBatchSampler, PaddingCollator, load_sst2, tokenize_split, truncate
from hw8_transformer.model import load_encoder

pytestmark = pytest.mark.points(0)  # given code


def test_load_sst2_reads_both_headers_quotes_and_null(sst2_data):
    splits = load_sst2(["train", "dev", "test"], sst2_data)
    assert {name: len(split) for name, split in splits.items()} == {"train": 256, "dev": 64, "test": 64}
    for split in splits.values():
        assert split.column_names == ["label", "sentence"], split.column_names
        assert split[0] == {"label": 1, "sentence": 'the "witty" film'}, "quote characters are text"
        assert split[1] == {"label": 0, "sentence": "null"}, "the phrase 'null' must stay a string"
    subset = load_sst2(["train"], sst2_data, train_examples=50, seed=3)["train"]
    assert len(subset) == 50 and subset["sentence"] == load_sst2(["train"], sst2_data, 50, 3)["train"]["sentence"]


def test_bad_files_name_the_problem(tmp_path, sst2_data):
    folder = tmp_path / "sst2"
    folder.mkdir()
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text((sst2_data / "sst2" / f"{split}.tsv").read_text())
    (folder / "dev.tsv").write_text("sentence\tlabel\nfine\t1\n")
    with pytest.raises(DataFormatError, match=r"dev.tsv:1: expected the header 'label<TAB>content'"):
        load_sst2(["dev"], tmp_path)
    with pytest.raises(ValueError, match="train_examples must be in"):
        load_sst2(["train"], tmp_path, train_examples=10**6)


def test_tokenize_truncates_keeping_sep_and_counts(sst2_data, tiny_bert_dir):
    _, tokenizer = load_encoder(tiny_bert_dir)
    split = tokenize_split(load_sst2(["dev"], sst2_data)["dev"], tokenizer, max_length=5)
    assert len(split) == 64 and split.lengths.max() <= 5
    full = tokenize_split(load_sst2(["dev"], sst2_data)["dev"], tokenizer, max_length=64)
    assert split.num_truncated == int((full.lengths > 5).sum()) > 0
    assert all(ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id for ids in split.input_ids)
    assert truncate([1, 2, 3, 4, 9], 3) == [1, 2, 9] and truncate([1, 9], 3) == [1, 9]
    with pytest.raises(ValueError, match="exceeds the model's maximum 64"):
        tokenize_split(load_sst2(["dev"], sst2_data)["dev"], tokenizer, max_length=100)


def test_length_grouped_batches_cover_every_example_once_and_group_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 60, size=1000)
    sampler = LengthGroupedBatchSampler(lengths, batch_size=16, shuffle=True, seed=1, group_batches=10)
    batches = list(sampler)
    assert sorted(i for batch in batches for i in batch) == list(range(1000)), "each example exactly once"
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_batches = np.array_split(rng.permutation(1000), len(batches))
    assert padded < 0.8 * sum(len(b) * lengths[b].max() for b in random_batches), "grouping should cut padding"
    sampler.set_epoch(1)
    assert [list(b) for b in sampler] != [list(b) for b in batches], "a new epoch gives a new order"
    sampler.set_epoch(0)
    assert [list(b) for b in sampler] == [list(b) for b in batches], "the same epoch gives the same order"


def test_processes_split_each_global_batch():
    lengths = np.arange(100) % 17 + 2
    whole = list(LengthGroupedBatchSampler(lengths, 8, shuffle=True, seed=0))
    parts = [list(LengthGroupedBatchSampler(lengths, 8, shuffle=True, seed=0, world_size=2, rank=r, micro_batches=2))
             for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 2 * len(whole)
    for k, batch in enumerate(whole):
        rank0, rank1 = parts[0][2 * k] + parts[0][2 * k + 1], parts[1][2 * k] + parts[1][2 * k + 1]
        assert rank0 + rank1 == list(batch), "rank 0 then rank 1 hold the global batch, in order"
    with pytest.raises(ValueError, match="batch_size 2 must be at least world_size x micro_batches"):
        LengthGroupedBatchSampler(lengths, 2, True, world_size=2, micro_batches=2)


def test_collator_pads_dynamically():
    batch = PaddingCollator(pad_token_id=0)([(4, [2, 7, 3], 1), (9, [2, 3], 0)])
    assert batch["input_ids"].tolist() == [[2, 7, 3], [2, 3, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [1, 0] and batch["index"].tolist() == [4, 9]
