"""The decoder step and teacher forcing: shapes, the no-attention baseline, gold vs own inputs.

The models here use a stand-in encoder (``given_encoder=True``), so these tests do not need task_encoder;
the steps with attention call your Attention (task_attention).
"""
from __future__ import annotations

import pytest
import torch

from hw7_seq2seq.config import ModelConfig
from hw7_seq2seq.data import BOS_INDEX
from hw7_seq2seq.model import Decoder, Seq2Seq
from hw7_seq2seq.tests.seq2seq_helpers import random_sources, sources, tiny_model

pytestmark = pytest.mark.task_decoder


@pytest.mark.points(2)
@pytest.mark.parametrize("attention", ["additive", "dot", "general", "none"])
def test_step_shapes_and_weights(attention: str) -> None:
    model = tiny_model(attention, given_encoder=True)
    batch = sources([[4, 5, 6], [7]])
    memory, state = model.encode(batch.indices, batch.lengths, batch.mask)
    logits, new_state, weights = model.decoder.step(torch.tensor([BOS_INDEX, 5]), state, memory)
    assert logits.shape == (2, 9) and new_state.shape == state.shape, f"got {logits.shape}, {new_state.shape}"
    if attention == "none":
        assert weights is None, "without attention the step returns no weights"
    else:
        assert weights.shape == (2, 3), f"expected weights [2, 3] (batch, source positions) but got {weights.shape}"
        assert torch.allclose(weights.sum(-1), torch.ones(2), atol=1e-6), (
            f"expected each row of weights to sum to 1 but got {weights.sum(-1).tolist()}: mask before the softmax")
        padding_weight = weights.detach()[1, 1:]
        padding_is_zero = bool(torch.all(padding_weight == 0))
        assert padding_is_zero, f"expected weight 0 at padding but got {padding_weight.tolist()}"


@pytest.mark.points(1)
def test_no_attention_baseline_ignores_everything_but_the_final_state() -> None:
    model = tiny_model("none", given_encoder=True)
    batch = sources([[4, 5, 6, 7]])
    memory, state = model.encode(batch.indices, batch.lengths, batch.mask)
    logits, _, _ = model.decoder.step(torch.tensor([BOS_INDEX]), state, memory)
    memory.states = torch.randn_like(memory.states)          # only memory.final may be read
    memory.keys = torch.randn_like(memory.keys)
    again, _, _ = model.decoder.step(torch.tensor([BOS_INDEX]), state, memory)
    assert torch.allclose(logits, again), "the no-attention decoder must use only the encoder's final state"


@pytest.mark.points(1)
def test_teacher_forcing_one_feeds_the_gold_tokens() -> None:
    model = tiny_model("additive", given_encoder=True)
    batch = sources([[4, 5, 6], [7, 8]])
    tgt_in = torch.tensor([[BOS_INDEX, 5, 6, 7], [BOS_INDEX, 8, 0, 0]])
    logits = model(batch.indices, batch.lengths, batch.mask, tgt_in)
    assert logits.shape == (2, 4, 9), f"expected logits [2, 4, 9] but got {tuple(logits.shape)}"
    memory, state = model.encode(batch.indices, batch.lengths, batch.mask)
    for t in range(4):
        step_logits, state, _ = model.decoder.step(tgt_in[:, t], state, memory)
        assert torch.allclose(logits[:, t], step_logits, atol=1e-6), f"step {t} differs from decoder.step"


@pytest.mark.points(1)
def test_teacher_forcing_zero_feeds_the_models_own_argmax() -> None:
    model = tiny_model("general", scale=3.0, given_encoder=True)
    batch = sources(random_sources(6, seed=3))
    gold = torch.randint(4, 9, (6, 5))          # ignored after the first step when teacher_forcing=0
    gold[:, 0] = BOS_INDEX
    logits = model(batch.indices, batch.lengths, batch.mask, gold, teacher_forcing=0.0)
    memory, state = model.encode(batch.indices, batch.lengths, batch.mask)
    prev = gold[:, 0]
    for t in range(5):
        step_logits, state, _ = model.decoder.step(prev, state, memory)
        assert torch.allclose(logits[:, t], step_logits, atol=1e-5), f"step {t}: expected the own-argmax input"
        prev = step_logits.argmax(-1)


@pytest.mark.points(1)
def test_a_ratio_in_between_mixes_and_follows_the_generator() -> None:
    model = tiny_model("additive", scale=3.0, given_encoder=True)
    batch = sources(random_sources(32, seed=4))
    gold = torch.randint(4, 9, (32, 6))
    gold[:, 0] = BOS_INDEX
    run = lambda ratio, seed=0: model(batch.indices, batch.lengths, batch.mask, gold, ratio,  # noqa: E731
                                      torch.Generator().manual_seed(seed))
    forced, free, half = run(1.0), run(0.0), run(0.5)
    assert torch.equal(run(0.5), half), "the same generator seed must give the same result"
    assert not torch.allclose(half, forced) and not torch.allclose(half, free), "ratio 0.5 should mix both inputs"
    with pytest.raises(ValueError, match="teacher_forcing"):
        run(1.5)


@pytest.mark.points(2)
@pytest.mark.parametrize("attention", ["additive", "none"])
def test_step_follows_the_docstring(attention: str) -> None:
    """s_t = GRUCell([e_t; c_t], s_{t-1}) with c_t read with the query s_{t-1}, and
    logits_t = output([s_t; c_t; e_t]): each piece in its place (computed here piece by piece)."""
    model = tiny_model(attention, scale=2.0, given_encoder=True)
    decoder = model.decoder
    batch = sources([[4, 5, 6], [7, 8]])
    memory, previous = model.encode(batch.indices, batch.lengths, batch.mask)
    tokens = torch.tensor([BOS_INDEX, 6])
    logits, state, _ = decoder.step(tokens, previous, memory)
    embedded = decoder.embedding.weight[tokens]                                         # e_t [B, E]
    context = memory.final if attention == "none" else decoder.attention(previous, memory)[0]   # c_t [B, 2H]
    expected_state = decoder.cell(torch.cat([embedded, context], dim=1), previous)
    assert torch.allclose(state, expected_state, atol=1e-5), (
        "expected s_t = GRUCell([e_t; c_t], s_{t-1}) with the context read by the query s_{t-1} (not s_t), the "
        "embedding first; got another state")
    expected_logits = decoder.output(torch.cat([expected_state, context, embedded], dim=1))
    assert torch.allclose(logits, expected_logits, atol=1e-5), (
        "expected logits_t = output([s_t; c_t; e_t]) in that order, with the new state s_t; got other logits")


@pytest.mark.points(1)
def test_dropout_is_off_in_eval_mode() -> None:
    reference = tiny_model("additive", given_encoder=True)
    config = ModelConfig(**{**reference.config.__dict__, "dropout": 0.5})
    model = Seq2Seq(config, 11, 9)
    model.encoder = reference.encoder
    model.load_state_dict(reference.state_dict())
    model.eval()
    batch = sources([[4, 5, 6], [7, 8]])
    tgt_in = torch.tensor([[BOS_INDEX, 5, 6], [BOS_INDEX, 7, 8]])
    expected = reference(batch.indices, batch.lengths, batch.mask, tgt_in)
    got = model(batch.indices, batch.lengths, batch.mask, tgt_in)
    assert torch.allclose(got, expected, atol=1e-6), (
        "in eval() a model with dropout 0.5 must compute what the same weights with dropout 0 compute: use the "
        "module's nn.Dropout (self.dropout), which knows the mode, not F.dropout(..., training=True)")


@pytest.mark.points(1)
def test_teacher_forcing_draws_per_sentence_and_per_step() -> None:
    model = tiny_model("additive", scale=3.0, given_encoder=True)
    batch = sources(random_sources(32, seed=4))
    gold = torch.full((32, 6), 7)
    gold[:, 0] = BOS_INDEX
    fed, own = [], []                                         # what each step got, and the step before's argmax
    step = model.decoder.step

    def recording_step(prev_tokens, state, memory):
        fed.append(prev_tokens.clone())
        logits, state, weights = step(prev_tokens, state, memory)
        own.append(logits.argmax(-1))
        return logits, state, weights

    model.decoder.step = recording_step
    model(batch.indices, batch.lengths, batch.mask, gold, 0.5, torch.Generator().manual_seed(0))
    chose_gold = torch.stack([fed[t] == 7 for t in range(1, 6)], dim=1)             # [B, 5]
    telling = torch.stack([own[t - 1] != 7 for t in range(1, 6)], dim=1)            # gold and own differ there
    by_step = [set(chose_gold[telling[:, t], t].tolist()) for t in range(5)]
    by_sentence = [set(chose_gold[b, telling[b]].tolist()) for b in range(32)]
    assert any(len(choices) == 2 for choices in by_step), (
        "at every step all sentences got the same kind of input: draw one number per sentence, not one per batch")
    assert any(len(choices) == 2 for choices in by_sentence), (
        "every sentence got the same kind of input at every step: draw again at each step, not once per sentence")


@pytest.mark.points(0)  # given code
def test_tied_output_layer_reuses_the_target_embedding() -> None:
    torch.manual_seed(0)
    decoder = Decoder(vocab_size=9, emb_dim=4, hidden=6, context_dim=10, attention=None, pad_index=0,
                      dropout=0.0, tie_embeddings=True)
    projection, _, to_vocab = decoder.output
    assert to_vocab.weight is decoder.embedding.weight, "the output layer must share the embedding's Parameter"
    x = torch.randn(3, 6 + 10 + 4)                                         # [s_t; c_t; emb(y_{t-1})]
    expected = torch.tanh(x @ projection.weight.T + projection.bias) @ decoder.embedding.weight.T + to_vocab.bias
    got = decoder.output(x)
    assert torch.allclose(got, expected, atol=1e-6), f"expected {expected[0].tolist()}, got {got[0].tolist()}"
    got.sum().backward()
    assert decoder.embedding.weight.grad is not None, "the output's gradient must reach the shared embedding"
