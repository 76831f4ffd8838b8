"""The vanishing-gradient experiment: how much gradient reaches back t steps through a cell.

For inputs x_1..x_T run the cell from a zero state and take L = sum of the entries of h_T. The
norm of dL/dx_{T-k} measures how strongly the input k steps before the end still moves the last
state. For an Elman cell it shrinks geometrically with k (repeated products of W_hh and tanh');
the LSTM's additive cell path c' = f * c + ... lets it survive far longer when the forget gate is
open (hence the common forget-gate bias of 1 or more: Jozefowicz et al. 2015).
"""
from __future__ import annotations

import torch

from hw6_rnn.cells import LSTMCell, RecurrentCell, make_cell


def gradient_norms_through_time(cell: RecurrentCell, inputs: torch.Tensor) -> torch.Tensor:
    """inputs [B, T, input] -> norms [T]: norms[k] = mean over the batch of ||dL/dx_{T-1-k}||, L = sum(h_T).

    norms[0] is the last input's gradient, norms[T-1] the first input's (k steps back from the end).
    """
    batch, time, _ = inputs.shape
    inputs = inputs.detach().requires_grad_(True)
    state = cell.initial_state(batch, inputs.device, inputs.dtype)
    # TODO: unroll the cell over time, then torch.autograd.grad of h_T.sum() w.r.t. the inputs;
    #  per-step norms averaged over the batch, reversed so index 0 is the last step (about 4 lines)
    # BEGIN SOLUTION
    for t in range(time):
        h, state = cell(inputs[:, t], state)                               # (B, H)
    (grad,) = torch.autograd.grad(h.sum(), inputs)                         # (B, T, input)
    return grad.norm(dim=-1).mean(dim=0).flip(0)                           # (T,)
    # END SOLUTION


def set_forget_bias(cell: LSTMCell, value: float) -> LSTMCell:
    """Set the forget gate's biases (b_ih + b_hh of block f) so that their sum is `value`."""
    hidden = cell.hidden_size
    with torch.no_grad():
        cell.bias_ih[hidden : 2 * hidden].fill_(value)
        cell.bias_hh[hidden : 2 * hidden].zero_()
    return cell


def vanishing_experiment(steps: int = 100, hidden_size: int = 64, input_size: int = 32, batch_size: int = 16,
                         forget_bias: float = 1.0, seed: int = 0) -> dict[str, list[float]]:
    """Gradient norms [steps] for an Elman cell, an LSTM (PyTorch's init) and an LSTM with `forget_bias`.

    Same random inputs for all three (standard normal); cells at their initialisation (no training).
    Computed in float64: in float32 the Elman gradient underflows to exactly 0 after about 70 steps.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch_size, steps, input_size, generator=generator, dtype=torch.float64)
    torch.manual_seed(seed)
    cells = {"Elman": make_cell("elman", input_size, hidden_size), "LSTM": make_cell("lstm", input_size, hidden_size)}
    torch.manual_seed(seed)
    cells[f"LSTM, forget bias {forget_bias:g}"] = set_forget_bias(LSTMCell(input_size, hidden_size), forget_bias)
    return {name: gradient_norms_through_time(cell.double(), inputs).tolist() for name, cell in cells.items()}
