"""Given code: bad input gets a clear error or a documented, counted behaviour."""
from pathlib import Path

import numpy as np
import pytest

from common.config import ConfigError, load_config
from common.data import LabeledSentence
from common.word_vectors import WordVectorsFileError, save_word2vec_format
from hw4_dan.config import Config
from hw4_dan.data import build_vocabulary, embeddings_from_word2vec, encode, load_sst

pytestmark = pytest.mark.points(0)
TRAIN = [LabeledSentence(["a", "good", "film"], 1), LabeledSentence(["a", "bad", "film"], 0)]


def test_encode_counts_unknown_words_and_all_unknown_sentences():
    vocab = build_vocabulary(TRAIN)
    assert vocab.tokens[:2] == ["<pad>", "<unk>"], f"expected <pad> at 0 and <unk> at 1 but got {vocab.tokens[:2]}"
    data = encode([LabeledSentence(["a", "great", "film"], 1), LabeledSentence(["zzz", "yyy"], 0)], vocab, 2)
    assert data.unknown == 3 and data.all_unknown == 1, f"expected 3 unknown tokens, 1 all-unknown sentence: {data}"
    assert data.indices[1].tolist() == [1, 1], "an all-unknown sentence is averaged over its <unk> vectors"


def test_empty_sentence_and_label_outside_the_set_are_errors():
    vocab = build_vocabulary(TRAIN)
    with pytest.raises(ValueError, match="no tokens"):
        encode([LabeledSentence([], 1)], vocab, 2, "dev")
    with pytest.raises(ValueError, match=r"label 3, outside the label set \[0, 2\)"):
        encode([LabeledSentence(["a"], 3)], vocab, 2, "dev")


def test_vectors_file_initialises_known_rows_and_counts_missing_ones(tmp_path: Path):
    path = tmp_path / "vectors.txt"
    save_word2vec_format(path, ["good", "Film", "film"], np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    vocab = build_vocabulary(TRAIN)
    table, missing = embeddings_from_word2vec(path, vocab, 2, np.random.default_rng(0))
    assert table.shape == (len(vocab), 2) and table.dtype == np.float32
    assert table[vocab.token_to_index("good")].tolist() == [1.0, 2.0]
    assert table[vocab.token_to_index("film")].tolist() == [5.0, 6.0], "an exact match wins over another case"
    assert table[0].tolist() == [0.0, 0.0], "<pad> starts at zero"
    assert sorted(missing) == ["<unk>", "a", "bad"], f"expected <unk>, a, bad missing but got {missing}"


def test_vectors_of_another_dimension_or_malformed_are_errors(tmp_path: Path):
    path = tmp_path / "vectors.txt"
    save_word2vec_format(path, ["good"], np.array([[1.0, 2.0, 3.0]]))
    with pytest.raises(WordVectorsFileError, match="3-dimensional vectors but the model's dim is 2"):
        embeddings_from_word2vec(path, build_vocabulary(TRAIN), 2, np.random.default_rng(0))
    path.write_text("1 2\ngood 1.0\n", encoding="utf-8")
    with pytest.raises(WordVectorsFileError, match=":2: expected a word and 2 numbers"):
        embeddings_from_word2vec(path, build_vocabulary(TRAIN), 2, np.random.default_rng(0))


def test_phrases_are_distinct_and_sst2_drops_neutral(sst_folder):
    splits = load_sst("sst2", train_phrases=True, data=sst_folder)
    pairs = [(tuple(e.tokens), e.label) for e in splits["train"]]
    assert len(pairs) == len(set(pairs)), "expected each (phrase, label) pair once"
    assert {e.label for e in splits["train"]} == {0, 1} and len(splits["dev"]) == 872 and len(splits["test"]) == 1821


def test_bad_configs_name_the_fix():
    with pytest.raises(ConfigError, match=r"views\[0\]' must be one of \['sst2', 'sst5'\]"):
        load_config(Config, None, ["--views", "[sst3]"])
    with pytest.raises(ValueError, match="views must be a non-empty list of sst2 and sst5, each once"):
        Config(views=["sst2", "sst2"])
    with pytest.raises(ConfigError, match=r"optimizer' must be one of \['adagrad', 'adam'\]"):
        load_config(Config, None, ["--optimizer", "rmsprop"])
    with pytest.raises(ValueError, match=r"word_dropout and dropout must be in \[0, 1\)"):
        Config(word_dropout=1.0)
