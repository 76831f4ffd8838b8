"""hw6 hidden tests: saturated gates, no-padding and given-state paths, deeper stacks, edge windows."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from common.vocabulary import Vocabulary
from hw6_rnn.cells import LSTMCell
from hw6_rnn.classifier import masked_mean
from hw6_rnn.layers import StackedRNN
from hw6_rnn.lm import RNNLanguageModel, bptt_windows, generate
from hw6_rnn.tests.helpers import assert_close, copy_cell_weights, copy_rnn_weights, padded_inputs
from hw6_rnn.vanishing import gradient_norms_through_time

pytestmark = pytest.mark.hidden


@pytest.mark.task_lstm
@pytest.mark.points(1)
def test_lstm_with_saturated_gates_float32():
    torch.manual_seed(2)
    theirs, ours = torch.nn.LSTMCell(4, 3), LSTMCell(4, 3)
    copy_cell_weights(ours, theirs)
    x = torch.randn(1, 4) * 50
    state = (torch.randn(1, 3), torch.randn(1, 3) * 10)
    h, c = theirs(x, state)
    output, (h_ours, c_ours) = ours(x, state)
    assert_close(h_ours, h, "h with saturated gates")
    assert_close(c_ours, c, "c with saturated gates", atol=1e-4)


@pytest.mark.task_layer
@pytest.mark.points(1)
def test_no_padding_and_a_given_state_in_both_directions():
    torch.manual_seed(3)
    theirs = torch.nn.LSTM(2, 3, batch_first=True, bidirectional=True).double()
    ours = StackedRNN("lstm", 2, 3, bidirectional=True).double()
    copy_rnn_weights(ours, theirs)
    inputs, lengths = padded_inputs([4, 4, 4], 2, seed=9)
    state = (torch.randn(2, 3, 3, dtype=torch.float64), torch.randn(2, 3, 3, dtype=torch.float64))
    outputs, (h, c) = ours(inputs, lengths, state)
    expected, (h_n, c_n) = theirs(inputs, state)
    assert_close(outputs, expected, "outputs without padding")
    assert_close(h, h_n, "final h without padding")
    assert_close(c, c_n, "final c without padding")


@pytest.mark.task_stacked
@pytest.mark.points(1)
def test_three_layer_bidirectional_elman_and_dropout_only_in_training():
    torch.manual_seed(4)
    theirs = torch.nn.RNN(3, 2, num_layers=3, batch_first=True, bidirectional=True, dropout=0.5).double().eval()
    ours = StackedRNN("elman", 3, 2, num_layers=3, bidirectional=True, dropout=0.5).double().eval()
    copy_rnn_weights(ours, theirs)
    inputs, lengths = padded_inputs([3, 1, 2], 3, seed=1)
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = theirs(packed)
    expected = pad_packed_sequence(out, batch_first=True, total_length=3)[0]
    outputs, (h,) = ours(inputs, lengths)
    assert_close(outputs, expected, "3-layer bidirectional Elman outputs (eval mode)")
    assert_close(h, h_n, "3-layer bidirectional Elman final h")
    ours.train()
    torch.manual_seed(0)
    trained_outputs, _ = ours(inputs, lengths)
    assert not torch.allclose(trained_outputs, expected), "expected dropout between layers in training mode"


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_masked_mean_sends_no_gradient_to_padding():
    outputs = torch.randn(2, 4, 3, requires_grad=True)
    mask = torch.tensor([[True, False, False, False], [True, True, True, True]])
    masked_mean(outputs, mask).sum().backward()
    assert torch.all(outputs.grad[0, 1:] == 0), "padding received a gradient"
    assert torch.allclose(outputs.grad[1], torch.full((4, 3), 0.25))


@pytest.mark.task_lm
@pytest.mark.points(1)
def test_windows_when_the_length_divides_evenly():
    windows = bptt_windows(torch.arange(9).view(1, 9), 4)
    assert [w[0].shape[1] for w in windows] == [4, 4], "expected two full windows and no empty third"


@pytest.mark.task_generate
@pytest.mark.points(1)
def test_zero_new_tokens_and_the_model_mode_is_restored():
    torch.manual_seed(0)
    vocab = Vocabulary.from_tokens([list("xyz")])
    model = RNNLanguageModel(len(vocab), 4, 4, num_layers=1).train()
    assert generate(model, vocab, ["x"], max_tokens=0) == []
    assert model.training, "generate must put the model back in training mode"


@pytest.mark.task_vanishing
@pytest.mark.points(1)
def test_one_step_gradient_by_hand():
    """One Elman step with W_ih = I and zero biases at x = 0: dL/dx = (1 - tanh(0)^2) * 1 per unit."""
    from hw6_rnn.cells import ElmanCell

    cell = ElmanCell(3, 3)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.eye(3))
        cell.weight_hh.zero_(), cell.bias_ih.zero_(), cell.bias_hh.zero_()
    norms = gradient_norms_through_time(cell, torch.zeros(2, 1, 3))
    assert torch.allclose(norms, torch.tensor([3 ** 0.5])), f"expected [sqrt(3)] but got {norms.tolist()}"
