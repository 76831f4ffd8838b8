"""vanishing.py: gradient norms through time against an unrolled torch.nn.RNNCell / LSTMCell."""
from __future__ import annotations

import pytest
import torch

from hw6_rnn.cells import ElmanCell, LSTMCell
from hw6_rnn.tests.helpers import assert_close, copy_cell_weights
from hw6_rnn.vanishing import gradient_norms_through_time, vanishing_experiment


def _reference_norms(torch_cell, inputs, lstm):
    """Gradient of sum(h_T) w.r.t. each x_t, one autograd call per t, with torch's own cell."""
    batch, time, _ = inputs.shape
    norms = []
    for t in range(time):
        x = inputs.clone().requires_grad_(True)
        state = None
        for step in range(time):
            state = torch_cell(x[:, step], state)
        h = state[0] if lstm else state
        (grad,) = torch.autograd.grad(h.sum(), x)
        norms.append(grad[:, t].norm(dim=-1).mean())
    return torch.stack(norms).flip(0)


@pytest.mark.task_vanishing
@pytest.mark.points(2)
@pytest.mark.parametrize("lstm", [False, True])
def test_norms_match_a_reference(lstm):
    torch.manual_seed(0)
    theirs = (torch.nn.LSTMCell if lstm else torch.nn.RNNCell)(3, 5).double()
    ours = (LSTMCell if lstm else ElmanCell)(3, 5).double()
    copy_cell_weights(ours, theirs)
    inputs = torch.randn(4, 6, 3, dtype=torch.float64)
    assert_close(gradient_norms_through_time(ours, inputs), _reference_norms(theirs, inputs, lstm),
                 "gradient norms, index k = k steps back from the end")


@pytest.mark.task_vanishing
@pytest.mark.points(1)
def test_elman_gradient_vanishes_faster_than_the_lstm_with_an_open_forget_gate():
    norms = vanishing_experiment(steps=40, hidden_size=16, input_size=8, batch_size=4, forget_bias=3.0)
    elman, lstm_open = norms["Elman"], norms["LSTM, forget bias 3"]
    assert elman[30] < 1e-3 * elman[1], f"expected the Elman gradient to vanish: {elman[1]:.3g} -> {elman[30]:.3g}"
    assert lstm_open[30] / lstm_open[1] > 100 * elman[30] / elman[1], "expected the LSTM to keep far more gradient"
