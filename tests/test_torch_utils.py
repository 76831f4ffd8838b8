"""common/torch_utils.py: devices, padded tensors, the train step, checkpoints across devices, sampling."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from common.torch_utils import (
    CheckpointError,
    TrainStep,
    detach_state,
    lengths_to_mask,
    load_checkpoint,
    padded_tensors,
    resolve_device,
    sample_next,
    save_checkpoint,
)
from common.vocabulary import Vocabulary

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
    assert torch.equal(lengths_to_mask(batch.lengths, 3), batch.mask)
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


def test_detach_state_keeps_structure():
    h = torch.ones(2, requires_grad=True) * 2
    state = detach_state((h, (h, h)))
    assert isinstance(state, tuple) and not state[0].requires_grad and not state[1][1].requires_grad


def test_checkpoint_round_trip_and_vocabulary_check(tmp_path):
    torch.manual_seed(0)
    vocab = Vocabulary.from_tokens([["a", "b", "c"]])
    model = nn.Embedding(len(vocab), 3)
    path = save_checkpoint(tmp_path / "m.pt", model, {"words": vocab}, config={"dim": 3}, extra={"epoch": 2})
    saved = torch.load(path, weights_only=True)
    assert all(t.device.type == "cpu" for t in saved["model"].values()), "weights must be saved on the CPU"
    fresh = nn.Embedding(len(vocab), 3)
    payload = load_checkpoint(path, fresh, {"words": vocab}, device="cpu")
    assert torch.equal(fresh.weight, model.weight) and payload["extra"]["epoch"] == 2
    other = Vocabulary.from_tokens([["a", "c", "b", "b"]])
    with pytest.raises(CheckpointError, match="'words' vocabulary differs .* first difference at index 1"):
        load_checkpoint(path, fresh, {"words": other})
    with pytest.raises(CheckpointError, match="does not fit this model"):
        load_checkpoint(path, nn.Embedding(7, 3))
    with pytest.raises(FileNotFoundError, match="train a model first"):
        load_checkpoint(tmp_path / "missing.pt", fresh)
    assert not list(tmp_path.glob(".*.tmp")), "the atomic write left a temporary file behind"


def test_sample_next_filters():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert sample_next(logits, temperature=0).tolist() == [0]
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([sample_next(logits, top_k=2, generator=generator) for _ in range(300)])
    assert set(draws.flatten().tolist()) == {0, 1}, "top_k=2 must only draw the two most probable tokens"
    draws = torch.stack([sample_next(logits, top_p=0.8, generator=generator) for _ in range(300)])
    assert set(draws.flatten().tolist()) == {0, 1}, "top_p=0.8: 0.5 + 0.3 reaches 0.8, so only tokens 0 and 1"
    draws = torch.stack([sample_next(logits[0], top_p=0.4, generator=generator) for _ in range(50)])
    assert set(draws.tolist()) == {0}, "top_p below the top probability keeps the top token alone"
    counts = torch.bincount(torch.stack([sample_next(logits, generator=generator) for _ in range(4000)]).flatten(),
                            minlength=4) / 4000
    assert torch.allclose(counts, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.03), f"frequencies {counts.tolist()}"
    first = [int(sample_next(logits, generator=torch.Generator().manual_seed(5))) for _ in range(3)]
    assert len(set(first)) == 1, "the same generator state must give the same draw"


@pytest.mark.parametrize("kwargs,message", [({"top_p": 0.0}, r"top_p must be in \(0, 1\]"),
                                            ({"top_p": 1.2}, r"top_p must be in \(0, 1\]"),
                                            ({"top_k": 0}, "top_k must be >= 1"),
                                            ({"temperature": -1.0}, "temperature must be >= 0")])
def test_sample_next_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_next(torch.zeros(1, 3), **kwargs)
