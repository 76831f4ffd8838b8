"""common/torch_utils.py: devices, autocast, padded tensors, the train step."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from common.testing import one_torch_thread  # noqa: F401  (autouse: torch on one thread)
from common.torch_utils import TrainStep, autocast, padded_tensors, resolve_device


def test_resolve_device():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU on this machine; use device: auto"):
            resolve_device("cuda")


def test_autocast_runs_in_the_precision_asked_for():
    cpu = torch.device("cpu")
    a, b = torch.randn(4, 3), torch.randn(3, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected = a @ b                                      # torch's own autocast: the reference
    with autocast(cpu, "bf16"):
        got = a @ b
    assert got.dtype == torch.bfloat16 and torch.equal(got, expected), f"bf16: expected {expected} but got {got}"
    with autocast(cpu, "fp16"):
        assert (a @ b).dtype == torch.float16
    for plain in ("fp32", False, True):                       # True: float16 on a CUDA GPU only, as TrainStep's amp
        with autocast(cpu, plain):
            assert (a @ b).dtype == torch.float32, f"expected float32 on the CPU with {plain!r}"
    with pytest.raises(ValueError, match="expected precision fp32, bf16 or fp16"):
        autocast(cpu, "fp8")


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
