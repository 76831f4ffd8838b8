"""common/checkpoint.py: a training loop killed anywhere resumes to the numbers of one that never stopped."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from common.checkpoint import CheckpointError, Checkpoints, TrainingLoop, load_state, save_state


class Killed(Exception):
    """Stands in for SIGKILL: the run stops between two statements and keeps only what is on disk."""


def toy_training(folder, kill_after: int | None = None, every_minutes: float | None = 0.0) -> dict:
    """Three epochs of four batches; every step draws from all four generators (the model's own one
    too), so any state left unrestored changes the result. Raises Killed after `kill_after` steps."""
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    weights = torch.zeros(3)
    own = np.random.default_rng(7)
    history: dict[str, list] = {"sums": []}
    partial = {"sum": 0.0}

    def state() -> dict:
        return {"weights": weights.clone(), "own": own.bit_generator.state, "history": history,
                "partial": dict(partial)}

    def restore(saved: dict) -> None:
        weights.copy_(saved["weights"])
        own.bit_generator.state = saved["own"]
        history.update(saved["history"])
        partial.update(saved["partial"])

    loop = TrainingLoop(Checkpoints(folder, every_minutes), state, restore, log=lambda message: None)
    steps = 0
    for epoch in loop.epochs(3):
        order = np.random.default_rng([0, epoch]).permutation(4)  # from the seed and the epoch only
        if loop.batch == 0:
            partial["sum"] = 0.0
        for batch in loop.batches(list(order)):
            weights += torch.rand(3) + float(np.random.rand()) + random.random() + own.random() + batch
            partial["sum"] += float(weights.sum())
            steps += 1
            if kill_after is not None and steps == kill_after:
                raise Killed
        history["sums"].append(round(partial["sum"], 6))
    return {"weights": weights.tolist(), "history": history["sums"], "after": float(torch.rand(1)),
            "resumed": loop.resumed}


@pytest.mark.parametrize("kill_after", [1, 3, 4, 6, 11])
def test_a_killed_loop_resumes_to_the_same_numbers(tmp_path, kill_after):
    expected = toy_training(tmp_path / "straight")
    with pytest.raises(Killed):
        toy_training(tmp_path / "killed", kill_after=kill_after)
    # the kill comes inside a step, so last.ckpt is the step before's (none before the first step ends)
    assert (tmp_path / "killed" / "last.ckpt").is_file() == (kill_after > 1)
    resumed = toy_training(tmp_path / "killed")
    assert resumed["resumed"] == (kill_after > 1) and not expected["resumed"]
    assert resumed["weights"] == expected["weights"], f"expected {expected} but got {resumed}"
    assert resumed["history"] == expected["history"] and resumed["after"] == expected["after"]


def test_resuming_a_finished_loop_trains_nothing_more(tmp_path):
    expected = toy_training(tmp_path)
    again = toy_training(tmp_path)
    assert again == {**expected, "resumed": True}


def test_without_mid_epoch_checkpoints_a_kill_replays_the_epoch(tmp_path):
    expected = toy_training(tmp_path / "straight", every_minutes=None)
    with pytest.raises(Killed):
        toy_training(tmp_path / "killed", kill_after=6, every_minutes=None)   # in epoch 2: last.ckpt is epoch 1's end
    assert load_state(tmp_path / "killed" / "last.ckpt")["epoch"] == 2
    assert toy_training(tmp_path / "killed", every_minutes=None)["weights"] == expected["weights"]


def test_states_are_written_atomically_and_checked(tmp_path):
    path = save_state(tmp_path / "x.ckpt", {"tensor": torch.ones(2, requires_grad=True) * 2, "array": np.arange(3)})
    loaded = load_state(path)
    assert torch.equal(loaded["tensor"], torch.full((2,), 2.0)) and not loaded["tensor"].requires_grad
    assert loaded["array"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["x.ckpt"], "no temporary file left behind"
    (tmp_path / "bad.ckpt").write_bytes(b"\x80\x05K\x01.")
    with pytest.raises(CheckpointError, match="not a checkpoint written by"):
        load_state(tmp_path / "bad.ckpt")
    with pytest.raises(FileNotFoundError, match="train a model first"):
        load_state(tmp_path / "missing.ckpt")


def test_parts_and_read_only_checkpoints(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    checkpoints.part("probe").save("best", {"a": 1})
    assert (tmp_path / "probe.best.ckpt").is_file() and checkpoints.part("probe").load("best")["a"] == 1
    assert checkpoints.load("last") is None
    Checkpoints(tmp_path, writable=False).save("last", {"a": 2})
    assert not (tmp_path / "last.ckpt").exists(), "a process other than rank 0 writes nothing"
    with pytest.raises(ValueError, match="every_minutes must be >= 0"):
        Checkpoints(tmp_path, every_minutes=-1)
