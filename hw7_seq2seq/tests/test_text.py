"""Given code: tokenising and detokenising, vocabularies and batches, and sacreBLEU."""
from __future__ import annotations

import pytest
import sacrebleu
import torch

from common.metrics import corpus_bleu
from hw7_seq2seq.data import (
    BOS_INDEX,
    EOS_INDEX,
    PAD_INDEX,
    bucketed_batches,
    build_vocabularies,
    encode_pairs,
    make_batch,
)
from hw7_seq2seq.text import detokenize, tokenize_sentence
from hw7_seq2seq.train import bleu

pytestmark = pytest.mark.points(0)

PAIRS = [(["ein", "hund", "."], ["a", "dog", "."]), (["ein", "mann", "läuft", "."], ["a", "man", "runs", "."]),
         (["zwei", "hunde"], ["two", "dogs"])]


def test_detokenize_reattaches_punctuation_and_round_trips() -> None:
    tokens = ["a", "man", "'s", "dog", ",", "running", "(", "fast", ")", "."]
    assert detokenize(tokens) == "a man's dog, running (fast)."
    text = "a girl in a pink dress, climbing stairs (into a house)."
    assert detokenize(tokenize_sentence(text)) == text


def test_bleu_of_a_reference_against_itself_is_100_and_matches_sacrebleu() -> None:
    references = ["a man in an orange hat starring at something.", "two dogs play in the snow."]
    score, signature = bleu(references, references)
    assert score == pytest.approx(100.0), f"expected BLEU 100 of the references against themselves, got {score}"
    hypotheses = ["a man in a hat staring at something.", "two dogs are playing in snow."]
    expected = sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert bleu(hypotheses, references)[0] == pytest.approx(expected)
    assert expected == pytest.approx(corpus_bleu(hypotheses, references))
    assert "tok:13a" in signature and "nrefs:1" in signature


def test_vocabularies_batches_and_shifted_targets() -> None:
    src_vocab, tgt_vocab = build_vocabularies(PAIRS, min_freq=1)
    assert src_vocab.tokens[:4] == tgt_vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    examples = encode_pairs(PAIRS, src_vocab, tgt_vocab)
    batch = make_batch(examples, [1, 2])
    assert batch.src.shape == (2, 4) and batch.src_lengths.tolist() == [4, 2]
    assert batch.tgt_in[:, 0].tolist() == [BOS_INDEX, BOS_INDEX] and EOS_INDEX not in batch.tgt_in
    assert batch.tgt_out[0].tolist() == [*tgt_vocab.tokens_to_indices(["a", "man", "runs", "."]), EOS_INDEX]
    assert batch.tgt_out[1].tolist()[2:] == [EOS_INDEX, PAD_INDEX, PAD_INDEX]
    assert torch.equal(batch.tgt_in[:, 1:], batch.tgt_out[:, :-1].masked_fill(batch.tgt_out[:, :-1] == EOS_INDEX, 0))
    assert batch.num_target_tokens == 5 + 3


def test_bucketed_batches_cover_every_example_once_with_similar_lengths() -> None:
    examples = [([4] * (1 + i % 9), [2, 5, 3]) for i in range(100)]
    batches = [b.tolist() for b in bucketed_batches(examples, batch_size=10, seed=3)]
    assert sorted(i for b in batches for i in b) == list(range(100))
    assert batches == [b.tolist() for b in bucketed_batches(examples, batch_size=10, seed=3)], "same seed, same batches"
    spread = [max(len(examples[i][0]) for i in b) - min(len(examples[i][0]) for i in b) for b in batches]
    assert max(spread) <= 1, f"expected batches of similar lengths, got spreads {spread}"
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        next(bucketed_batches(examples, batch_size=0))
