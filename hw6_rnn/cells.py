"""Recurrent cells: one time step of an Elman RNN and of an LSTM, as ``nn.Module``s.

Both use PyTorch's parameterisation (``torch.nn.RNNCell`` / ``torch.nn.LSTMCell``), so weights copy
across one to one: ``weight_ih`` [gates * hidden, input], ``weight_hh`` [gates * hidden, hidden],
``bias_ih``, ``bias_hh`` [gates * hidden]; the LSTM's gates are stacked in the order i, f, g, o.

A step is split in two so a layer can do the input half for all time steps in one matrix product:

    projected = cell.project_input(x)          # x W_ih^T + b_ih, for any leading shape
    output, state = cell.step(projected, state)

A state is always a tuple: ``(h,)`` for the Elman cell, ``(h, c)`` for the LSTM, each [batch, hidden].
"""
from __future__ import annotations

import math

import torch
from torch import nn

State = tuple[torch.Tensor, ...]


class RecurrentCell(nn.Module):
    """What both cells share: parameters, their initialisation, the input projection and the zero state."""

    gates = 1        # how many hidden-sized blocks the weight matrices stack
    state_size = 1   # tensors in the state tuple

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be >= 1, got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(self.gates * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(self.gates * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(self.gates * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(self.gates * hidden_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in [-1/sqrt(hidden), 1/sqrt(hidden)], as PyTorch's cells."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def initial_state(self, batch_size: int, device=None, dtype=None) -> State:
        """Zeros: a tuple of `state_size` tensors [batch, hidden]."""
        zeros = torch.zeros(batch_size, self.hidden_size, device=device, dtype=dtype)
        return tuple(zeros.clone() for _ in range(self.state_size))

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """x [..., input] -> x W_ih^T + b_ih [..., gates * hidden]."""
        assert x.size(-1) == self.input_size, f"expected inputs [..., {self.input_size}], got {tuple(x.shape)}"
        return torch.nn.functional.linear(x, self.weight_ih, self.bias_ih)

    def step(self, projected: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One time step from the projected input [batch, gates * hidden]; returns (output h, new state)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """x [batch, input], state (default zeros) -> (h [batch, hidden], new state)."""
        if state is None:
            state = self.initial_state(x.size(0), x.device, x.dtype)
        return self.step(self.project_input(x), state)


class ElmanCell(RecurrentCell):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); the state is (h,)."""

    gates, state_size = 1, 1

    def step(self, projected: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """projected [batch, hidden] (= x W_ih^T + b_ih), state (h [batch, hidden],) -> (h', (h',))."""
        (h,) = state
        # TODO: add the recurrent term h W_hh^T + b_hh and squash (about 2 lines)
        # BEGIN SOLUTION
        h_new = torch.tanh(projected + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh))  # (B, H)
        return h_new, (h_new,)
        # END SOLUTION


class LSTMCell(RecurrentCell):
    """The LSTM of Hochreiter & Schmidhuber with a forget gate (PyTorch's equations):

        i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)     (four [batch, hidden] blocks)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    The state is (h, c).
    """

    gates, state_size = 4, 2

    def step(self, projected: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """projected [batch, 4 * hidden], state (h, c) each [batch, hidden] -> (h', (h', c'))."""
        h, c = state
        # TODO: gate pre-activations, split in four (order i, f, g, o), the two update equations (about 6 lines)
        # BEGIN SOLUTION
        gates = projected + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=-1)                                              # 4 x (B, H)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)                  # (B, H)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)                                     # (B, H)
        return h_new, (h_new, c_new)
        # END SOLUTION


CELLS = {"elman": ElmanCell, "lstm": LSTMCell}


def make_cell(kind: str, input_size: int, hidden_size: int) -> RecurrentCell:
    """``"elman"`` or ``"lstm"``."""
    if kind not in CELLS:
        raise ValueError(f"unknown cell {kind!r}; choose one of {sorted(CELLS)}")
    return CELLS[kind](input_size, hidden_size)
