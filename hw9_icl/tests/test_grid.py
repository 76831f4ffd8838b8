"""The grid resumes (given code): a run interrupted after some cells, continued with ``--resume``, scores
only the cells it had not finished and ends with the same metrics.json as a run that never stopped."""
from __future__ import annotations

import json
import shutil

import pytest

import hw9_icl.grid
from common.paths import REPO_ROOT
from common.run import run_cli
from hw9_icl.config import Config
from hw9_icl.run import main


class Interrupted(Exception):
    """Stands for the kill that stops a run between two model calls."""


def figures(value):
    """metrics.json without what depends on the clock or on where the config was read from."""
    if isinstance(value, dict):
        return {key: figures(item) for key, item in value.items() if key not in ("seconds", "config")}
    if isinstance(value, list):
        return [figures(item) for item in value]
    return value


@pytest.mark.task_run
@pytest.mark.points(0)  # given code: the grid's resume (needs all five tasks)
def test_an_interrupted_grid_resumes_without_scoring_its_finished_cells(tiny_model_dirs, tiny_data, tmp_path,
                                                                        monkeypatch) -> None:
    calls = []  # one entry per model call: a cell scored or a decoding setting generated

    def counted(function, stop_at=None):
        def wrapper(*args, **kwargs):
            calls.append(function.__name__)
            if len(calls) == stop_at:
                raise Interrupted
            return function(*args, **kwargs)
        return wrapper

    def count_calls(stop_at: int | None = None) -> None:
        calls.clear()
        monkeypatch.setattr(hw9_icl.grid, "score_cell", counted(score_cell, stop_at))
        monkeypatch.setattr(hw9_icl.grid, "generate_answers", counted(generate_answers, stop_at))

    def start(run_id: str) -> None:
        run_cli("hw9_icl", Config, main, [
            "--config", str(REPO_ROOT / "hw9_icl/config.quick.yaml"), "--runs-root", str(tmp_path), "--run-id",
            run_id, "--model_path", str(tiny_model_dirs["base"]), "--data", str(tiny_data), "--pool_size", "0",
            "--min_words", "1", "--ks", "[0, 2]", "--strategies", "[random, balanced]", "--random_labels_ks", "[2]",
            "--generation_num_dev", "2", "--batch_size", "2", "--ensemble_templates", "[review, qa]",
            "--ensemble_seeds", "[0]", "--ensemble_k", "2", "--headline.k", "2", "--cache_dir",
            str(tmp_path / f"cells-{run_id}")])

    score_cell, generate_answers = hw9_icl.grid.score_cell, hw9_icl.grid.generate_answers
    count_calls()
    start("straight")
    assert calls == ["score_cell"] * 5 + ["generate_answers"], (
        "expected 4 grid cells, the ensemble member that is not one of them (qa) and 1 decoding setting, got the "
        f"model calls {calls}")
    count_calls(stop_at=5)
    with pytest.raises(Interrupted):
        start("killed")  # the grid's 4 cells are done
    folder = tmp_path / "hw9_icl" / "killed"
    assert not (folder / "metrics.json").exists()
    shutil.rmtree(tmp_path / "cells-killed")  # the resume must come from the run folder, not the shared cache

    count_calls()
    run_cli("hw9_icl", Config, main, ["--resume", str(folder)])
    assert calls == ["score_cell", "generate_answers"], (
        f"expected the resumed run to score only the qa ensemble member and generate, got {calls}")
    log = (folder / "log.txt").read_text(encoding="utf-8")
    assert "last.ckpt: finished cells 4, none of them scored again" in log and log.count("hw9: reused cell") == 4, (
        "expected the log to name each of the 4 finished cells reused from last.ckpt")
    straight, resumed = (json.loads((tmp_path / "hw9_icl" / name / "metrics.json").read_text())
                         for name in ("straight", "killed"))
    assert figures(resumed) == figures(straight), "the resumed run's figures differ from the uninterrupted run's"
