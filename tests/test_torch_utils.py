"""common/torch_utils.py: devices, padded tensors, the train step."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from common.torch_utils import TrainStep, padded_tensors, resolve_device

torch.set_num_threads(1)


def test_resolve_device():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU on this machine; use device: auto"):
            resolve_device("cuda")


def test_padded_tensors_and_mask():
    batch = padded_tensors([[4, 5, 6], [7]], pad_index=0)
    assert batch.indices.tolist() == [[4, 5, 6], [7, 0, 0]] and batch.indices.dtype == torch.int64
    assert batch.lengths.tolist() == [3, 1]
    assert batch.mask.tolist() == [[True, True, True], [True, False, False]]
    with pytest.raises(ValueError, match="empty batch"):
        padded_tensors([], pad_index=0)


def test_train_step_clips_like_torch():
    torch.manual_seed(0)
    model, reference = nn.Linear(3, 2), nn.Linear(3, 2)
    reference.load_state_dict(model.state_dict())
    x, y = torch.randn(8, 3) * 10, torch.randn(8, 2)
    step = TrainStep(model, torch.optim.SGD(model.parameters(), lr=0.1), clip_norm=0.5, amp=True)  # amp: no-op on CPU
    loss, norm = step(lambda: ((model(x) - y) ** 2).mean())
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    ((reference(x) - y) ** 2).mean().backward()
    expected_norm = float(nn.utils.clip_grad_norm_(reference.parameters(), 0.5))
    optimizer.step()
    assert abs(norm - expected_norm) < 1e-5, f"expected the pre-clipping norm {expected_norm} but got {norm}"
    for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.allclose(ours, theirs), "expected the same update as clip_grad_norm_ + SGD"
    assert loss.dim() == 0 and not loss.requires_grad
