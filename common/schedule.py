"""Learning-rate decay by epoch, once for the course: :class:`LearningRateSchedule` for the edugrad
homeworks, :func:`epoch_scheduler` (a ``torch.optim.lr_scheduler``) for the PyTorch ones.

    schedule = LearningRateSchedule(lr=1e-3, decay=0.5, kind="plateau", min_improvement=0.01)
    for epoch in ...:
        optimizer.lr = schedule.lr          # the rate of this epoch
        ...train, then evaluate dev...
        schedule.step(dev_perplexity)       # the rate of the next epoch

``"exponential"``: epoch e trains with lr * decay ** (e - 1). ``"plateau"``: the rate is multiplied by
`decay` after an epoch whose metric (lower is better) did not improve on the best so far by at least
the fraction `min_improvement` (0.01: from 158.1 to 157.0 is no improvement, to 155.0 is one).

    scheduler = epoch_scheduler(optimizer, "plateau", lr_decay=0.5, mode="max")   # torch; None if lr_decay == 1
    ...after each epoch: end_epoch(scheduler, val_bleu)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch


@dataclass
class LearningRateSchedule:
    lr: float                                            # the rate of the current epoch
    decay: float = 1.0                                   # the factor of each decay (1: constant)
    kind: Literal["exponential", "plateau"] = "exponential"
    min_improvement: float = 0.0                         # plateau: the relative fall that counts as progress
    best: float = math.inf                               # plateau: the best metric so far (lower is better)

    def __post_init__(self) -> None:
        if self.lr <= 0 or not 0 < self.decay <= 1 or not 0 <= self.min_improvement < 1:
            raise ValueError(f"expected lr > 0, decay in (0, 1] and min_improvement in [0, 1) but got {self.lr}, "
                             f"{self.decay} and {self.min_improvement}")
        if self.kind not in ("exponential", "plateau"):
            raise ValueError(f"kind must be 'exponential' or 'plateau', got {self.kind!r}")

    def improved(self, metric: float) -> bool:
        """Is `metric` a new best by at least the fraction `min_improvement`?"""
        return metric < self.best * (1 - self.min_improvement)

    def step(self, metric: float | None = None) -> float:
        """End an epoch (`metric`: its dev score, needed by ``plateau``); return the next epoch's rate."""
        if self.kind == "exponential":
            self.lr *= self.decay
            return self.lr
        if metric is None:
            raise ValueError("a plateau schedule needs the epoch's metric: schedule.step(dev_perplexity)")
        if not self.improved(metric):
            self.lr *= self.decay
        self.best = min(self.best, metric)
        return self.lr

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def epoch_scheduler(optimizer: torch.optim.Optimizer, schedule: Literal["plateau", "step"], lr_decay: float,
                    decay_after: int = 1, mode: Literal["min", "max"] = "min") -> Any:
    """A torch scheduler stepped once an epoch: ``plateau``, lr * lr_decay after an epoch whose metric is
    no new best (`mode` "max" for BLEU or accuracy, "min" for perplexity); ``step``, lr * lr_decay after
    every epoch from `decay_after` on. None when lr_decay is 1 (a constant rate)."""
    if not 0 < lr_decay <= 1 or decay_after < 1:
        raise ValueError(f"expected lr_decay in (0, 1] and decay_after >= 1 but got {lr_decay} and {decay_after}")
    if lr_decay == 1:
        return None
    if schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=lr_decay, patience=0,
                                                          threshold=0.0, threshold_mode="abs")
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: lr_decay ** max(0, epoch - decay_after + 1))


def end_epoch(scheduler: Any, metric: float) -> None:
    """Step an :func:`epoch_scheduler` (if any) at the end of an epoch whose metric was `metric`."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(metric)
    elif scheduler is not None:
        scheduler.step()
