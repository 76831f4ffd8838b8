"""hw7 hidden tests: general attention by hand, length-normalised beam search against exhaustive
search, the encoder on sentences of one length, and greedy decoding cut at max_len."""
from __future__ import annotations

import itertools

import pytest
import torch

from hw7_seq2seq.data import EOS_INDEX
from hw7_seq2seq.decode import beam_search, greedy_decode
from hw7_seq2seq.model import Attention, Encoder, Memory
from hw7_seq2seq.tests.seq2seq_helpers import ScriptedModel, batch_args, random_sources, sequence_log_probs, sources

pytestmark = pytest.mark.hidden


@pytest.mark.task_attention
@pytest.mark.points(1)
def test_general_attention_by_hand() -> None:
    attention = Attention("general", query_dim=2, key_dim=3, attn_dim=1)
    with torch.no_grad():
        attention.key_proj.weight.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]))   # W: [2, 3]
    states = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0]]])
    mask = torch.tensor([[True, True, False]])
    query = torch.tensor([[1.0, 1.0]])                # scores sᵀ W h: 1 and 2; the third is padding
    context, weights = attention(query, Memory(states, attention.project_keys(states), mask, states[:, 0]))
    e = torch.exp(torch.tensor(1.0))
    expected = torch.tensor([[1 / (1 + e), e / (1 + e), 0.0]])
    assert torch.allclose(weights, expected, atol=1e-6), f"expected {expected} but got {weights}"
    assert torch.allclose(context, expected[:, :2] @ states[0, :2], atol=1e-6)


@pytest.mark.task_beam
@pytest.mark.points(2)
@pytest.mark.parametrize("length_penalty", [0.0, 0.7, 1.0])
def test_beam_keeping_everything_finds_the_best_normalised_hypothesis(length_penalty: float) -> None:
    model = ScriptedModel(tgt_vocab=5, scale=1.5, seed=0)
    max_len, vocabulary = 3, list(range(5))
    for source in random_sources(3, seed=11):
        candidates = [list(c) for n in range(1, max_len + 1) for c in itertools.product(vocabulary, repeat=n)
                      if EOS_INDEX not in c[:-1] and (c[-1] == EOS_INDEX or n == max_len)]
        scores = sequence_log_probs(model, source, candidates)
        normalised = [s / len(c) ** length_penalty for s, c in zip(scores, candidates, strict=True)]
        best = candidates[max(range(len(candidates)), key=normalised.__getitem__)]
        (found,) = beam_search(model, *batch_args([source]), beam_size=5 ** max_len, max_len=max_len,
                               length_penalty=length_penalty)
        expected = [t for t in best if t != EOS_INDEX]
        assert found.tokens == expected, f"expected {expected} (normalised best) but got {found.tokens}"


@pytest.mark.task_encoder
@pytest.mark.points(1)
def test_encoder_without_padding_equals_plain_gru_and_is_deterministic_in_eval_mode() -> None:
    torch.manual_seed(5)
    encoder = Encoder(vocab_size=9, emb_dim=4, hidden=3, pad_index=0, dropout=0.5).eval()
    batch = sources([[4, 5, 6], [7, 8, 4]])
    states, final = encoder(batch.indices, batch.lengths)
    reference, reference_final = encoder.rnn(encoder.embedding(batch.indices))
    assert torch.allclose(states, reference, atol=1e-6)
    assert torch.allclose(final, torch.cat([reference_final[0], reference_final[1]], dim=-1), atol=1e-6)
    again, _ = encoder(batch.indices, batch.lengths)
    assert torch.equal(states, again), "dropout must be off in eval mode"


@pytest.mark.task_greedy
@pytest.mark.points(1)
def test_greedy_stops_at_max_len_with_the_right_score() -> None:
    model = ScriptedModel(scale=0.1, seed=6)          # nearly uniform: </s> is unlikely to come first
    sentences = random_sources(5, seed=12)
    hypotheses = greedy_decode(model, *batch_args(sentences), max_len=2)
    for sentence, hypothesis in zip(sentences, hypotheses, strict=True):
        assert len(hypothesis.tokens) <= 2, f"expected at most 2 tokens, got {hypothesis.tokens}"
        scored = hypothesis.tokens if len(hypothesis.tokens) == 2 else [*hypothesis.tokens, EOS_INDEX]
        (reference,) = sequence_log_probs(model, sentence, [scored])
        assert hypothesis.score == pytest.approx(reference, abs=1e-4)
