"""vanishing.py: gradient norms through time against finite differences of torch.nn.RNNCell / LSTMCell."""
from __future__ import annotations

import pytest
import torch

from common.gradcheck import numerical_gradient
from hw6_rnn.cells import ElmanCell, LSTMCell
from hw6_rnn.tests.helpers import assert_close, copy_cell_weights
from hw6_rnn.vanishing import gradient_norms_through_time, vanishing_experiment


def _finite_difference_norms(torch_cell, inputs, lstm):
    """An independent reference: central differences of sum(h_T) (torch's own cell) w.r.t. every input entry."""
    def final_state_sum(x):
        state = None
        with torch.no_grad():
            for step in range(x.shape[1]):
                state = torch_cell(torch.from_numpy(x[:, step]), state)
        return (state[0] if lstm else state).sum().item()

    grad = torch.from_numpy(numerical_gradient(final_state_sum, inputs.numpy().copy()))   # (B, T, input)
    return grad.norm(dim=-1).mean(dim=0).flip(0)                                         # (T,)


@pytest.mark.task_vanishing
@pytest.mark.points(2)
@pytest.mark.parametrize("lstm", [False, True])
def test_norms_match_a_reference(lstm):
    torch.manual_seed(0)
    theirs = (torch.nn.LSTMCell if lstm else torch.nn.RNNCell)(3, 5).double()
    ours = (LSTMCell if lstm else ElmanCell)(3, 5).double()
    copy_cell_weights(ours, theirs)
    inputs = torch.randn(4, 6, 3, dtype=torch.float64)
    assert_close(gradient_norms_through_time(ours, inputs), _finite_difference_norms(theirs, inputs, lstm),
                 "gradient norms, index k = k steps back from the end")


@pytest.mark.task_vanishing
@pytest.mark.points(1)
def test_elman_gradient_vanishes_faster_than_the_lstm_with_an_open_forget_gate():
    norms = vanishing_experiment(steps=40, hidden_size=16, input_size=8, batch_size=4, forget_bias=3.0)
    elman, lstm_open = norms["Elman"], norms["LSTM, forget bias 3"]
    assert elman[30] < 1e-3 * elman[1], f"expected the Elman gradient to vanish: {elman[1]:.3g} -> {elman[30]:.3g}"
    assert lstm_open[30] / lstm_open[1] > 100 * elman[30] / elman[1], "expected the LSTM to keep far more gradient"
