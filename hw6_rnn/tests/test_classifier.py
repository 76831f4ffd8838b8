"""classifier.py: masked pooling and final states, checked by hand; the whole classifier's shapes."""
from __future__ import annotations

import pytest
import torch

from hw6_rnn.classifier import RNNClassifier, final_states, masked_max, masked_mean

OUTPUTS = torch.tensor([[[1.0, -4.0], [3.0, -2.0], [100.0, 100.0]],
                        [[-5.0, -1.0], [-7.0, -3.0], [-9.0, -2.0]]])           # [2, 3, 2]
MASK = torch.tensor([[True, True, False], [True, True, True]])


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_masked_mean_by_hand():
    expected = torch.tensor([[2.0, -3.0], [-7.0, -2.0]])
    result = masked_mean(OUTPUTS, MASK)
    assert torch.allclose(result, expected), f"expected {expected.tolist()} but got {result.tolist()}"


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_masked_max_ignores_padding_even_when_every_value_is_negative():
    expected = torch.tensor([[3.0, -2.0], [-5.0, -1.0]])
    result = masked_max(OUTPUTS, MASK)
    assert torch.allclose(result, expected), f"expected {expected.tolist()} but got {result.tolist()}"
    zero_padded = OUTPUTS.clone()
    zero_padded[0, 2] = 0.0
    result = masked_max(-zero_padded.abs() - 1, MASK)
    assert (result < 0).all(), f"a zero in the padding won the max: got {result.tolist()}"


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_final_states_take_the_top_layer_and_concatenate_directions():
    h_n = torch.arange(4 * 2 * 3, dtype=torch.float32).view(4, 2, 3)            # [L*D=2*2, B=2, H=3]
    result = final_states(h_n, num_layers=2, directions=2)
    expected = torch.cat([h_n[2], h_n[3]], dim=-1)
    assert torch.equal(result, expected), (
        f"expected the top layer's h_n[2] (forward) then h_n[3] (backward) concatenated [B, 2H] (index l * D + d), "
        f"got {result.tolist()}")
    result = final_states(h_n[:2], num_layers=2, directions=1)
    assert torch.equal(result, h_n[1]), f"one direction, two layers: expected h_n[1] [B, H], got {result.tolist()}"


@pytest.mark.task_pooling
@pytest.mark.points(1)
@pytest.mark.parametrize("pooling", ["final", "mean", "max"])
def test_classifier_logits_ignore_padding(pooling):
    torch.manual_seed(0)
    model = RNNClassifier(20, 3, pad_index=1, embedding_dim=6, hidden_size=5, pooling=pooling, fused=False).eval()
    indices = torch.tensor([[4, 5, 6, 1, 1], [7, 8, 9, 10, 11]])
    logits = model(indices, torch.tensor([3, 5]))
    alone = model(indices[:1, :3], torch.tensor([3]))
    assert logits.shape == (2, 3), f"expected logits [2, 3] but got {tuple(logits.shape)}"
    assert torch.allclose(logits[:1], alone, atol=1e-6), "padding changed the first sentence's logits"


@pytest.mark.points(0)  # given code
def test_unknown_pooling_is_rejected():
    with pytest.raises(ValueError, match="unknown pooling 'sum'"):
        RNNClassifier(10, 2, 0, pooling="sum")
