"""One process or many: the same training script under ``python``, ``torchrun`` or ``accelerate launch``.

``torchrun --nproc_per_node N`` (and ``accelerate launch --multi_gpu --num_processes N``, which starts
the processes the same way) sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; :func:`init_distributed`
then joins the process group (NCCL on GPUs, gloo on CPUs) and gives each process its device. The run
protocol (common/run.py) reads ``RANK`` too: rank 0 is the run, the others write nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from common.torch_utils import resolve_device


@dataclass(frozen=True)
class Process:
    """Where this process stands: rank among world_size processes, and its device."""

    rank: int
    world_size: int
    device: torch.device


def process_device(requested: str, local_rank: int = 0) -> torch.device:
    """:func:`common.torch_utils.resolve_device`, with a GPU this process's own (``cuda:<local rank>``)."""
    device = resolve_device(requested)
    return torch.device("cuda", local_rank) if device.type == "cuda" else device


def init_distributed(requested_device: str = "auto") -> Process:
    """Join the process group when launched by torchrun/accelerate (WORLD_SIZE > 1); else one process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Process(0, 1, process_device(requested_device))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = process_device(requested_device, local_rank)
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Process(rank, world_size, device)


def shutdown(process: Process) -> None:
    """Leave the process group (no-op alone)."""
    if process.world_size > 1 and dist.is_initialized():
        dist.destroy_process_group()
