"""common/vocabulary.py: ordering, limits, unknown tokens and save/load round trips."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.vocabulary import PAD, UNK, Vocabulary, VocabularyFileError


def test_specials_first_then_by_count_ties_alphabetical():
    vocab = Vocabulary(Counter({"b": 2, "a": 2, "c": 5, "d": 1}), specials=(UNK, PAD))
    assert vocab.tokens == [UNK, PAD, "c", "a", "b", "d"]
    assert vocab.counts == {UNK: 0, PAD: 0, "c": 5, "a": 2, "b": 2, "d": 1}


def test_ties_do_not_depend_on_insertion_order():
    assert Vocabulary({"x": 1, "y": 1, "z": 1}).tokens == Vocabulary({"z": 1, "x": 1, "y": 1}).tokens


def test_min_freq_and_max_size():
    counts = Counter({"a": 5, "b": 3, "c": 2, "d": 1})
    assert Vocabulary(counts, min_freq=2).tokens == [UNK, "a", "b", "c"]
    assert Vocabulary(counts, max_size=3).tokens == [UNK, "a", "b"]
    assert Vocabulary(counts, specials=(), max_size=2).tokens == ["a", "b"]


def test_max_size_smaller_than_specials_is_an_error():
    with pytest.raises(ValueError, match="max_size=1 is smaller than the 2 special tokens"):
        Vocabulary({"a": 1}, specials=(UNK, PAD), max_size=1)


def test_never_mutates_the_callers_counter():
    counts = Counter({"a": 3, "b": 1})
    before = dict(counts)
    Vocabulary(counts, specials=(UNK, PAD), min_freq=2, max_size=2)
    assert dict(counts) == before and UNK not in counts


def test_unknown_token_with_and_without_unk():
    vocab = Vocabulary.from_tokens([["the", "cat"], ["the"]])
    assert vocab.tokens_to_indices(["the", "emu"]) == [1, 0]
    no_unk = Vocabulary({"the": 2}, specials=())
    with pytest.raises(KeyError, match="has no '<unk>' token"):
        no_unk.token_to_index("emu")
    with pytest.raises(IndexError, match="outside the vocabulary"):
        vocab.index_to_token(len(vocab))


def test_indices_round_trip():
    vocab = Vocabulary.from_tokens([["a", "b", "b", "c"]], specials=(UNK, PAD))
    assert vocab.indices_to_tokens(vocab.tokens_to_indices(["c", "b", "a"])) == ["c", "b", "a"]


def test_save_load_round_trip(tmp_path):
    vocab = Vocabulary(Counter({"héllo": 3, "x y": 2, "#specials": 1, "a\u2028b": 1, "c\x85d": 1}),
                       specials=(UNK, PAD, "<s>"))
    vocab.save(tmp_path / "vocab.tsv")
    loaded = Vocabulary.load(tmp_path / "vocab.tsv")
    assert loaded == vocab and loaded.specials == [UNK, PAD, "<s>"]
    assert loaded.tokens_to_indices(["x y", "zzz"]) == vocab.tokens_to_indices(["x y", "zzz"])


def test_load_duplicate_token_names_the_line(tmp_path):
    path = tmp_path / "vocab.tsv"
    path.write_text("#specials\t<unk>\nindex\ttoken\tcount\n0\t<unk>\t0\n1\tcat\t3\n2\tcat\t2\n", encoding="utf-8")
    with pytest.raises(VocabularyFileError, match=r"vocab\.tsv:5: duplicate token 'cat'"):
        Vocabulary.load(path)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Vocabulary.load(tmp_path / "missing.tsv")
    path = tmp_path / "bad.tsv"
    path.write_text("token\tcount\n", encoding="utf-8")
    with pytest.raises(VocabularyFileError, match="header"):
        Vocabulary.load(path)


@pytest.mark.parametrize("token", ["", "a\tb", "a\nb"])
def test_invalid_tokens_are_rejected(token):
    with pytest.raises(ValueError, match="invalid token"):
        Vocabulary({token: 1})


_TOKENS = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"),
                  min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(counts=st.dictionaries(_TOKENS, st.integers(1, 20), max_size=15), min_freq=st.integers(1, 5),
       max_size=st.one_of(st.none(), st.integers(1, 10)))
def test_property_save_load_and_order(tmp_path_factory, counts, min_freq, max_size):
    vocab = Vocabulary(counts, specials=(UNK,), min_freq=min_freq, max_size=max_size)
    rest = vocab.tokens[1:]
    assert all(counts[t] >= min_freq for t in rest)
    assert [(-counts[t], t) for t in rest] == sorted((-counts[t], t) for t in rest)
    assert max_size is None or len(vocab) <= max_size
    path = tmp_path_factory.mktemp("vocab") / "v.tsv"
    vocab.save(path)
    assert Vocabulary.load(path) == vocab
