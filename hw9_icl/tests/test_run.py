"""hw9 end to end on the tiny model and a tiny data folder: base and chat model, cached cells; loading
errors that name the fix (given code)."""
from __future__ import annotations

import json
import shutil

import pytest

from common.config import ConfigError, load_config
from common.run import execute
from hw9_icl.config import Config, Headline
from hw9_icl.models import label_token_ids, load_language_model
from hw9_icl.run import main


@pytest.mark.task_run
@pytest.mark.points(2)
def test_run_end_to_end_with_cache(tiny_model_dirs, tiny_data, tmp_path) -> None:
    config = Config(data=tiny_data, model_path=str(tiny_model_dirs["base"]),
                    instruct_model_path=str(tiny_model_dirs["chat"]), ks=[0, 2], strategies=["random", "balanced"],
                    pool_size=0, min_words=1, random_labels_ks=[2], generation_num_dev=2, batch_size=2,
                    cache_dir=tmp_path / "cells", headline=Headline(k=2, strategy="balanced", calibration="batch"))
    metrics = execute("hw9_icl", config, main, runs_root=tmp_path / "runs", run_id="a")
    grid = metrics["grid"]
    assert {(row["model"], row["k"], row["strategy"]) for row in grid} == {
        (model, k, strategy) for model in ("base", "chat (chat)") for k, strategy in
        ((0, "none"), (2, "random"), (2, "balanced"))}, f"unexpected grid {grid}"
    assert all(0 <= row[key] <= 1 for row in grid for key in ("accuracy", "calibrated", "batch_calibrated"))
    assert len(metrics["random_labels"]) == 2 and len(metrics["generation"]) == 4
    for row in grid + metrics["random_labels"]:
        assert len(row["p_cf"]) == 2 and sum(row["p_cf"]) == pytest.approx(1, abs=1e-3), (
            f"expected each cell's content-free label distribution p_cf (two labels, summing to 1), got {row}")
    headlines = {(h["model"], h["accuracy"]) for h in metrics["headline"]}
    assert headlines == {(row["model"], row["batch_calibrated"]) for row in grid
                         if (row["k"], row["strategy"]) == (2, "balanced")}, "the declared cell is the headline"
    assert [(row["metric"], row.get("key")) for row in metrics["summary"][:2]] == [
        ("accuracy, base: k=2 balanced, batch-calibrated (declared in the config)", "headline_accuracy"),
        ("accuracy, chat (chat): k=2 balanced, batch-calibrated (declared in the config)", None)]
    run_dir = tmp_path / "runs/hw9_icl/a"
    assert (run_dir / "accuracy.md").is_file() and (run_dir / "accuracy_vs_k.png").is_file()
    for report in ("accuracy.md", "log.txt"):
        assert "p_cf" in (run_dir / report).read_text(), f"expected every cell's p_cf in {report}"
    again = execute("hw9_icl", config, main, runs_root=tmp_path / "runs", run_id="b")
    assert all(row["seconds"] is None for row in again["grid"]), "a rerun must read every cell from the cache"
    assert [r["accuracy"] for r in again["grid"]] == [r["accuracy"] for r in grid]
    saved = json.loads((tmp_path / "runs/hw9_icl/b/metrics.json").read_text())
    assert saved["summary"], "metrics.json must carry the summary rows"


@pytest.mark.task_run
@pytest.mark.points(0)  # given code: the template x seed ensemble, on the test split (needs all five tasks)
def test_ensemble_on_the_test_split(tiny_model_dirs, tiny_data, tmp_path) -> None:
    config = Config(data=tiny_data, model_path=str(tiny_model_dirs["base"]), split="test", ks=[0],
                    strategies=["balanced"], pool_size=0, min_words=1, random_labels_ks=[], generation_num_dev=0,
                    batch_size=2, ensemble_templates=["review", "qa"], ensemble_seeds=[0, 1], ensemble_k=2,
                    cache_dir=tmp_path / "cells")
    metrics = execute("hw9_icl", config, main, runs_root=tmp_path / "runs", run_id="e")
    (ensemble,) = metrics["ensembles"]
    assert [(m["template"], m["seed"]) for m in ensemble["members"]] == [
        ("review", 0), ("qa", 0), ("review", 1), ("qa", 1)], f"unexpected members {ensemble['members']}"
    assert all(0 <= ensemble[key] <= 1 for key in ("accuracy", "calibrated", "batch_calibrated"))
    assert "Ensemble of 4 prompts" in (tmp_path / "runs/hw9_icl/e/accuracy.md").read_text()
    assert [(row["key"], row["value"]) for row in metrics["summary"] if "ensemble of 4" in row["metric"]] == [
        ("test_ensemble_accuracy", round(ensemble["batch_calibrated"], 4))], "the ensemble's declared calibration"
    assert metrics["summary"][0]["dataset"] == "SST-2 test (4)"
    with pytest.raises(ValueError, match="unknown template"):
        Config(ensemble_templates=["no-such-template"])
    with pytest.raises(ConfigError, match=r"'split' must be one of \['dev', 'test'\]"):
        load_config(Config, overrides=["--split", "train"])


@pytest.mark.points(0)  # given code
def test_loading_errors_name_the_fix(tiny_model_dirs, tiny_lm, tmp_path) -> None:
    no_tokenizer = tmp_path / "weights-only"
    shutil.copytree(tiny_model_dirs["base"], no_tokenizer,
                    ignore=shutil.ignore_patterns("tokenizer*", "special_tokens*", "chat_template*"))
    with pytest.raises(FileNotFoundError, match="tokenizer"):
        load_language_model(no_tokenizer)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_language_model(tmp_path / "missing")
    with pytest.raises(ValueError, match="chat template"):
        load_language_model(tiny_model_dirs["base"], chat="yes")
    with pytest.raises(ValueError, match="tokenises to nothing"):
        label_token_ids(tiny_lm, (" negative", ""))
    assert load_language_model(tiny_model_dirs["chat"]).chat and not tiny_lm.chat, "chat template => instruct"
