"""hw6 end to end on a generated miniature SST: a small run trains both models, writes every output,
repeats itself exactly, and a run killed mid-epoch resumes to the same figures. (No real data needed:
the trees are written into a temporary folder.)"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import torch

from common.checkpoint import Checkpoints, load_model, load_state, save_state
from common.classifier import write_mini_sst
from common.config import load_config
from common.run import Launch, execute
from common.vocabulary import Vocabulary
from hw6_rnn.classifier import masked_max
from hw6_rnn.config import ClassifierConfig, Config, LMConfig, VanishingConfig
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows, generate
from hw6_rnn.run import main
from hw6_rnn.train import build_language_model


@pytest.fixture()
def mini_sst(tmp_path: Path) -> Path:
    return write_mini_sst(tmp_path / "data")


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
    for name in ("sst2.best.ckpt", "sst2.last.ckpt", "sst2_confusion.png", "sst2_loss.png", "lm.best.ckpt",
                 "lm.last.ckpt", "lm_char_perplexity.png", "vanishing.png", "metrics.json", "config.yaml"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    sst2 = metrics["sst2"]
    assert sst2["test_accuracy"] > 0.7, f"one sentiment word decides each label: expected > 0.7, got {sst2}"
    assert sum(map(sum, sst2["confusion_matrix"])) == sst2["test_examples"]
    assert 1 < metrics["lm"]["test_perplexity"] < 25, f"a character LM should beat uniform: {metrics['lm']}"
    assert all(sample.startswith("the fil") for sample in metrics["lm"]["samples"])
    corpus = load_lm_corpus("sst_chars", root=mini_sst)
    model = build_language_model(small_config(mini_sst).lm, len(corpus.vocab))
    load_model(folder / "lm.best.ckpt", model, {"tokens": corpus.vocab})
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


@pytest.fixture()
def tasks_done() -> None:
    """Fail a test of the given training loop up front, naming the task it needs, while that task is a stub."""
    model = RNNLanguageModel(3, 4, 4, 1, fused=True)
    checks = {"task_pooling": lambda: masked_max(torch.ones(1, 2, 1), torch.ones(1, 2, dtype=torch.bool)),
              "task_lm": lambda: (bptt_windows(batchify(torch.arange(8), 2), 2), model(torch.zeros(1, 2).long())),
              "task_generate": lambda: generate(model, Vocabulary.from_tokens([["a", "b"]]), ["a"], max_tokens=1)}
    for task, check in checks.items():
        try:
            check()
        except NotImplementedError as error:
            pytest.fail(f"this test of the given training loop needs {task}, which is not implemented yet "
                        f"(NotImplementedError: {error}): run pytest hw6_rnn -m {task} first", pytrace=False)


class Killed(Exception):
    """Stands for a kill right after a checkpoint was written."""


def kill_after(monkeypatch: pytest.MonkeyPatch, part: str, epoch: int, batch: int) -> None:
    """Make the run stop right after the model `part` writes its last.ckpt at (epoch, batch)."""
    save = Checkpoints.save

    def save_then_stop(self: Checkpoints, name: str, state: dict) -> None:
        save(self, name, state)
        if self.prefix == f"{part}." and name == "last" and (state["epoch"], state["batch"]) == (epoch, batch):
            raise Killed

    monkeypatch.setattr(Checkpoints, "save", save_then_stop)


FIGURES = {"sst2": ("curves", "best_epoch", "test_accuracy", "test_macro_f1", "confusion_matrix"),
           "lm": ("curves", "valid_perplexity", "test_perplexity", "epochs_completed", "samples")}


@pytest.mark.points(0)  # given code: checkpoints and resuming
def test_a_run_killed_in_the_language_model_resumes_exactly_within_its_time_budget(
        tasks_done: None, tmp_path: Path, mini_sst: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = small_config(mini_sst, parts=["classifier", "lm"])
    lm = dataclasses.replace(small.lm, epochs=3, lr_decay=0.5, decay_after=1, max_minutes=30.0)
    config = dataclasses.replace(small, classifier=dataclasses.replace(small.classifier, epochs=2), lm=lm)
    straight = execute("hw6_rnn", config, main, runs_root=tmp_path, run_id="straight")
    kill_after(monkeypatch, "lm", epoch=2, batch=3)
    with pytest.raises(Killed):
        execute("hw6_rnn", config, main, launch=Launch(tmp_path, "killed", checkpoint_minutes=0, rank=0))
    monkeypatch.undo()
    folder, spent = tmp_path / "hw6_rnn" / "killed", tmp_path / "spent"
    shutil.copytree(folder, spent)

    resumed = execute("hw6_rnn", config, main, launch=Launch(resume=folder, checkpoint_minutes=0, rank=0))
    for part, keys in FIGURES.items():
        for key in keys:
            assert resumed[part][key] == straight[part][key], (
                f"expected the resumed run's {part} {key} to equal the uninterrupted run's: {resumed[part][key]} vs "
                f"{straight[part][key]}")
    log = (folder / "log.txt").read_text(encoding="utf-8").split("resuming in")[-1]
    assert "sst2 epoch" not in log, "the classifier had finished before the kill: the resumed run trained it again"
    assert "lm.last.ckpt at epoch 2, batch 3" in log, f"expected the language model to resume mid-epoch:\n{log}"

    checkpoint = load_state(spent / "lm.last.ckpt")       # as if 31 of the 30 minutes were spent before the kill
    checkpoint["state"]["seconds"] = 31 * 60.0
    save_state(spent / "lm.last.ckpt", checkpoint)
    late = execute("hw6_rnn", config, main, launch=Launch(resume=spent, checkpoint_minutes=0, rank=0))
    assert not straight["lm"]["stopped_by_time_budget"] and late["lm"]["stopped_by_time_budget"], (
        "expected the time budget to count the time before the kill and stop the resumed run")
    assert late["lm"]["epochs_completed"] < 2, f"expected training to stop at once, got {late['lm']}"
