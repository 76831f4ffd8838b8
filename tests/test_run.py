"""common/run.py: the run protocol writes config.yaml, metrics.json and log.txt; same seed, same numbers."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import pytest
import torch
import yaml

from common.checkpoint import TrainingLoop
from common.run import Run, execute, run_cli, summary_row


@dataclass
class ToyConfig:
    seed: int = 0
    scale: float = 1.0


def toy_main(config: ToyConfig, run: Run) -> dict:
    run.log("training the toy")
    total = sum(run.progress(range(3), desc="steps"))
    draw = config.scale * (random.random() + float(np.random.rand()) + float(torch.rand(1)))
    return {"draw": draw, "total": total, "summary": [summary_row("toy", "draw", draw)]}


def test_execute_writes_the_run_folder(tmp_path):
    metrics = execute("hw0_toy", ToyConfig(seed=3, scale=2.0), toy_main, runs_root=tmp_path, run_id="a")
    folder = tmp_path / "hw0_toy" / "a"
    assert yaml.safe_load((folder / "config.yaml").read_text()) == {"seed": 3, "scale": 2.0}
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved == metrics and saved["hw"] == "hw0_toy" and saved["total"] == 3 and saved["seconds"] >= 0
    log = (folder / "log.txt").read_text()
    assert "training the toy" in log and "draw = " in log


def test_same_seed_same_numbers_and_a_new_folder(tmp_path):
    first = execute("hw0_toy", ToyConfig(seed=5), toy_main, runs_root=tmp_path, run_id="r")
    second = execute("hw0_toy", ToyConfig(seed=5), toy_main, runs_root=tmp_path, run_id="r")
    other = execute("hw0_toy", ToyConfig(seed=6), toy_main, runs_root=tmp_path, run_id="r")
    assert first["draw"] == second["draw"] != other["draw"]
    assert sorted(p.name for p in (tmp_path / "hw0_toy").iterdir()) == ["r", "r-2", "r-3"]


def test_failing_main_leaves_no_metrics(tmp_path):
    def broken(config, run):
        run.log("about to fail")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        execute("hw0_toy", ToyConfig(), broken, runs_root=tmp_path, run_id="bad")
    folder = tmp_path / "hw0_toy" / "bad"
    assert not (folder / "metrics.json").exists()
    assert "RuntimeError: boom" in (folder / "log.txt").read_text()


def test_run_cli_reads_config_and_overrides(tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text("seed: 1\nscale: 0.0\n")
    metrics = run_cli("hw0_toy", ToyConfig, toy_main, ["--config", str(config_file), "--runs-root", str(tmp_path),
                                                        "--run-id", "cli", "--seed", "2"])
    assert metrics["draw"] == 0.0
    assert yaml.safe_load((tmp_path / "hw0_toy" / "cli" / "config.yaml").read_text()) == {"seed": 2, "scale": 0.0}
    with pytest.raises(SystemExit) as caught:
        run_cli("hw0_toy", ToyConfig, toy_main, ["--config", str(config_file), "--sale", "1"])
    assert caught.value.code == 2


@dataclass
class CountingConfig:
    seed: int = 0
    epochs: int = 3          # passes over the toy data
    fail_at: int = 0         # raise in this epoch (0: never), as a killed run would stop


def counting_main(config: CountingConfig, run: Run) -> dict:
    """A toy training run on the TrainingLoop: last.ckpt after every batch, draws from the global generators."""
    state = {"total": 0.0}
    loop = TrainingLoop(run.checkpoints, lambda: dict(state), state.update, run.log)
    for epoch in loop.epochs(config.epochs):
        for _ in loop.batches(range(4)):
            state["total"] += float(torch.rand(1)) + random.random()
        if epoch == config.fail_at:
            raise RuntimeError("killed")
    return {"total": state["total"], "summary": [summary_row("toy", "total", state["total"])]}


def test_resume_continues_the_run_in_its_folder(tmp_path):
    straight = run_cli("hw0_toy", CountingConfig, counting_main, ["--config", _write(tmp_path, "epochs: 3\n"),
                                                                  "--runs-root", str(tmp_path), "--run-id", "a"])
    with pytest.raises(RuntimeError, match="killed"):
        run_cli("hw0_toy", CountingConfig, counting_main, ["--config", _write(tmp_path, "epochs: 3\nfail_at: 2\n"),
                                                           "--runs-root", str(tmp_path), "--run-id", "b",
                                                           "--checkpoint-minutes", "0"])
    folder = tmp_path / "hw0_toy" / "b"
    (folder / "config.yaml").write_text("epochs: 3\nfail_at: 0\n")   # the instructor fixed the cause
    resumed = run_cli("hw0_toy", CountingConfig, counting_main, ["--resume", str(folder)])
    assert resumed["total"] == straight["total"], f"expected {straight['total']} but got {resumed['total']}"
    log = (folder / "log.txt").read_text()
    assert "resuming in" in log and "at epoch 2, batch 3" in log, log   # the kill came after batch 4 of epoch 2
    assert json.loads((folder / "metrics.json").read_text())["total"] == straight["total"]
    with pytest.raises(SystemExit) as finished:
        run_cli("hw0_toy", CountingConfig, counting_main, ["--resume", str(folder)])
    assert finished.value.code == 2


def test_resume_refuses_overrides_and_folders_that_are_not_runs(tmp_path, capsys):
    for argv, message in ((["--resume", str(tmp_path)], "is not a run folder"),
                          (["--resume", str(tmp_path), "--epochs", "2"], "drop the overrides --epochs 2")):
        with pytest.raises(SystemExit):
            run_cli("hw0_toy", CountingConfig, counting_main, argv)
        assert message in capsys.readouterr().err


def test_a_run_id_that_is_a_path_is_refused(tmp_path, capsys):
    for run_id in ("../../x", "a/b", ".."):
        with pytest.raises(SystemExit):
            run_cli("hw0_toy", CountingConfig, counting_main, ["--runs-root", str(tmp_path), "--run-id", run_id])
        assert "--run-id must be a plain folder name" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "a refused run id must create no folder"


@dataclass
class Section:
    rate: float = 0.1        # how fast


@dataclass
class NestedConfig:
    seed: int = 0
    fast: Section = dataclass_field(default_factory=lambda: Section(rate=0.5))   # a section whose default differs


def test_help_shows_a_sections_default_from_its_default_factory():
    from common.config import describe_config

    assert describe_config(NestedConfig)[1] == ("fast.rate", "float", "0.5", "how fast")


def test_help_lists_every_config_key_with_type_default_and_meaning(capsys):
    with pytest.raises(SystemExit):
        run_cli("hw0_toy", CountingConfig, counting_main, ["--help"], description="Count to three.")
    text = capsys.readouterr().out
    assert "Count to three." in text and "--resume RUN_DIR" in text and "--checkpoint-minutes M" in text
    assert "--epochs" in text and "int, default 3: passes over the toy data" in text, text


def test_processes_other_than_rank_0_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    metrics = run_cli("hw0_toy", CountingConfig, counting_main, ["--config", _write(tmp_path, "epochs: 1\n"),
                                                                 "--runs-root", str(tmp_path / "runs")])
    assert metrics["total"] > 0 and not (tmp_path / "runs").exists(), "rank 1 made a run folder"


def _write(folder, text: str) -> str:
    path = folder / f"config{abs(hash(text))}.yaml"
    path.write_text(text)
    return str(path)
