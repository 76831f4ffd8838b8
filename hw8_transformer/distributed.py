"""One process or many: the same training script under ``python``, ``torchrun`` or ``accelerate launch``.

``torchrun --nproc_per_node N`` (and ``accelerate launch --multi_gpu --num_processes N``, which starts
the processes the same way) sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; :func:`init_distributed`
then joins the process group (NCCL on GPUs, gloo on CPUs) and gives each process its device.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Process:
    """Where this process stands: rank among world_size processes, and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """The process that writes files and logs (rank 0)."""
        return self.rank == 0


def pick_device(requested: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> this process's GPU if there is one, else CPU; ``cpu``; ``cuda`` (an error without a GPU)."""
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {requested!r}")
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device cuda was asked for but torch sees no GPU; use --device cpu (or auto)")
    if requested != "cpu" and torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_distributed(requested_device: str = "auto") -> Process:
    """Join the process group when launched by torchrun/accelerate (WORLD_SIZE > 1); else one process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Process(0, 1, pick_device(requested_device))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(requested_device, local_rank)
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Process(rank, world_size, device)


def barrier(process: Process) -> None:
    """Wait for every process (no-op alone)."""
    if process.world_size > 1:
        dist.barrier()


def shutdown(process: Process) -> None:
    """Leave the process group (no-op alone)."""
    if process.world_size > 1 and dist.is_initialized():
        dist.destroy_process_group()
