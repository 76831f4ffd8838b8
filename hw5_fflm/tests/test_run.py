"""hw5 end to end on 300 PTB lines: the run writes its outputs and summary rows, the same seed
gives the same numbers, and the time budget counts the training done before a resume."""
from pathlib import Path

import pytest

from common.checkpoint import load_state, save_state
from common.config import ConfigError, load_config
from common.run import Launch, execute
from hw5_fflm.run import Config, main
from hw5_fflm.train import make_schedule

pytestmark = pytest.mark.task_run
TINY = dict(max_train_sentences=300, max_eval_sentences=100, context_size=3, embedding_dim=8, hidden_dim=16,
            epochs=2, batch_size=128, kn_order=3, sample_words=5, prompts=["the company", "zebra crossing"])


@pytest.mark.points(2)
def test_a_tiny_run_writes_every_output(tmp_path: Path):
    metrics = execute("hw5_fflm", Config(**TINY), main, runs_root=tmp_path, run_id="tiny")
    folder = tmp_path / "hw5_fflm" / "tiny"
    for name in ("metrics.json", "config.yaml", "log.txt", "vocab.tsv", "best.ckpt", "last.ckpt", "curves.png"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    assert metrics["vocab_size"] == 10_001, (
        f"expected 10,001 ids (PTB train's 9,999 word types, <unk> included, plus </s> and <s>) but got "
        f"{metrics['vocab_size']}")
    history = metrics["history"]["train_perplexity"]
    assert history[1] < history[0], f"expected the training perplexity to fall but got {history}"
    perplexities = metrics["perplexity"]
    assert perplexities["interpolated"]["valid"] <= min(p["valid"] for p in perplexities.values()) + 1e-9, (
        f"the interpolation weight is tuned on valid, so it is at least as good there as either model: {perplexities}")
    log = (folder / "log.txt").read_text(encoding="utf-8")
    assert "['zebra'] not in the vocabulary, read as <unk>" in log, "expected the unknown prompt word to be reported"
    assert len(metrics["summary"]) == 3


@pytest.mark.points(1)
def test_same_seed_same_numbers(tmp_path: Path):
    config = dict(TINY, epochs=1)
    first, second = (execute("hw5_fflm", Config(**config), main, runs_root=tmp_path, run_id=name)
                     for name in ("first", "second"))
    for key in ("perplexity", "interpolation_weight"):
        assert first[key] == second[key], f"expected the same {key} twice but got {first[key]} and {second[key]}"
    assert first["history"]["train_perplexity"] == second["history"]["train_perplexity"]


@pytest.mark.points(0)  # given code
def test_the_time_budget_counts_the_training_before_a_resume(tmp_path: Path):
    short = dict(TINY, max_train_sentences=100, max_eval_sentences=20, prompts=[])
    execute("hw5_fflm", Config(**dict(short, epochs=1)), main, runs_root=tmp_path, run_id="budget")
    folder = tmp_path / "hw5_fflm" / "budget"
    checkpoint = load_state(folder / "last.ckpt")
    checkpoint["state"]["seconds"] = 3 * 3600.0  # three hours of training before the run was stopped
    save_state(folder / "last.ckpt", checkpoint)
    (folder / "metrics.json").unlink()
    resumed = execute("hw5_fflm", Config(**dict(short, epochs=3, max_minutes=60)), main,
                      launch=Launch(runs_root=tmp_path, resume=folder))
    assert resumed["epochs_run"] == 2, (
        f"expected the resumed run to stop after epoch 2 (3 hours of training against a budget of 60 minutes) but it "
        f"ran {resumed['epochs_run']} epochs: is the training time so far in the trainer's state()?")


@pytest.mark.points(0)  # given code
def test_bad_config_values_are_rejected():
    with pytest.raises(ConfigError, match="dataset"):
        load_config(Config, overrides=["--dataset", "wikitext"])
    with pytest.raises(ValueError, match="temperature"):
        Config(temperature=0.0)
    with pytest.raises(ValueError, match="top_k"):
        Config(top_k=0)
    with pytest.raises(ValueError, match="min_improvement must be in"):
        Config(min_improvement=1.0)


def plateaued(dev: float, best: float, min_improvement: float) -> bool:
    """Does the run's schedule decay the rate after an epoch with dev perplexity `dev`, the best so far `best`?"""
    schedule = make_schedule(Config(lr=1.0, lr_decay=0.5, min_improvement=min_improvement))
    schedule.best = best
    return schedule.step(dev) < 1.0


@pytest.mark.points(0)  # given code
def test_the_rate_decays_unless_dev_perplexity_falls_by_min_improvement():
    assert plateaued(158.0, 158.1, 0.01) and plateaued(160.0, 158.1, 0.0), "a fall under 1 % (or a rise) is a plateau"
    assert not plateaued(155.0, 158.1, 0.01) and not plateaued(158.0, 158.1, 0.0)
    assert plateaued(158.1, 158.1, 0.0), "no improvement at all is a plateau"
