"""Recurrent layers over padded batches: one direction, stacked and bidirectional, and the fused twin.

Every layer here has the same interface::

    outputs, state = rnn(inputs, lengths, state=None)
    # inputs  [batch, time, input]      lengths [batch] int64 (each >= 1)
    # outputs [batch, time, directions * hidden], zeros after each sequence's end
    # state   tuple of [layers * directions, batch, hidden]: (h,) for Elman, (h, c) for LSTM,
    #         the state at each sequence's LAST REAL token (padding never touches it)

:class:`StackedRNN` unrolls your cells in Python, one time step at a time. :class:`FusedRNN` wraps
``torch.nn.LSTM`` / ``torch.nn.RNN`` (one C++ call, packed sequences) with the same weights and the
same results; ``fused: true`` in a config picks it for speed.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from hw6_rnn.cells import RecurrentCell, State, make_cell


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """[batch] lengths -> [batch, max_len] bool mask, True where position < length."""
    if lengths.dim() != 1:
        raise ValueError(f"expected lengths of shape [batch], got {tuple(lengths.shape)}")
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def check_lengths(lengths: torch.Tensor, batch_size: int, max_len: int) -> None:
    """Lengths must be [batch] integers in 1..max_len: an empty sequence has no last state to return."""
    if lengths.dim() != 1 or lengths.numel() != batch_size:
        raise ValueError(f"expected lengths of shape [{batch_size}], got {tuple(lengths.shape)}")
    if lengths.numel() and int(lengths.min()) < 1:
        empty = (lengths < 1).nonzero().flatten().tolist()
        raise ValueError(f"sequences {empty[:5]} of the batch have length 0 (all padding): a recurrent layer "
                         "needs at least one token per sequence; drop empty sequences before batching")
    if lengths.numel() and int(lengths.max()) > max_len:
        raise ValueError(f"a length {int(lengths.max())} exceeds the padded time dimension {max_len}")


class RecurrentLayer(nn.Module):
    """One cell unrolled over time, left to right or (``reverse``) right to left."""

    def __init__(self, cell: RecurrentCell, reverse: bool = False) -> None:
        super().__init__()
        self.cell, self.reverse = cell, reverse

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor,
                state: State | None = None) -> tuple[torch.Tensor, State]:
        """inputs [B, T, input], lengths [B] -> (outputs [B, T, hidden], final state, each [B, hidden]).

        A sequence's state stops changing after its last real token (forward) or stays at the
        initial state until its last real token is reached (reverse), so padding never leaks in.
        Outputs at padded positions are zeros.
        """
        batch, time, _ = inputs.shape
        check_lengths(lengths, batch, time)
        if state is None:
            state = self.cell.initial_state(batch, inputs.device, inputs.dtype)
        projected = self.cell.project_input(inputs)                      # (B, T, G*H), all steps at once
        mask = lengths_to_mask(lengths.to(inputs.device), time)           # (B, T)
        all_full = bool((lengths == time).all())                          # no padding: skip the masking
        steps = range(time - 1, -1, -1) if self.reverse else range(time)
        outputs: list[torch.Tensor | None] = [None] * time
        # TODO: for each t in `steps`: a cell step; keep the old state where mask[:, t] is False;
        #  store the output (zeros at padding) in outputs[t] (about 8 lines)
        # BEGIN SOLUTION
        for t in steps:
            output, new_state = self.cell.step(projected[:, t], state)      # (B, H)
            if all_full:
                state, outputs[t] = new_state, output
                continue
            alive = mask[:, t, None]                                         # (B, 1)
            state = tuple(torch.where(alive, new, old) for new, old in zip(new_state, state, strict=True))
            outputs[t] = output * alive
        # END SOLUTION
        return torch.stack(outputs, dim=1), state                          # (B, T, H)


class StackedRNN(nn.Module):
    """`num_layers` recurrent layers, each optionally bidirectional, dropout between layers (as nn.LSTM).

    Layer l's input is layer l-1's output (both directions concatenated). ``self.layers[l * D + d]``
    is layer l, direction d (0: left to right, 1: right to left), the order of nn.LSTM's state.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.kind, self.hidden_size, self.num_layers = kind, hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        self.layers = nn.ModuleList(
            RecurrentLayer(make_cell(kind, input_size if layer == 0 else hidden_size * self.directions, hidden_size),
                           reverse=direction == 1)
            for layer in range(num_layers) for direction in range(self.directions))
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor,
                state: State | None = None) -> tuple[torch.Tensor, State]:
        """inputs [B, T, input], lengths [B], state (tuple of [L*D, B, H]) -> (outputs [B, T, D*H], state)."""
        check_lengths(lengths, inputs.size(0), inputs.size(1))
        finals: list[State] = []
        layer_input = inputs
        # TODO: for each layer and direction run self.layers[l * D + d] from that slice of `state`
        #  (None: zeros); concatenate the directions' outputs; dropout between layers, not after the
        #  last; collect each final state (about 10 lines)
        # BEGIN SOLUTION
        for layer in range(self.num_layers):
            if layer > 0:
                layer_input = self.dropout(layer_input)
            outputs = []
            for direction in range(self.directions):
                index = layer * self.directions + direction
                initial = None if state is None else tuple(part[index] for part in state)
                output, final = self.layers[index](layer_input, lengths, initial)   # (B, T, H)
                outputs.append(output)
                finals.append(final)
            layer_input = torch.cat(outputs, dim=-1) if self.directions == 2 else outputs[0]  # (B, T, D*H)
        # END SOLUTION
        stacked = tuple(torch.stack(parts, dim=0) for parts in zip(*finals, strict=True))  # each (L*D, B, H)
        return layer_input, stacked


class FusedRNN(nn.Module):
    """``torch.nn.LSTM`` / ``torch.nn.RNN`` (tanh) behind :class:`StackedRNN`'s interface (given code)."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if kind not in ("elman", "lstm"):
            raise ValueError(f"unknown cell {kind!r}; choose 'elman' or 'lstm'")
        module = nn.LSTM if kind == "lstm" else nn.RNN
        self.kind, self.hidden_size, self.num_layers = kind, hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        self.rnn = module(input_size, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional,
                          dropout=dropout if num_layers > 1 else 0.0)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor,
                state: State | None = None) -> tuple[torch.Tensor, State]:
        batch, time, _ = inputs.shape
        check_lengths(lengths, batch, time)
        initial = None if state is None else (state if self.kind == "lstm" else state[0])
        if bool((lengths == time).all()):                                   # no padding: no packing needed
            outputs, final = self.rnn(inputs, initial)
        else:
            packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_outputs, final = self.rnn(packed, initial)
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=time)
        return outputs, (tuple(final) if self.kind == "lstm" else (final,))

    def load_from(self, stacked: StackedRNN) -> FusedRNN:
        """Copy a :class:`StackedRNN`'s weights in (same kind and sizes), so both compute the same function."""
        if (stacked.kind, stacked.num_layers, stacked.directions, stacked.hidden_size) != (
                self.kind, self.num_layers, self.directions, self.hidden_size):
            raise ValueError("load_from needs a StackedRNN of the same kind, layers, directions and hidden size")
        with torch.no_grad():
            for layer in range(self.num_layers):
                for direction in range(self.directions):
                    cell = stacked.layers[layer * self.directions + direction].cell
                    suffix = f"_l{layer}" + ("_reverse" if direction else "")
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                        getattr(self.rnn, name + suffix).copy_(getattr(cell, name))
        return self


def make_rnn(kind: str, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
             dropout: float = 0.0, fused: bool = False) -> StackedRNN | FusedRNN:
    """Your :class:`StackedRNN`, or with `fused` the :class:`FusedRNN` twin (same interface)."""
    module = FusedRNN if fused else StackedRNN
    return module(kind, input_size, hidden_size, num_layers, bidirectional, dropout)
