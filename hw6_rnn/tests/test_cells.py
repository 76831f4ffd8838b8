"""cells.py: ElmanCell and LSTMCell against torch.nn.RNNCell / torch.nn.LSTMCell with the same weights."""
from __future__ import annotations

import pytest
import torch

from hw6_rnn.cells import ElmanCell, LSTMCell
from hw6_rnn.tests.helpers import assert_close, copy_cell_weights


def _three_steps(ours, theirs, batch=4, size=5, seed=0):
    """Run both cells three steps from a random state; return outputs and input gradients of both."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(3, batch, size, generator=generator, dtype=torch.float64)
    h0 = torch.randn(batch, ours.hidden_size, generator=generator, dtype=torch.float64)
    c0 = torch.randn(batch, ours.hidden_size, generator=generator, dtype=torch.float64)
    results = []
    for model, is_torch in ((ours, False), (theirs, True)):
        xs = x.clone().requires_grad_(True)
        if isinstance(ours, LSTMCell):
            state = (h0, c0)
            for t in range(3):
                if is_torch:
                    state = model(xs[t], state)
                else:
                    _, state = model(xs[t], state)
            out = state[0] + 2 * state[1]
        else:
            h = h0 if is_torch else (h0,)
            for t in range(3):
                if is_torch:
                    h = model(xs[t], h)
                else:
                    _, h = model(xs[t], h)
            out = h if is_torch else h[0]
        out.pow(2).sum().backward()
        results.append((out.detach(), xs.grad, {n: p.grad for n, p in model.named_parameters()}))
    return results


@pytest.mark.task_elman
@pytest.mark.points(2)
@pytest.mark.parametrize("hidden", [1, 6])
def test_elman_matches_torch_rnn_cell(hidden):
    torch.manual_seed(0)
    theirs = torch.nn.RNNCell(5, hidden).double()
    ours = ElmanCell(5, hidden).double()
    copy_cell_weights(ours, theirs)
    (ours_out, ours_grad, ours_params), (out, grad, params) = _three_steps(ours, theirs)
    assert_close(ours_out, out, "ElmanCell h after 3 steps")
    assert_close(ours_grad, grad, "gradient w.r.t. the inputs")
    for name, value in params.items():
        assert_close(ours_params[name], value, f"gradient of {name}")


@pytest.mark.task_elman
@pytest.mark.points(1)
def test_elman_output_is_the_state():
    cell = ElmanCell(3, 4)
    output, (h,) = cell(torch.randn(2, 3))
    assert output.shape == (2, 4) and torch.equal(output, h), "expected the output to be the new state h"


@pytest.mark.task_lstm
@pytest.mark.points(3)
@pytest.mark.parametrize("hidden", [1, 7])
def test_lstm_matches_torch_lstm_cell(hidden):
    torch.manual_seed(1)
    theirs = torch.nn.LSTMCell(5, hidden).double()
    ours = LSTMCell(5, hidden).double()
    copy_cell_weights(ours, theirs)
    (ours_out, ours_grad, ours_params), (out, grad, params) = _three_steps(ours, theirs)
    assert_close(ours_out, out, "LSTMCell h + 2c after 3 steps")
    assert_close(ours_grad, grad, "gradient w.r.t. the inputs")
    for name, value in params.items():
        assert_close(ours_params[name], value, f"gradient of {name}")


@pytest.mark.task_lstm
@pytest.mark.points(1)
def test_lstm_gate_order_by_hand():
    """Only the forget gate open (bias +inf-ish), everything else shut: c' = c and h' = sigmoid(o) tanh(c)."""
    cell = LSTMCell(2, 1)
    with torch.no_grad():
        for p in cell.parameters():
            p.zero_()
        cell.bias_ih.copy_(torch.tensor([-30.0, 30.0, 0.0, 0.0]))   # i shut, f open, g 0, o = sigmoid(0)
    h, (h_state, c) = cell(torch.ones(1, 2), (torch.zeros(1, 1), torch.full((1, 1), 0.7)))
    assert torch.allclose(c, torch.tensor([[0.7]])), f"expected c' = c = 0.7 (gates i, f, g, o) but got {c.item()}"
    expected = 0.5 * torch.tanh(torch.tensor(0.7))
    assert torch.allclose(h, expected.view(1, 1)), (
        f"expected h' = 0.5 tanh(0.7) = {expected:.5f} but got {h.item():.5f}")


@pytest.mark.points(0)  # given code
def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        LSTMCell(3, 0)
