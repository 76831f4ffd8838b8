"""Shared test helpers: copying weights between our modules and PyTorch's, and close-enough checks."""
from __future__ import annotations

import torch


def assert_close(actual: torch.Tensor, expected: torch.Tensor, what: str, atol: float = 1e-5) -> None:
    assert actual.shape == expected.shape, (
        f"{what}: expected shape {tuple(expected.shape)} but got {tuple(actual.shape)}")
    if not actual.numel():
        return
    difference = (actual - expected).abs()
    error = difference.max().item()
    if error <= atol:
        return
    index = tuple(int(i) for i in torch.unravel_index(difference.argmax(), difference.shape))
    raise AssertionError(f"{what}: at index {list(index)} of shape {list(actual.shape)} expected "
                         f"{expected[index].item():.6g} but got {actual[index].item():.6g}; "
                         f"largest difference {error:.3g} > {atol}")


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
