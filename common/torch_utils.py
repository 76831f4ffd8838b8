"""PyTorch helpers shared by the PyTorch homeworks: device, padded tensors, checkpoints, train step, sampling.

    device = resolve_device("auto")                       # cuda when present, else cpu
    batch = padded_tensors([[4, 5, 6], [7]], pad_index=0, device=device)
    batch.indices  # [2, 3] int64     batch.lengths  # [2] int64     batch.mask  # [2, 3] bool
    step = TrainStep(model, optimizer, clip_norm=0.25, amp=True)   # AMP only acts on CUDA
    loss_value, grad_norm = step(loss_fn)                 # loss_fn() -> scalar loss tensor
    save_checkpoint(path, model, vocabularies={"words": vocab}, config=config_dict)
    load_checkpoint(path, model, vocabularies={"words": vocab}, device=device)   # CPU <-> GPU
    next_index = sample_next(logits, temperature=0.8, top_k=50, top_p=0.9, generator=generator)
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from common.data import pad_batch
from common.fileio import atomic_path
from common.vocabulary import Vocabulary

CHECKPOINT_FORMAT = 1


# ---------------------------------------------------------------------------------------------
# Devices


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` -> ``cuda`` when a GPU is visible, else ``cpu``; ``"cpu"``, ``"cuda:1"``, ``"mps"``... as given.

    Asking for a device this machine does not have is an error that names the fix.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} was asked for but torch sees no CUDA GPU on this machine; "
                             "use device: auto (or cpu)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} GPU(s); "
                             f"use cuda:0 .. cuda:{torch.cuda.device_count() - 1}")
    if device.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"device {name!r} was asked for but MPS is not available here; use device: auto (or cpu)")
    return device


def amp_enabled(device: torch.device, requested: bool) -> bool:
    """Mixed precision is used only when asked for and the device is a CUDA GPU (a no-op on CPU)."""
    return bool(requested) and device.type == "cuda"


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """float16 autocast on CUDA when `enabled`; otherwise a context that changes nothing."""
    if amp_enabled(device, enabled):
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------------------------
# Padded batches


@dataclass
class TensorBatch:
    """Index sequences padded to a common length, as tensors on one device.

    indices: [batch, max_len] int64 (`pad_index` after each end); lengths: [batch] int64 (on the CPU,
    as ``pack_padded_sequence`` wants); mask: [batch, max_len] bool, True at real tokens.
    """

    indices: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor


def padded_tensors(sequences: Sequence[Sequence[int]], pad_index: int,
                   device: torch.device | str = "cpu") -> TensorBatch:
    """Pad with :func:`common.data.pad_batch` and move indices and mask to `device` (lengths stay on the CPU)."""
    batch = pad_batch(sequences, pad_index)
    device = torch.device(device)
    return TensorBatch(indices=torch.from_numpy(batch.indices).to(device),   # [B, T]
                       lengths=torch.from_numpy(batch.lengths),              # [B]
                       mask=torch.from_numpy(batch.mask).to(device))         # [B, T]


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """[batch] lengths -> [batch, max_len] bool mask, True where position < length."""
    if lengths.dim() != 1:
        raise ValueError(f"expected lengths of shape [batch], got {tuple(lengths.shape)}")
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


# ---------------------------------------------------------------------------------------------
# Training


class TrainStep:
    """One optimisation step: zero grads -> forward/loss under autocast -> backward -> clip -> step.

    `optimizer` may be a list (e.g. ``SparseAdam`` for a sparse embedding and ``Adam`` for the rest);
    `clip_parameters` limits clipping to some parameters (default: all trainable ones; sparse
    gradients cannot be clipped by norm, so leave a sparse embedding out). With `amp` on a CUDA
    device, a ``GradScaler`` scales the loss and unscales the gradients before clipping, so
    `clip_norm` means the same with and without mixed precision. On the CPU `amp` does nothing and
    the step is plain float32.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | Sequence[torch.optim.Optimizer],
                 clip_norm: float | None = None, amp: bool = False, device: torch.device | None = None,
                 clip_parameters: Sequence[nn.Parameter] | None = None) -> None:
        if clip_norm is not None and clip_norm <= 0:
            raise ValueError(f"clip_norm must be > 0 or None (no clipping), got {clip_norm}")
        self.model, self.clip_norm = model, clip_norm
        self.optimizers = list(optimizer) if isinstance(optimizer, Sequence) else [optimizer]
        self.device = device if device is not None else next(model.parameters()).device
        self.amp = amp_enabled(self.device, amp)
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        chosen = model.parameters() if clip_parameters is None else clip_parameters
        self.parameters = [p for p in chosen if p.requires_grad]

    def __call__(self, loss_fn: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, float | None]:
        """Run `loss_fn` (a scalar loss), update the model; return (detached loss, gradient norm before clipping).

        The gradient norm is None when there is no clipping (computing it would cost a pass over the
        gradients). The loss stays a tensor so a caller can sum losses without a device sync per step.
        """
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, self.amp):
            loss = loss_fn()
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar loss, got shape {tuple(loss.shape)}")
        grad_norm = None
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            for optimizer in self.optimizers:
                self.scaler.unscale_(optimizer)
            if self.clip_norm is not None:
                grad_norm = float(nn.utils.clip_grad_norm_(self.parameters, self.clip_norm))
            for optimizer in self.optimizers:
                self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            if self.clip_norm is not None:
                grad_norm = float(nn.utils.clip_grad_norm_(self.parameters, self.clip_norm))
            for optimizer in self.optimizers:
                optimizer.step()
        return loss.detach(), grad_norm


def detach_state(state: Any) -> Any:
    """Cut the graph behind a recurrent state (a tensor or nested tuple/list of tensors), for truncated BPTT."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach_state(part) for part in state)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (a tied weight counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# Checkpoints


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model or vocabulary it is loaded into; the message names the fix."""


def save_checkpoint(path: str | Path, model: nn.Module, vocabularies: Mapping[str, Vocabulary] | None = None,
                    config: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None) -> Path:
    """Write the model's weights (moved to the CPU), the vocabularies' tokens, the config and `extra` atomically.

    A checkpoint written on a GPU loads on a CPU-only machine and the other way round.
    """
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model": {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
        "vocabularies": {name: list(vocab.tokens) for name, vocab in (vocabularies or {}).items()},
        "config": dict(config or {}),
        "extra": dict(extra or {}),
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path: str | Path, model: nn.Module, vocabularies: Mapping[str, Vocabulary] | None = None,
                    device: torch.device | str = "cpu") -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into `model` on `device`; return the whole payload.

    Every vocabulary in `vocabularies` must equal the one saved under the same name (same tokens in
    the same order): indices from another vocabulary would silently mean other words.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; train a model first (it is written by the run)")
    device = torch.device(device)
    payload = torch.load(path, map_location=device, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint written by common.torch_utils.save_checkpoint")
    for name, vocab in (vocabularies or {}).items():
        saved = payload["vocabularies"].get(name)
        if saved is None:
            raise CheckpointError(f"{path} holds no vocabulary {name!r} (it has {sorted(payload['vocabularies'])})")
        if saved != list(vocab.tokens):
            where = next((i for i, (a, b) in enumerate(zip(saved, vocab.tokens, strict=False)) if a != b),
                         min(len(saved), len(vocab.tokens)))
            raise CheckpointError(
                f"{path}: the {name!r} vocabulary differs from the one the model was trained with "
                f"(saved {len(saved)} tokens, given {len(vocab)}; first difference at index {where}); "
                "rebuild the vocabulary from the same data and settings, or load the vocabulary saved with the run")
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as error:
        raise CheckpointError(f"{path} does not fit this model (different sizes or layers?): {error}") from None
    model.to(device)
    return payload


# ---------------------------------------------------------------------------------------------
# Sampling


def check_sampling_settings(temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None) -> None:
    """Raise a ValueError naming the setting when :func:`sample_next` would refuse it (so callers can fail early)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p}")


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one index per row from ``softmax(logits / temperature)`` restricted to the top-k / top-p tokens.

    logits: [batch, vocab] (or [vocab]); returns [batch] (or a 0-d tensor) int64.
    `temperature` 0 means greedy (argmax). `top_k`: keep the k most probable tokens. `top_p`
    (nucleus): keep the smallest set of most probable tokens whose probability reaches p, in (0, 1].
    Both filters may be combined (top-k first). The same generator state gives the same draws.
    """
    check_sampling_settings(temperature, top_k, top_p)
    single = logits.dim() == 1
    logits = logits[None, :] if single else logits                     # [B, V]
    if logits.dim() != 2:
        raise ValueError(f"expected logits [batch, vocab] or [vocab], got shape {tuple(logits.shape)}")
    logits = logits.float()
    if temperature == 0:
        choice = logits.argmax(dim=-1)
        return choice[0] if single else choice
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]         # [B, 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)   # [B, V]
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs                   # mass of the strictly better tokens
        drop_sorted = before >= top_p                                  # the first token is always kept
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    probs = torch.softmax(logits, dim=-1)                              # [B, V]
    choice = torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(-1).to(logits.device)
    return choice[0] if single else choice

