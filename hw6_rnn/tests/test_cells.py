"""cells.py: ElmanCell and LSTMCell against torch.nn.RNNCell / torch.nn.LSTMCell with the same weights."""
from __future__ import annotations

import math

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


def _one_step(cell, x, state, is_torch):
    """One step of our cell or of torch's from `state` ((h,) or (h, c)); returns the new state as a tuple."""
    if not is_torch:
        return cell(x, state)[1]
    new = cell(x, state if len(state) == 2 else state[0])
    return tuple(new) if isinstance(new, tuple) else (new,)


def _check_one_step(ours, theirs, seed):
    """One step from a zero state, then from a random one, h' and c' compared separately: localises a bug."""
    generator = torch.Generator().manual_seed(seed + 100)
    x = torch.randn(4, 5, generator=generator, dtype=torch.float64)
    start = tuple(torch.randn(4, ours.hidden_size, generator=generator, dtype=torch.float64)
                  for _ in range(ours.state_size))
    stages = ((tuple(torch.zeros_like(part) for part in start),
               "one step from a zero state (h W_hh^T is 0: this checks the gates, b_hh and the nonlinearities)"),
              (start, "one step from a random state (this adds the recurrent term h W_hh^T)"))
    for state, stage in stages:
        with torch.no_grad():
            mine, expected = _one_step(ours, x, state, False), _one_step(theirs, x, state, True)
        assert len(mine) == len(expected), f"expected a state of {len(expected)} tensors, got {len(mine)}"
        for name, part, reference in zip(("h'", "c'"), mine, expected, strict=False):
            assert_close(part, reference, f"{type(ours).__name__} {name} after {stage}")


def _check_against_torch(ours_class, torch_class, hidden, seed, what):
    torch.manual_seed(seed)
    theirs, ours = torch_class(5, hidden).double(), ours_class(5, hidden).double()
    copy_cell_weights(ours, theirs)
    _check_one_step(ours, theirs, seed)
    (ours_out, ours_grad, ours_params), (out, grad, params) = _three_steps(ours, theirs)
    assert_close(ours_out, out, f"{what} after 3 steps")
    assert_close(ours_grad, grad, "gradient w.r.t. the inputs")
    for name, value in params.items():
        assert_close(ours_params[name], value, f"gradient of {name}")


@pytest.mark.task_elman
@pytest.mark.points(2)
@pytest.mark.parametrize("hidden", [1, 6])
def test_elman_matches_torch_rnn_cell(hidden):
    _check_against_torch(ElmanCell, torch.nn.RNNCell, hidden, 0, "ElmanCell h")


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
    _check_against_torch(LSTMCell, torch.nn.LSTMCell, hidden, 1, "LSTMCell h + 2c")


@pytest.mark.task_lstm
@pytest.mark.points(1)
def test_lstm_gate_order_by_hand():
    """Saturated gates make each block's role visible (weights 0, so the gates are b_ih; c = 0.7, h = 0).

    Case 1 (only f open) catches i and f swapped; case 2 gives g and o different values, so it catches those
    two swapped (in case 1 both are 0).
    """
    cases = [((-30.0, 30.0, 0.0, 0.0), 0.7, "i shut, f open: c' = c"),
             ((30.0, -30.0, 0.5, -1.0), math.tanh(0.5), "i open, f shut, g = 0.5, o = -1: c' = tanh(g)")]
    for biases, expected_c, rule in cases:
        cell = LSTMCell(2, 1)
        with torch.no_grad():
            for p in cell.parameters():
                p.zero_()
            cell.bias_ih.copy_(torch.tensor(biases))                   # blocks in the order i, f, g, o
        h, (_, c) = cell(torch.ones(1, 2), (torch.zeros(1, 1), torch.full((1, 1), 0.7)))
        expected_h = torch.sigmoid(torch.tensor(biases[3])).item() * math.tanh(expected_c)
        c_error, h_error = abs(c.item() - expected_c), abs(h.item() - expected_h)
        assert c_error < 1e-6, (
            f"{rule}: expected c' = {expected_c:.5f} but got {c.item():.5f}; biases {biases} are the blocks "
            "i, f, g, o in this order (PyTorch's), so check which block you read as which gate")
        assert h_error < 1e-6, (
            f"{rule} and h' = sigmoid(o) tanh(c') with o = {biases[3]}: expected {expected_h:.5f} "
            f"but got {h.item():.5f}")


@pytest.mark.points(0)  # given code
def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        LSTMCell(3, 0)
