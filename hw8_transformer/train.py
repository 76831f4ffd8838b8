"""Our training loop in plain PyTorch: AdamW, linear warm-up then linear decay (a LambdaLR of your
:func:`linear_warmup_decay`), gradient clipping and accumulation (your :func:`train_update`),
evaluation every N updates, the best-on-dev checkpoint; optional bf16/fp16 autocast and
``torch.compile``; DistributedDataParallel when launched by torchrun. ``fit`` is given code.

    history = fit(model, train, dev, tokenizer.pad_token_id, settings, process, seed=0,
                  checkpoints=run.checkpoints.part("finetune"), log=run.log, progress=run.progress)
    load_model(checkpoints.path("best"), model)     # the weights of the best dev evaluation

`batch_size` is the *global* batch of one optimizer update: split over `world_size` processes and
`grad_accum` micro-batches each. One process with batch 32 and two processes with batch 32 take the
same steps (see tests/test_distributed.py).

Checkpoints (common/checkpoint.py): ``best.ckpt`` holds the weights of the best dev evaluation (rewritten
at each new best); ``last.ckpt`` everything needed to continue (weights, AdamW, the schedule, the
gradient scaler, the history, the position in the epoch), written at every epoch's end and every
``--checkpoint-minutes`` within one, so ``--resume`` continues exactly. The loop's step is a whole
update, all its micro-batches, so no checkpoint falls inside an accumulation. Under torchrun rank 0
writes them and every rank reads them when resuming; as rank 0's random state is the one saved, each
process's dropout draws there come from (seed, rank, update).
"""
from __future__ import annotations

import contextlib
import functools
import math
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from common.checkpoint import Checkpoints, TrainingLoop, model_state
from common.torch_utils import autocast
from hw8_transformer.config import TrainSettings
from hw8_transformer.data import LengthGroupedBatchSampler, PaddingCollator, TokenizedSplit
from hw8_transformer.distributed import Process
from hw8_transformer.evaluate import evaluate


def linear_warmup_decay(step: int, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate multiplier at update `step` (0-based): rises linearly from 0 to 1 over `warmup_steps`,
    then falls linearly to 0 at `total_steps` (transformers' ``get_linear_schedule_with_warmup``).

    So it is 0 at step 0, step / warmup_steps during the warm-up, 1 at step == warmup_steps (at step 0 when
    there is no warm-up), and 0 from `total_steps` on. The one exception: when warmup_steps == total_steps
    the decay has no steps, and the multiplier at step == warmup_steps is 0, as in transformers.
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


class Trainer:
    """One model's training: its optimizer, schedule, gradient scaler, history and batches, saved and
    restored as a whole by the :class:`~common.checkpoint.TrainingLoop`."""

    def __init__(self, model: nn.Module, train: TokenizedSplit, dev: TokenizedSplit, pad_token_id: int,
                 settings: TrainSettings, process: Process, seed: int, checkpoints: Checkpoints,
                 log: Callable[[str], None]) -> None:
        self.model, self.train, self.dev, self.pad_token_id = model, train, dev, pad_token_id
        self.settings, self.process, self.seed, self.checkpoints, self.log = settings, process, seed, checkpoints, log
        world = process.world_size * settings.grad_accum
        if settings.batch_size % world:
            raise ValueError(f"batch_size {settings.batch_size} must be divisible by world_size x grad_accum = "
                             f"{process.world_size} x {settings.grad_accum}")
        self.sampler = LengthGroupedBatchSampler(train.lengths, settings.batch_size, shuffle=True, seed=seed,
                                                 world_size=process.world_size, rank=process.rank,
                                                 micro_batches=settings.grad_accum)
        self.updates_per_epoch = len(self.sampler.updates())
        if self.updates_per_epoch == 0:
            raise ValueError(f"{len(train)} training examples make no batch of {settings.batch_size}; "
                             "lower batch_size or use more examples")
        self.total_updates = max(1, math.ceil(self.updates_per_epoch * settings.epochs))
        self.warmup_updates = int(settings.warmup * self.total_updates)
        if not any(p.requires_grad for p in model.parameters()):
            raise ValueError("the model has no trainable parameter; unfreeze the encoder or keep the head trainable")
        device = process.device
        self.optimizer = torch.optim.AdamW(parameter_groups(model, settings), lr=settings.lr,
                                           fused=device.type in ("cpu", "cuda"))  # one kernel for all parameters
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: linear_warmup_decay(step, self.warmup_updates, self.total_updates))
        self.scaler = torch.amp.GradScaler(device.type, enabled=settings.precision == "fp16")
        self.autocast = functools.partial(autocast, device, settings.precision)
        self.network, self.no_sync = model, contextlib.nullcontext
        if process.world_size > 1:
            self.network = nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
            self.no_sync = self.network.no_sync
        if settings.compile:
            self.network = torch.compile(self.network, dynamic=True)
        self.collate = PaddingCollator(pad_token_id)
        self.history = History()

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                "history": asdict(self.history)}

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.history = History(**state["history"])

    @property
    def epochs(self) -> int:
        """Epochs begun: the last one may stop early (fractional `epochs`)."""
        return math.ceil(self.total_updates / self.updates_per_epoch)

    def epoch_updates(self, epoch: int) -> list[list[list[int]]]:
        """The updates of `epoch` (from 1) on this process, drawn from the seed and the epoch alone."""
        self.sampler.set_epoch(epoch - 1)
        return self.sampler.updates()[: self.total_updates - (epoch - 1) * self.updates_per_epoch]

    def update(self, micro_batches: Sequence[Sequence[int]]) -> None:
        """One optimizer update on this process's micro-batches (example indices); dev evaluation when due."""
        process, history = self.process, self.history
        if process.world_size > 1:   # only rank 0's random state is saved: draws per (seed, rank, update)
            torch.manual_seed(int(np.random.SeedSequence([self.seed, process.rank, len(history.update_loss)])
                                  .generate_state(1)[0]))
        batches = [self.collate([(i, self.train.input_ids[i], int(self.train.labels[i])) for i in micro])
                   for micro in micro_batches]
        start = time.perf_counter()
        batches = [{k: v.to(process.device, non_blocking=True) for k, v in b.items() if k != "index"} for b in batches]
        loss = train_update(self.network, batches, self.optimizer, self.scheduler, self.settings.max_grad_norm,
                            self.scaler, self.autocast, self.no_sync)
        history.train_seconds += time.perf_counter() - start
        history.train_examples += sum(len(b["labels"]) for b in batches) * process.world_size
        history.update_loss.append(loss)
        done = len(history.update_loss)
        if done % (self.settings.eval_every or self.updates_per_epoch) == 0 or done == self.total_updates:
            self.evaluate_dev(done)

    def evaluate_dev(self, update: int) -> None:
        """Score dev; a new best dev accuracy rewrites ``best.ckpt``."""
        settings, history = self.settings, self.history
        result = evaluate(self.model, self.dev, self.pad_token_id, self.process.device, settings.eval_batch_size,
                          settings.precision)
        history.eval_updates.append(update)
        history.eval_accuracy.append(result.accuracy)
        improved = result.accuracy > history.best_accuracy
        if improved:
            history.best_accuracy, history.best_update = result.accuracy, update
            self.checkpoints.save("best", model_state(self.model, extra={"update": update,
                                                                         "dev_accuracy": result.accuracy}))
        recent = history.update_loss[-(settings.eval_every or self.updates_per_epoch):]
        self.log(f"update {update:,}/{self.total_updates:,}: train loss {np.mean(recent):.4f}, dev accuracy "
                 f"{result.accuracy:.4f}, dev loss {result.loss:.4f}{' (best)' if improved else ''}")

    def describe(self) -> str:
        settings, process = self.settings, self.process
        micro = settings.batch_size // (process.world_size * settings.grad_accum)
        trainable = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        return (f"training: {len(self.train):,} examples, {self.total_updates:,} updates of {settings.batch_size} "
                f"({process.world_size} process(es) x {settings.grad_accum} micro-batch(es) of {micro}), "
                f"{self.warmup_updates} warm-up updates, {trainable:,} trainable parameters, "
                f"{settings.precision} on {process.device}")


def _no_progress(iterable: Iterable, **_: Any) -> Iterable:
    return iterable


def fit(model: nn.Module, train: TokenizedSplit, dev: TokenizedSplit, pad_token_id: int, settings: TrainSettings,
        process: Process, seed: int = 0, checkpoints: Checkpoints | None = None,
        log: Callable[[str], None] = print, progress: Callable[..., Iterable] = _no_progress) -> History:
    """Train `model` (already on ``process.device``) on `train`, evaluating on `dev` every
    ``settings.eval_every`` updates and after the last; resume from ``checkpoints``' ``last.ckpt`` when
    there is one. `model` ends with the weights of the last update; the best dev evaluation's are in
    ``checkpoints.path("best")``. Without `checkpoints` (a benchmark) they go to a temporary folder."""
    if checkpoints is None:
        with tempfile.TemporaryDirectory(prefix="hw8-fit-") as folder:
            return fit(model, train, dev, pad_token_id, settings, process, seed, Checkpoints(folder, None), log,
                       progress)
    trainer = Trainer(model, train, dev, pad_token_id, settings, process, seed, checkpoints, log)
    loop = TrainingLoop(checkpoints, trainer.state, trainer.restore, log)
    log(trainer.describe())
    model.train()
    for epoch in loop.epochs(trainer.epochs):
        updates = trainer.epoch_updates(epoch)
        for micro_batches in progress(loop.batches(updates), desc=f"epoch {epoch}", total=len(updates),
                                      initial=loop.batch):
            trainer.update(micro_batches)
    return trainer.history
