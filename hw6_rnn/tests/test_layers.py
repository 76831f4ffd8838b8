"""layers.py: RecurrentLayer and StackedRNN over padded batches against torch.nn.LSTM / nn.RNN (packed)."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from hw6_rnn.cells import LSTMCell
from hw6_rnn.layers import FusedRNN, RecurrentLayer, StackedRNN, lengths_to_mask
from hw6_rnn.tests.helpers import assert_close, copy_cell_weights, copy_rnn_weights, padded_inputs

LENGTHS = [5, 2, 4, 1]


def torch_packed(rnn, inputs, lengths, state=None):
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    outputs, final = rnn(packed, state)
    return pad_packed_sequence(outputs, batch_first=True, total_length=inputs.size(1))[0], final


@pytest.mark.task_layer
@pytest.mark.points(2)
def test_forward_layer_matches_packed_lstm():
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, batch_first=True).double()
    layer = RecurrentLayer(LSTMCell(3, 4).double())
    copy_cell_weights(layer.cell, theirs, "_l0")
    inputs, lengths = padded_inputs(LENGTHS, 3)
    inputs.requires_grad_(True)
    outputs, (h, c) = layer(inputs, lengths)
    expected, (h_n, c_n) = torch_packed(theirs, inputs, lengths)
    assert_close(outputs, expected, "outputs (zeros after each length)")
    assert_close(h, h_n[0], "final h (the state at each sequence's last real token)")
    assert_close(c, c_n[0], "final c")
    ours_grad, = torch.autograd.grad((outputs.sum() + h.sum() + c.sum()), inputs)
    theirs_grad, = torch.autograd.grad((expected.sum() + h_n.sum() + c_n.sum()), inputs)
    assert_close(ours_grad, theirs_grad, "gradient w.r.t. the inputs")


@pytest.mark.task_layer
@pytest.mark.points(2)
def test_reverse_layer_matches_the_backward_half_of_a_bidirectional_lstm():
    torch.manual_seed(1)
    theirs = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True).double()
    layer = RecurrentLayer(LSTMCell(3, 4).double(), reverse=True)
    copy_cell_weights(layer.cell, theirs, "_l0_reverse")
    inputs, lengths = padded_inputs(LENGTHS, 3, seed=2)
    outputs, (h, c) = layer(inputs, lengths)
    expected, (h_n, c_n) = torch_packed(theirs, inputs, lengths)
    assert_close(outputs, expected[..., 4:], "backward outputs (a sequence starts at its last real token)")
    assert_close(h, h_n[1], "backward final h (the state after the first token)")
    assert_close(c, c_n[1], "backward final c")


@pytest.mark.task_layer
@pytest.mark.points(1)
def test_padding_values_never_matter():
    torch.manual_seed(0)
    layer = RecurrentLayer(LSTMCell(3, 4).double(), reverse=True)
    inputs, lengths = padded_inputs(LENGTHS, 3)
    noisy = inputs.clone()
    noisy[1, 2:] = 1e3
    first, second = layer(inputs, lengths), layer(noisy, lengths)
    assert_close(second[0], first[0], "outputs with garbage in the padding")
    assert_close(second[1][0], first[1][0], "final h with garbage in the padding")


@pytest.mark.task_stacked
@pytest.mark.points(3)
@pytest.mark.parametrize("kind,bidirectional", [("lstm", True), ("lstm", False), ("elman", True)])
def test_stacked_matches_torch(kind, bidirectional):
    torch.manual_seed(3)
    module = torch.nn.LSTM if kind == "lstm" else torch.nn.RNN
    theirs = module(3, 4, num_layers=2, batch_first=True, bidirectional=bidirectional).double()
    ours = StackedRNN(kind, 3, 4, num_layers=2, bidirectional=bidirectional).double()
    copy_rnn_weights(ours, theirs)
    inputs, lengths = padded_inputs(LENGTHS, 3, seed=4)
    generator = torch.Generator().manual_seed(5)
    directions = 2 if bidirectional else 1
    state = tuple(torch.randn(2 * directions, 4, 4, generator=generator, dtype=torch.float64)
                  for _ in range(2 if kind == "lstm" else 1))
    inputs.requires_grad_(True)
    outputs, final = ours(inputs, lengths, state)
    expected, expected_final = torch_packed(theirs, inputs, lengths, state if kind == "lstm" else state[0])
    expected_final = tuple(expected_final) if kind == "lstm" else (expected_final,)
    assert_close(outputs, expected, "outputs [B, T, D*H]")
    assert len(final) == len(expected_final), f"expected a state of {len(expected_final)} tensors, got {len(final)}"
    for ours_part, their_part in zip(final, expected_final, strict=True):
        assert_close(ours_part, their_part, "final state [L*D, B, H]")
    def loss(out, fin):
        return out.pow(2).sum() + sum(part.sum() for part in fin)

    ours_grads = torch.autograd.grad(loss(outputs, final), [inputs, *ours.parameters()])
    theirs_grads = torch.autograd.grad(loss(expected, expected_final), [inputs, *theirs.parameters()])
    assert_close(ours_grads[0], theirs_grads[0], "gradient w.r.t. the inputs")
    ours_by_name = dict(zip([n for n, _ in ours.named_parameters()], ours_grads[1:], strict=True))
    for (name, _), grad in zip(theirs.named_parameters(), theirs_grads[1:], strict=True):
        base, level = name.rsplit("_l", 1)
        index = int(level[0]) * directions + ("reverse" in level)
        assert_close(ours_by_name[f"layers.{index}.cell.{base}"], grad, f"gradient of {name}")


@pytest.mark.task_stacked
@pytest.mark.points(1)
def test_fused_path_gives_the_same_results_as_yours():
    torch.manual_seed(6)
    ours = StackedRNN("lstm", 3, 5, num_layers=2, bidirectional=True)
    fused = FusedRNN("lstm", 3, 5, num_layers=2, bidirectional=True).load_from(ours)
    inputs, lengths = padded_inputs(LENGTHS, 3, dtype=torch.float32)
    (outputs, final), (fused_outputs, fused_final) = ours(inputs, lengths), fused(inputs, lengths)
    assert_close(outputs, fused_outputs, "StackedRNN vs FusedRNN outputs")
    for a, b in zip(final, fused_final, strict=True):
        assert_close(a, b, "StackedRNN vs FusedRNN final state")


@pytest.mark.task_stacked
@pytest.mark.points(1)
def test_dropout_between_layers_only_in_training():
    inputs, lengths = padded_inputs(LENGTHS, 3, seed=8)
    torch.manual_seed(7)
    for num_layers in (1, 2):
        stack = StackedRNN("lstm", 3, 4, num_layers=num_layers, bidirectional=True, dropout=0.9).double().train()
        top = stack(inputs, lengths)[0][lengths_to_mask(lengths)]
        zeros = int((top == 0).sum())
        assert zeros == 0, (f"expected no exact zeros in the top layer's outputs at real tokens (a {num_layers}-"
                            f"layer stack, dropout 0.9, train mode) but got {zeros} of {top.numel()}: dropout belongs "
                            "between layers, not after the last one")
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True, dropout=1.0).double().train()
    ours = StackedRNN("lstm", 3, 4, num_layers=2, dropout=1.0).double().train()
    copy_rnn_weights(ours, theirs)
    other_inputs, _ = padded_inputs(LENGTHS, 3, seed=9)
    outputs, final = ours(inputs, lengths)
    assert_close(ours(other_inputs, lengths)[0], outputs,
                 "top layer's outputs for other inputs (dropout 1 between the layers: the top layer reads zeros)")
    expected, expected_final = torch_packed(theirs, inputs, lengths)
    assert_close(outputs, expected, "outputs with dropout 1 between the layers only (nn.LSTM, train mode)")
    for ours_part, their_part in zip(final, expected_final, strict=True):
        assert_close(ours_part, their_part, "final state [L*D, B, H] with dropout 1 between the layers only")


@pytest.mark.points(0)  # given code
@pytest.mark.parametrize("fused", [False, True])
def test_empty_sequences_are_a_clear_error(fused):
    module = (FusedRNN if fused else StackedRNN)("lstm", 3, 4)
    with pytest.raises(ValueError, match=r"sequences \[1\] of the batch have length 0"):
        module(torch.zeros(2, 3, 3), torch.tensor([3, 0]))
    with pytest.raises(ValueError, match="length 0"):
        module(torch.zeros(2, 3, 3), torch.tensor([0, 0]))       # a batch that is all padding


@pytest.mark.points(0)  # given code
def test_lengths_to_mask_marks_the_real_tokens():
    mask = lengths_to_mask(torch.tensor([3, 1]), 4)
    assert mask.tolist() == [[True, True, True, False], [True, False, False, False]] and mask.dtype == torch.bool
    assert lengths_to_mask(torch.tensor([2, 1])).shape == (2, 2), "without max_len the longest sequence sets it"
    with pytest.raises(ValueError, match=r"expected lengths of shape \[batch\]"):
        lengths_to_mask(torch.ones(2, 2))
