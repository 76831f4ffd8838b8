"""hw6 end to end on a generated miniature SST: a small run trains both models, writes every output,
and repeats itself exactly. (No real data needed: the trees are written into a temporary folder.)"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from common.config import load_config
from common.run import execute
from common.torch_utils import load_checkpoint
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.run import Config, main
from hw6_rnn.train import ClassifierConfig, LMConfig, VanishingConfig, build_language_model

FILLERS = "the a film movie plot story actors was is and it this very quite".split()
SENTIMENT = {4: ["wonderful", "great"], 3: ["good", "fine"], 1: ["dull", "weak"], 0: ["awful", "terrible"]}
SPLIT_SIZES = {"train": 300, "dev": 60, "test": 80}


def _tree(rng: random.Random) -> str:
    """A flat tree whose label comes from its one sentiment word, e.g. (3 (2 the) (3 good) (2 film))."""
    label = rng.choice(list(SENTIMENT))
    words = [f"(2 {rng.choice(FILLERS)})" for _ in range(rng.randint(2, 7))]
    words.insert(rng.randint(0, len(words)), f"({label} {rng.choice(SENTIMENT[label])})")
    return f"({label} {' '.join(words)})"


@pytest.fixture()
def mini_sst(tmp_path: Path) -> Path:
    rng = random.Random(0)
    folder = tmp_path / "data" / "sst" / "trees"
    folder.mkdir(parents=True)
    for split, size in SPLIT_SIZES.items():
        (folder / f"{split}.txt").write_text("\n".join(_tree(rng) for _ in range(size)) + "\n", encoding="utf-8")
    return tmp_path / "data"


def small_config(data: Path, **changes) -> Config:
    return Config(
        threads=1, data=data,
        classifier=ClassifierConfig(embedding_dim=16, hidden_size=16, epochs=3, batch_size=16, lr=1e-2),
        lm=LMConfig(corpus="sst_chars", embedding_dim=24, hidden_size=24, num_layers=1, batch_size=4, bptt=20,
                    epochs=1, eval_batch_size=4, sample_tokens=20, samples=2, prompt="the fil"),
        vanishing=VanishingConfig(steps=20, hidden_size=8, input_size=4, batch_size=2), **changes)


@pytest.mark.task_run
@pytest.mark.points(2)
def test_small_run_writes_every_output(tmp_path: Path, mini_sst: Path) -> None:
    metrics = execute("hw6_rnn", small_config(mini_sst), main, runs_root=tmp_path, run_id="small")
    folder = tmp_path / "hw6_rnn" / "small"
    for name in ("sst2_best.pt", "sst2_confusion.png", "sst2_loss.png", "lm_char_best.pt", "lm_char_perplexity.png",
                 "vanishing.png", "metrics.json", "config.yaml"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    sst2 = metrics["sst2"]
    assert sst2["test_accuracy"] > 0.7, f"one sentiment word decides each label: expected > 0.7, got {sst2}"
    assert sum(map(sum, sst2["confusion_matrix"])) == sst2["test_examples"]
    assert 1 < metrics["lm"]["test_perplexity"] < 25, f"a character LM should beat uniform: {metrics['lm']}"
    assert all(sample.startswith("the fil") for sample in metrics["lm"]["samples"])
    corpus = load_lm_corpus("sst_chars", root=mini_sst)
    model = build_language_model(small_config(mini_sst).lm, len(corpus.vocab))
    load_checkpoint(folder / "lm_char_best.pt", model, {"tokens": corpus.vocab}, torch.device("cpu"))
    assert {row["dataset"] for row in metrics["summary"]} >= {"SST-2 test", "SST test (characters)"}


@pytest.mark.task_run
@pytest.mark.points(1)
def test_same_seed_same_numbers(tmp_path: Path, mini_sst: Path) -> None:
    config = small_config(mini_sst, parts=["classifier", "lm"])
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
