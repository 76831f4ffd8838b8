"""hw2 end to end: a small training run writes vectors gensim can read, plots and the summary rows."""
from __future__ import annotations

from pathlib import Path

import pytest
from gensim.models import KeyedVectors

from common.config import load_config
from common.run import execute
from hw2_word2vec.run import Config, main

SMALL = dict(max_sentences=3000, epochs=1, dim=16, batch_size=512, probes=["stock", "year"],
             pca_words=["stock", "year", "market", "company", "president", "million"])


@pytest.mark.task_run
@pytest.mark.points(1)
def test_small_run_writes_every_output(tmp_path: Path) -> None:
    metrics = execute("hw2_word2vec", Config(**SMALL), main, runs_root=tmp_path, run_id="small")
    folder = tmp_path / "hw2_word2vec" / "small"
    for name in ("vectors.txt", "vocab.tsv", "loss.png", "pca.png", "metrics.json", "config.yaml"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    vectors = KeyedVectors.load_word2vec_format(str(folder / "vectors.txt"))
    assert len(vectors) == metrics["vocab_size"] and vectors.vector_size == 16
    loss = metrics["loss_curve"]["loss"]
    assert loss[-1] < loss[0], (
        f"expected the loss per pair to fall over the epoch, but it went {loss[0]:.4f} -> {loss[-1]:.4f}: "
        "SGNSModel.step's update is wrong; `pytest hw2_word2vec -m task_model` compares one step with torch's"
    )
    expected_rows = {"WordSim-353 Spearman", "WordSim-353 OOV pairs", "final loss per pair", "words/s"}
    assert {row["metric"] for row in metrics["summary"]} == expected_rows
    assert len(metrics["neighbours"]["stock"]) == 8


@pytest.mark.task_run
@pytest.mark.points(1)
def test_same_seed_same_numbers(tmp_path: Path) -> None:
    first, second = (execute("hw2_word2vec", Config(**SMALL), main, runs_root=tmp_path, run_id=name)
                     for name in ("first", "second"))
    for key in ("loss_curve", "wordsim353", "neighbours"):
        assert first[key] == second[key], f"expected the same {key} twice but got {first[key]} and {second[key]}"
    vectors = [(tmp_path / "hw2_word2vec" / name / "vectors.txt").read_bytes() for name in ("first", "second")]
    assert vectors[0] == vectors[1], "expected identical vectors.txt files from the same seed"


@pytest.mark.task_run
@pytest.mark.points(0)  # given code
def test_bad_configs_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negatives must be >= 1"):
        Config(negatives=0)
    with pytest.raises(ValueError, match=r"probe words \['zzzz'\] are not in the vocabulary"):
        execute("hw2_word2vec", Config(**{**SMALL, "probes": ["zzzz"]}), main, runs_root=tmp_path, run_id="bad")
    written = sorted(path.name for path in (tmp_path / "hw2_word2vec" / "bad").iterdir())
    assert written == ["config.yaml", "log.txt"], (
        f"expected the probe words checked before the run writes anything of its own, but its folder holds {written}"
    )
    with pytest.raises(ValueError, match="smaller window"):
        execute("hw2_word2vec", Config(**{**SMALL, "max_sentences": 1, "min_freq": 1, "window": 50}), main,
                runs_root=tmp_path, run_id="tiny")


@pytest.mark.task_run
@pytest.mark.points(0)  # given code
def test_config_files_load() -> None:
    folder = Path(__file__).resolve().parent.parent
    for name in ("config.yaml", "config.quick.yaml"):
        config = load_config(Config, folder / name)
        assert config.negatives >= 1 and config.corpus == "ptb"
