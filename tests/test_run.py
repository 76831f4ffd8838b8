"""common/run.py: the run protocol writes config.yaml, metrics.json and log.txt; same seed, same numbers."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import yaml

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
