"""Attention: masked softmax, the three score functions against hand computations, and the lecture's alignment."""
from __future__ import annotations

import pytest
import torch

from hw7_seq2seq.model import Attention, Memory, masked_softmax

pytestmark = pytest.mark.task_attention


def rounded(values: torch.Tensor) -> list:
    """The values as (nested) lists of 4-decimal floats, for failure messages."""
    return torch.round(values.detach().double(), decimals=4).tolist()


def memory_of(states: torch.Tensor, lengths: list[int], attention: Attention) -> Memory:
    mask = torch.arange(states.size(1))[None, :] < torch.tensor(lengths)[:, None]
    return Memory(states, attention.project_keys(states), mask, states[:, 0])


@pytest.mark.points(1)
def test_masked_softmax_sums_to_one_and_is_zero_on_padding() -> None:
    scores = torch.tensor([[2.0, -1.0, 0.5, 9.0], [0.3, 0.1, -5.0, 4.0]])
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    weights = masked_softmax(scores, mask)
    rows_sum_to_one = torch.allclose(weights.sum(-1), torch.ones(2))
    assert rows_sum_to_one, (f"expected each row to sum to 1 (a softmax over the last axis, the source positions) "
                             f"but got row sums {rounded(weights.sum(-1))} for weights {rounded(weights)}")
    padding_is_zero = bool(torch.all(weights[~mask] == 0))
    assert padding_is_zero, f"expected exactly 0 where mask is False but got {rounded(weights[~mask])}"
    expected = torch.softmax(scores[0, :3], dim=0)
    assert torch.allclose(weights[0, :3], expected), f"expected {expected} but got {weights[0, :3]}"
    assert weights[1, 0] == 1.0


@pytest.mark.points(2)
def test_additive_scores_by_hand() -> None:
    attention = Attention("additive", query_dim=2, key_dim=2, attn_dim=2)
    with torch.no_grad():
        attention.query_proj.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        attention.key_proj.weight.copy_(torch.tensor([[0.5, 0.5], [-1.0, 0.0]]))
        attention.key_proj.bias.copy_(torch.tensor([0.1, -0.2]))
        attention.v.weight.copy_(torch.tensor([[1.0, -3.0]]))
    query = torch.tensor([[0.2, -0.4]])
    states = torch.tensor([[[1.0, 2.0], [0.0, -1.0]]])
    # W_q s = (0.2, -0.8); W_k h_1 + b = (1.6, -1.2); W_k h_2 + b = (-0.4, -0.2)
    expected = torch.tensor([[torch.tanh(torch.tensor(1.8)) - 3 * torch.tanh(torch.tensor(-2.0)),
                              torch.tanh(torch.tensor(-0.2)) - 3 * torch.tanh(torch.tensor(-1.0))]])
    got = attention.scores(query, attention.project_keys(states))
    assert torch.allclose(got, expected, atol=1e-6), f"expected {expected} but got {got}"


@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["dot", "general"])
def test_dot_and_general_scores_match_a_loop(kind: str) -> None:
    torch.manual_seed(1)
    attention = Attention(kind, query_dim=4, key_dim=4, attn_dim=3)
    query, states = torch.randn(2, 4), torch.randn(2, 5, 4)
    matrix = torch.eye(4) if kind == "dot" else attention.key_proj.weight.detach()   # score = sᵀ W h
    expected = torch.tensor([[float(query[b] @ matrix @ states[b, j]) for j in range(5)] for b in range(2)])
    got = attention.scores(query, attention.project_keys(states))
    assert torch.allclose(got, expected, atol=1e-5), f"expected {expected} but got {got}"


@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
def test_weights_sum_to_one_and_padding_is_ignored(kind: str) -> None:
    torch.manual_seed(2)
    attention = Attention(kind, query_dim=6, key_dim=6, attn_dim=5)
    query, states = torch.randn(3, 6), torch.randn(3, 4, 6)
    lengths = [4, 2, 1]
    memory = memory_of(states, lengths, attention)
    context, weights = attention(query, memory)
    assert weights.shape == (3, 4) and context.shape == (3, 6), (
        f"expected weights [3, 4] and context [3, 6] but got {tuple(weights.shape)} and {tuple(context.shape)}")
    rows_sum_to_one = torch.allclose(weights.sum(-1), torch.ones(3), atol=1e-6)
    assert rows_sum_to_one, (f"expected each row of weights to sum to 1 (a softmax over the source positions) "
                             f"but got row sums {rounded(weights.sum(-1))}")
    padding_weight = weights.detach()[~memory.mask]
    padding_is_zero = bool(torch.all(padding_weight == 0))
    assert padding_is_zero, (f"expected weight exactly 0 at padding (lengths {lengths}: memory.mask is False there) "
                             f"but got {rounded(padding_weight)}; the softmax must see memory.mask (masked_softmax)")
    assert torch.allclose(context, torch.einsum("bs,bsh->bh", weights, states), atol=1e-6)
    changed = states.clone()
    changed[1, 2:] = 100.0                    # whatever sits in the padding must not matter
    changed[2, 1:] = -7.0
    context2, weights2 = attention(query, memory_of(changed, lengths, attention))
    assert torch.allclose(context2, context, atol=1e-6) and torch.allclose(weights2, weights, atol=1e-6)


@pytest.mark.points(1)
def test_lecture_alignment_ceci_nest_pas_une_pipe() -> None:
    """"Ceci n' est pas une pipe" -> "This is not a pipe": with one-hot source states and queries that
    point at the aligned words, dot attention reproduces the lecture's alignment grid."""
    source = ["Ceci", "n'", "est", "pas", "une", "pipe"]
    aligned = {"This": ["Ceci"], "is": ["est"], "not": ["n'", "pas"], "a": ["une"], "pipe": ["pipe"]}
    states = torch.eye(6)[None]                                       # (1, 6, 6): h_j = e_j
    attention = Attention("dot", query_dim=6, key_dim=6, attn_dim=6)
    memory = memory_of(states, [6], attention)
    for word, words in aligned.items():
        query = 20.0 * sum(torch.eye(6)[source.index(w)] for w in words)[None]   # (1, 6)
        _, weights = attention(query, memory)
        for j, w in enumerate(source):
            expected = 1 / len(words) if w in words else 0.0
            assert weights[0, j] == pytest.approx(expected, abs=1e-6), (
                f"'{word}' -> '{w}': expected weight {expected} but got {float(weights[0, j]):.6f}")
