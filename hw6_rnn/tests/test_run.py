"""hw6 end to end: a small run trains both models, writes every output, and repeats itself exactly."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from common.config import load_config
from common.run import execute
from common.torch_utils import load_checkpoint
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.run import Config, main
from hw6_rnn.train import ClassifierConfig, LMConfig, VanishingConfig, build_language_model

SMALL = dict(
    threads=1,
    classifier=ClassifierConfig(max_train=400, embedding_dim=16, hidden_size=16, epochs=1, batch_size=32),
    lm=LMConfig(corpus="sst_chars", max_train_tokens=20_000, embedding_dim=24, hidden_size=24, num_layers=1,
                batch_size=8, bptt=20, epochs=1, eval_batch_size=64, sample_tokens=20, samples=2, prompt="a fil"),
    vanishing=VanishingConfig(steps=20, hidden_size=8, input_size=4, batch_size=2),
)


@pytest.mark.task_run
@pytest.mark.points(2)
def test_small_run_writes_every_output(tmp_path: Path) -> None:
    metrics = execute("hw6_rnn", Config(**SMALL), main, runs_root=tmp_path, run_id="small")
    folder = tmp_path / "hw6_rnn" / "small"
    for name in ("sst2_best.pt", "sst2_confusion.png", "sst2_loss.png", "lm_char_best.pt", "lm_char_perplexity.png",
                 "vanishing.png", "metrics.json", "config.yaml"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    assert 0.4 < metrics["sst2"]["test_accuracy"] <= 1 and sum(map(sum, metrics["sst2"]["confusion_matrix"])) == 1821
    assert 1 < metrics["lm"]["test_perplexity"] < 80, f"a character LM should beat uniform: {metrics['lm']}"
    assert all(sample.startswith("a fil") for sample in metrics["lm"]["samples"])
    corpus = load_lm_corpus("sst_chars", 20_000)
    model = build_language_model(SMALL["lm"], len(corpus.vocab))
    load_checkpoint(folder / "lm_char_best.pt", model, {"tokens": corpus.vocab}, torch.device("cpu"))
    assert {row["dataset"] for row in metrics["summary"]} >= {"SST-2 test", "SST test (characters)"}


@pytest.mark.task_run
@pytest.mark.points(1)
def test_same_seed_same_numbers(tmp_path: Path) -> None:
    config = Config(**{**SMALL, "parts": ["classifier", "lm"]})
    first, second = (execute("hw6_rnn", config, main, runs_root=tmp_path, run_id=name) for name in ("a", "b"))
    for key in ("sst2", "lm"):
        for field in ("curves", "test_accuracy", "test_perplexity", "samples"):
            if field in first[key]:
                assert first[key][field] == second[key][field], f"expected the same {key} {field} from the same seed"


@pytest.mark.points(0)  # given code
def test_config_files_load_and_bad_values_name_the_fix() -> None:
    folder = Path(__file__).resolve().parent.parent
    for name in ("config.yaml", "config.quick.yaml"):
        config = load_config(Config, folder / name)
        assert config.lm.corpus == "ptb" and config.classifier.cell == "lstm"
    with pytest.raises(ValueError, match=r"lm.top_p must be in \(0, 1\]"):
        LMConfig(top_p=0.0)
    with pytest.raises(ValueError, match="parts is empty"):
        Config(parts=[])
