"""common/schedule.py: the edugrad homeworks' learning-rate schedule, checked by hand."""
from __future__ import annotations

import pytest

from common.schedule import LearningRateSchedule


def test_exponential_decay_by_hand():
    schedule = LearningRateSchedule(lr=1.0, decay=0.5)
    assert [schedule.lr, schedule.step(), schedule.step()] == [1.0, 0.5, 0.25]


def test_plateau_decays_after_an_epoch_without_enough_improvement():
    schedule = LearningRateSchedule(lr=1.0, decay=0.5, kind="plateau", min_improvement=0.01)
    rates = [schedule.step(metric) for metric in (158.1, 155.0, 154.9, 150.0, 151.0)]
    # 158.1 first: an improvement on inf; 155.0 is 2 % lower; 154.9 is not 1 % lower (decay) but is the
    # new best; 150.0 is 3 % below 154.9; 151.0 is worse (decay)
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert schedule.best == 150.0


def test_state_round_trip_and_bad_settings():
    schedule = LearningRateSchedule(lr=1.0, decay=0.5, kind="plateau")
    schedule.step(10.0)
    copy = LearningRateSchedule(lr=3.0, kind="plateau")
    copy.load_state_dict(schedule.state_dict())
    assert copy == schedule and copy.step(11.0) == 0.5
    with pytest.raises(ValueError, match="needs the epoch's metric"):
        LearningRateSchedule(lr=1.0, kind="plateau").step()
    with pytest.raises(ValueError, match="decay in \\(0, 1\\]"):
        LearningRateSchedule(lr=1.0, decay=0.0)


def test_torch_epoch_schedulers_by_hand():
    import torch

    from common.schedule import end_epoch, epoch_scheduler

    def rates(schedule: str, metrics: list[float], mode: str = "max", **kwargs) -> list[float]:
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        scheduler = epoch_scheduler(optimizer, schedule, 0.5, mode=mode, **kwargs)
        seen = []
        for metric in metrics:
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            end_epoch(scheduler, metric)
        return seen

    assert rates("plateau", [10, 12, 11, 11, 13, 14]) == [1, 1, 1, 0.5, 0.25, 0.25], "BLEU: halved after no new best"
    assert rates("plateau", [10, 12, 9], mode="min") == [1, 1, 0.5], "perplexity: 12 is no new best"
    assert rates("step", [0, 0, 0, 0, 0], decay_after=3) == [1, 1, 1, 0.5, 0.25], "halved after epoch 3 on"
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    assert epoch_scheduler(optimizer, "plateau", lr_decay=1.0) is None, "lr_decay 1 keeps the rate constant"
    with pytest.raises(ValueError, match="decay_after >= 1"):
        epoch_scheduler(optimizer, "step", 0.5, decay_after=0)
