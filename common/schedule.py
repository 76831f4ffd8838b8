"""The learning-rate schedule of the edugrad homeworks, epoch by epoch (the PyTorch ones use
``torch.optim.lr_scheduler``).

    schedule = LearningRateSchedule(lr=1e-3, decay=0.5, kind="plateau", min_improvement=0.01)
    for epoch in ...:
        optimizer.lr = schedule.lr          # the rate of this epoch
        ...train, then evaluate dev...
        schedule.step(dev_perplexity)       # the rate of the next epoch

``"exponential"``: epoch e trains with lr * decay ** (e - 1). ``"plateau"``: the rate is multiplied by
`decay` after an epoch whose metric (lower is better) did not improve on the best so far by at least
the fraction `min_improvement` (0.01: from 158.1 to 157.0 is no improvement, to 155.0 is one).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal


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
