"""train.py (given code): the state cut between windows, and the language model's learning-rate schedules
against the rules the handout gives (lr used in each epoch, worked out by hand)."""
from __future__ import annotations

import pytest
import torch

from common.schedule import end_epoch, epoch_scheduler
from hw6_rnn.config import LMConfig
from hw6_rnn.train import detach_state

pytestmark = pytest.mark.points(0)  # given code


def test_detach_state_keeps_structure():
    h = torch.ones(2, requires_grad=True) * 2
    state = detach_state((h, (h, h)))
    assert isinstance(state, tuple) and not state[0].requires_grad and not state[1][1].requires_grad


def rates(config: LMConfig, valid: list[float]) -> list[float]:
    """The learning rate of each epoch when the epochs end with these validation perplexities."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=config.lr)
    scheduler = epoch_scheduler(optimizer, config.schedule, config.lr_decay, config.decay_after, "min")
    used = []
    for perplexity in valid:
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()                                   # an epoch's updates (no gradients here)
        end_epoch(scheduler, perplexity)
    return used


VALID = [100.0, 90.0, 95.0, 80.0, 80.0, 70.0]


@pytest.mark.parametrize("schedule,decay,expected", [
    ("step", 0.5, [20, 20, 20, 10, 5, 2.5]),        # halved after every epoch from the 3rd on
    ("plateau", 0.5, [20, 20, 20, 10, 10, 5]),      # halved after epochs 3 (95 > 90) and 5 (80 is no new best)
    ("step", 1.0, [20] * 6),                        # lr_decay 1: a constant rate
])
def test_schedules_follow_the_rules(schedule, decay, expected):
    config = LMConfig(lr=20.0, schedule=schedule, lr_decay=decay, decay_after=3)
    assert rates(config, VALID) == expected, f"{schedule} schedule, lr_decay {decay}, decay_after 3"
