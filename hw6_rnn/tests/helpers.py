"""Shared test helpers: copying weights between our modules and PyTorch's, and hw6's tolerance for
common.testing.assert_close."""
from __future__ import annotations

from functools import partial

import torch

from common import testing

# hw6 compares with PyTorch within an absolute tolerance (float64 references, a few float32 ones).
assert_close = partial(testing.assert_close, rtol=0.0, atol=1e-5)


def copy_cell_weights(ours, theirs, suffix: str = "") -> None:
    """Copy weight_ih, weight_hh, bias_ih, bias_hh (+ `suffix`, e.g. "_l0_reverse" for an nn.LSTM) into our cell."""
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ours, name).copy_(getattr(theirs, name + suffix))


def copy_rnn_weights(stacked, torch_rnn) -> None:
    """Copy a torch.nn.LSTM / nn.RNN's weights into a StackedRNN (layer l, direction d)."""
    for index, layer in enumerate(stacked.layers):
        level, direction = divmod(index, stacked.directions)
        copy_cell_weights(layer.cell, torch_rnn, f"_l{level}" + ("_reverse" if direction else ""))


def padded_inputs(lengths: list[int], size: int, seed: int = 0,
                  dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Random inputs [B, max(lengths), size] with zeros after each length, and the lengths tensor."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(len(lengths), max(lengths), size, generator=generator, dtype=dtype)
    for row, length in enumerate(lengths):
        inputs[row, length:] = 0
    return inputs, torch.tensor(lengths)
