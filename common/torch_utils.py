"""PyTorch helpers shared by the PyTorch homeworks: device and autocast, padded tensors, the train step.

    device = resolve_device("auto")                       # cuda when present, else cpu
    batch = padded_tensors([[4, 5, 6], [7]], pad_index=0, device=device)
    batch.indices  # [2, 3] int64     batch.lengths  # [2] int64     batch.mask  # [2, 3] bool
    with autocast(device, "bf16"):                        # also "fp16"; "fp32" changes nothing
        logits = model(batch.indices)
    step = TrainStep(model, optimizer, clip_norm=0.25, amp=True)   # AMP only acts on CUDA
    loss_value, grad_norm = step(loss_fn)                 # loss_fn() -> scalar loss tensor
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from common.data import pad_batch

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


Precision = Literal["fp32", "bf16", "fp16"]
PRECISION_DTYPES: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: torch.device, precision: Precision | bool) -> contextlib.AbstractContextManager:
    """Mixed precision on `device`: "bf16" / "fp16" run the ops autocast chooses in bfloat16 / float16 (the
    weights stay float32); "fp32" changes nothing. A bool is the plain AMP switch: True is float16 on a
    CUDA GPU and nothing elsewhere (:func:`amp_enabled`)."""
    if isinstance(precision, bool):
        precision = "fp16" if amp_enabled(device, precision) else "fp32"
    if precision not in PRECISION_DTYPES:
        raise ValueError(f"expected precision fp32, bf16 or fp16 (or a bool) but got {precision!r}")
    dtype = PRECISION_DTYPES[precision]
    return contextlib.nullcontext() if dtype is None else torch.autocast(device_type=device.type, dtype=dtype)


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
        with autocast(self.device, "fp16" if self.amp else "fp32"):
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


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (a tied weight counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
