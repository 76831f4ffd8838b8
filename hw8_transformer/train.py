"""Our training loop in plain PyTorch: AdamW, linear warm-up then linear decay, gradient clipping,
gradient accumulation, evaluation every N updates, the best-on-dev checkpoint; optional bf16/fp16
autocast and ``torch.compile``; DistributedDataParallel when launched by torchrun.

`batch_size` is the *global* batch of one optimizer update: split over `world_size` processes and
`grad_accum` micro-batches each. One process with batch 32 and two processes with batch 32 take the
same steps (see tests/test_distributed.py).
"""
from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from common.metrics import accuracy
from hw8_transformer.data import TokenizedSplit, make_loader
from hw8_transformer.distributed import Process, barrier

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class TrainSettings:
    """Optimisation settings (the run config's `train` section)."""

    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.06               # fraction of the updates spent warming up
    epochs: float = 3.0                # may be fractional
    batch_size: int = 32               # global examples per optimizer update
    grad_accum: int = 1                # micro-batches per update on each process
    max_grad_norm: float = 1.0         # 0 = no clipping
    eval_every: int = 500              # updates between dev evaluations (0 = once per epoch)
    eval_batch_size: int = 128
    precision: str = "fp32"            # fp32 | bf16 | fp16 (autocast; fp16 adds loss scaling)
    compile: bool = False              # torch.compile the model (GPU; dynamic shapes)
    layer_decay: float = 1.0           # lr x layer_decay**depth below the top (1 = one lr for all layers)

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {self.precision!r}")
        for name in ("lr", "epochs", "batch_size", "grad_accum", "eval_batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.layer_decay <= 1:
            raise ValueError(f"layer_decay scales the lr per layer below the top, in (0, 1]; got {self.layer_decay}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup is a fraction of the updates in [0, 1), got {self.warmup}")


def linear_warmup_decay(step: int, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate multiplier at update `step` (0-based): rises linearly from 0 to 1 over `warmup_steps`,
    then falls linearly to 0 at `total_steps` (transformers' ``get_linear_schedule_with_warmup``).

    So it is 0 at step 0, step / warmup_steps during the warm-up, 1 at step == warmup_steps (at step 0 when
    there is no warm-up), and 0 from `total_steps` on.
    """
    # TODO: the two linear pieces; never negative (about 3 lines)
    # BEGIN SOLUTION
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
    # END SOLUTION


def train_update(model: nn.Module, micro_batches: Sequence[dict[str, torch.Tensor]],
                 optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
                 max_grad_norm: float, scaler: torch.amp.GradScaler,
                 autocast: Callable[[], contextlib.AbstractContextManager],
                 no_sync: Callable[[], contextlib.AbstractContextManager]) -> float:
    """One optimizer update from this process's micro-batches; returns the mean cross-entropy per example.

    The loss of each micro-batch is its *summed* cross-entropy divided by the number of examples in
    all `micro_batches`, so the accumulated gradient is the mean over the update whatever the split.
    Run the forward pass under ``autocast()``; backpropagate ``scaler.scale(loss)``; run every
    micro-batch but the last under ``no_sync()`` (DistributedDataParallel then averages the gradients
    across processes once, at the last backward). Then unscale, clip the gradient norm to
    `max_grad_norm` (if > 0), step the optimizer through the scaler, update the scaler, step the
    scheduler and zero the gradients.
    """
    total = sum(len(batch["labels"]) for batch in micro_batches)
    # TODO: accumulate, clip, step (about 17 lines)
    # BEGIN SOLUTION
    summed = 0.0
    for i, batch in enumerate(micro_batches):
        sync = contextlib.nullcontext() if i == len(micro_batches) - 1 else no_sync()
        with sync:
            with autocast():
                logits = model(batch["input_ids"], batch["attention_mask"])                # (b, C)
                loss = F.cross_entropy(logits.float(), batch["labels"], reduction="sum") / total
            scaler.scale(loss).backward()
        summed += loss.item()
    scaler.unscale_(optimizer)
    if max_grad_norm > 0:
        nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], max_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return summed
    # END SOLUTION


@dataclass
class Evaluation:
    """Dev-set results: accuracy, mean loss, P(label) per example [n, C] and predictions [n] in split order."""

    accuracy: float
    loss: float
    probabilities: np.ndarray
    predictions: np.ndarray


@torch.no_grad()
def evaluate(model: nn.Module, split: TokenizedSplit, pad_token_id: int, device: torch.device,
             batch_size: int = 128, precision: str = "fp32") -> Evaluation:
    """Evaluate on the whole `split` (batches sorted by length); every process computes the same numbers."""
    was_training = model.training
    model.eval()
    probabilities = np.zeros((len(split), 0), dtype=np.float32)
    loader = make_loader(split, pad_token_id, batch_size, shuffle=False)
    total_loss = 0.0
    for batch in loader:
        with _autocast(device, precision)():
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device)).float()  # (B, C)
        labels = batch["labels"].to(device)
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        if probabilities.shape[1] == 0:
            probabilities = np.zeros((len(split), logits.shape[1]), dtype=np.float32)
        probabilities[batch["index"].numpy()] = logits.softmax(dim=-1).cpu().numpy()
    model.train(was_training)
    predictions = probabilities.argmax(axis=1)
    return Evaluation(accuracy(split.labels, predictions), total_loss / len(split), probabilities, predictions)


@dataclass
class History:
    """What happened in training: loss per update, dev accuracy at each evaluation, timing."""

    update_loss: list[float] = field(default_factory=list)
    eval_updates: list[int] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)
    best_accuracy: float = -1.0
    best_update: int = 0
    train_seconds: float = 0.0
    train_examples: int = 0

    @property
    def examples_per_second(self) -> float:
        """Training examples (all processes) per second of training (evaluation excluded)."""
        return self.train_examples / self.train_seconds if self.train_seconds else 0.0


def _autocast(device: torch.device, precision: str) -> Callable[[], contextlib.AbstractContextManager]:
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


_LAYER = re.compile(r"\blayer\.(\d+)\.")


def layer_depths(model: nn.Module) -> dict[str, int]:
    """How far below the top each trainable parameter sits: 0 for the head and the pooler, 1 for the last
    transformer layer (``...layer.<L-1>....``), L for the first, L + 1 for the embeddings."""
    layer_of = {name: _LAYER.search(name) for name, p in model.named_parameters() if p.requires_grad}
    num_layers = max((int(m.group(1)) for m in layer_of.values() if m), default=-1) + 1
    return {name: num_layers - int(m.group(1)) if m else (num_layers + 1 if "embeddings." in name else 0)
            for name, m in layer_of.items()}


def parameter_groups(model: nn.Module, settings: TrainSettings) -> list[dict]:
    """AdamW parameter groups: no weight decay on biases and LayerNorm weights (as is customary), and with
    ``layer_decay`` < 1 a learning rate of ``lr * layer_decay**depth`` (:func:`layer_depths`): the head
    learns at `lr`, layers further from it less (layer-wise learning-rate decay)."""
    params = dict(model.named_parameters())
    groups: dict[tuple[int, bool], dict] = {}
    for name, depth in layer_depths(model).items():
        parameter = params[name]
        decays = parameter.dim() >= 2
        key = (depth if settings.layer_decay < 1 else 0, decays)
        group = groups.setdefault(key, {
            "params": [], "weight_decay": settings.weight_decay if decays else 0.0,
            "lr": settings.lr * settings.layer_decay ** depth})
        group["params"].append(parameter)
    return list(groups.values())


def fit(model: nn.Module, train: TokenizedSplit, dev: TokenizedSplit, pad_token_id: int, settings: TrainSettings,
        process: Process, seed: int = 0, save_best: Callable[[nn.Module], None] | None = None,
        log: Callable[[str], None] = print, progress: Callable = lambda iterable, **_: iterable) -> History:
    """Train `model` (already on ``process.device``) on `train`, evaluating on `dev` every
    ``settings.eval_every`` updates and at the end; `save_best(model)` runs on the main process at each
    new best dev accuracy."""
    device, history = process.device, History()
    micro = settings.batch_size // (process.world_size * settings.grad_accum)
    if micro * process.world_size * settings.grad_accum != settings.batch_size:
        raise ValueError(f"batch_size {settings.batch_size} must be divisible by world_size x grad_accum = "
                         f"{process.world_size} x {settings.grad_accum}")
    loader = make_loader(train, pad_token_id, settings.batch_size, shuffle=True, seed=seed,
                         world_size=process.world_size, rank=process.rank, micro_batches=settings.grad_accum)
    updates_per_epoch = len(loader) // settings.grad_accum
    if updates_per_epoch == 0:
        raise ValueError(f"{len(train)} training examples make no batch of {settings.batch_size}; "
                         "lower batch_size or use more examples")
    total_updates = max(1, math.ceil(updates_per_epoch * settings.epochs))
    warmup_updates = int(settings.warmup * total_updates)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("the model has no trainable parameter; unfreeze the encoder or keep the head trainable")
    optimizer = torch.optim.AdamW(parameter_groups(model, settings), lr=settings.lr,
                                  fused=device.type in ("cpu", "cuda"))  # one kernel for all parameters
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: linear_warmup_decay(step, warmup_updates, total_updates))
    scaler = torch.amp.GradScaler(device.type, enabled=settings.precision == "fp16")
    autocast = _autocast(device, settings.precision)
    network = model
    if process.world_size > 1:
        device_ids = [device.index] if device.type == "cuda" else None
        network = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
    no_sync = network.no_sync if process.world_size > 1 else contextlib.nullcontext
    if settings.compile:
        network = torch.compile(network, dynamic=True)
    eval_every = settings.eval_every or updates_per_epoch
    log(f"training: {len(train):,} examples, {total_updates:,} updates of {settings.batch_size} "
        f"({process.world_size} process(es) x {settings.grad_accum} micro-batch(es) of {micro}), "
        f"{warmup_updates} warm-up updates, {sum(p.numel() for p in trainable):,} trainable parameters, "
        f"{settings.precision} on {device}")

    def run_evaluation(update: int) -> None:
        result = evaluate(model, dev, pad_token_id, device, settings.eval_batch_size, settings.precision)
        history.eval_updates.append(update)
        history.eval_accuracy.append(result.accuracy)
        improved = result.accuracy > history.best_accuracy
        if improved:
            history.best_accuracy, history.best_update = result.accuracy, update
            if save_best is not None and process.is_main:
                save_best(model)
        barrier(process)
        log(f"update {update:,}/{total_updates:,}: train loss {np.mean(history.update_loss[-eval_every:]):.4f}, "
            f"dev accuracy {result.accuracy:.4f}, dev loss {result.loss:.4f}{' (best)' if improved else ''}")

    model.train()
    update, epoch = 0, 0
    bar = progress(range(total_updates), desc="updates", total=total_updates)
    bar_iter = iter(bar)
    while update < total_updates:
        loader.batch_sampler.set_epoch(epoch)
        batches = iter(loader)
        while update < total_updates:
            group = [next(batches, None) for _ in range(settings.grad_accum)]
            if group[-1] is None:
                break
            start = time.perf_counter()
            group = [{k: v.to(device, non_blocking=True) for k, v in b.items() if k != "index"} for b in group]
            loss = train_update(network, group, optimizer, scheduler, settings.max_grad_norm, scaler, autocast, no_sync)
            history.train_seconds += time.perf_counter() - start
            history.train_examples += sum(len(b["labels"]) for b in group) * process.world_size
            history.update_loss.append(loss)
            update += 1
            next(bar_iter, None)
            if update % eval_every == 0 or update == total_updates:
                run_evaluation(update)
        epoch += 1
    if hasattr(bar, "close"):
        bar.close()
    return history

