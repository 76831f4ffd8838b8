"""common/classifier.py: the miniature SST, SST as indexed examples, labelled batches, predict, and a fit
that keeps the best dev epoch and, killed mid-epoch, resumes to the numbers of one that never stopped.

The classifier here is a bag of words (mean of the word vectors -> dropout -> linear), small enough
that a whole fit on the miniature SST takes a fraction of a second on one thread."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from common.checkpoint import Checkpoints, load_state, save_state
from common.classifier import (
    SST_LABELS,
    batch_positions,
    classification_batch,
    fit_classifier,
    load_sst_classification,
    predict,
    write_mini_sst,
)
from common.run import Run
from common.testing import one_torch_thread  # noqa: F401  (autouse: torch on one thread)
from common.torch_utils import TrainStep


class BagOfWords(nn.Module):
    """The mean of a sentence's word vectors -> dropout -> linear: indices [B, T], lengths [B] -> [B, C]."""

    def __init__(self, vocab_size: int, classes: int, pad_index: int, dim: int = 8) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=pad_index)
        self.dropout = nn.Dropout(0.3)
        self.output = nn.Linear(dim, classes)

    def forward(self, indices: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        summed = self.embedding(indices).sum(dim=1)                                 # (B, D): padding rows are 0
        return self.output(self.dropout(summed / lengths.to(summed.dtype)[:, None]))


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mini_sst(tmp_path_factory.mktemp("data"))


def test_the_mini_sst_labels_each_tree_by_its_one_sentiment_word(mini, tmp_path):
    lines = (mini / "sst" / "trees" / "train.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    for line in lines:
        root = int(line[1])
        sentiment = [int(label) for label in re.findall(r"\((\d) \w+\)", line) if label != "2"]
        assert sentiment == [root], f"expected one sentiment word labelled as the root {root}: {line}"
    again = write_mini_sst(tmp_path)
    assert (again / "sst" / "trees" / "dev.txt").read_bytes() == (mini / "sst" / "trees" / "dev.txt").read_bytes()
    other = write_mini_sst(tmp_path / "other", seed=1)
    assert (other / "sst" / "trees" / "dev.txt").read_bytes() != (mini / "sst" / "trees" / "dev.txt").read_bytes()


def test_sst_is_indexed_with_the_vocabulary_of_train(mini):
    data = load_sst_classification("sst5", root=mini)
    assert (len(data.train), len(data.dev), len(data.test)) == (300, 60, 80)
    assert data.label_names == SST_LABELS["sst5"]
    first = (mini / "sst" / "trees" / "train.txt").read_text(encoding="utf-8").splitlines()[0]
    words, label = re.findall(r"\(\d (\w+)\)", first), int(first[1])
    assert data.train[0] == (data.vocab.tokens_to_indices(words), label)
    assert data.vocab.token_to_index("<pad>") == data.pad_index
    two = load_sst_classification("sst2", max_train=50, root=mini)
    assert len(two.train) == 50 and {label for _, label in two.dev} == {0, 1}
    assert [label for _, label in two.train] == [int(label > 2) for _, label in data.train[:50]]
    with pytest.raises(ValueError, match="expected an SST view among"):
        load_sst_classification("sst3", root=mini)


def test_batches_hold_every_example_once_in_an_order_fixed_by_the_seed():
    examples = [([1] * length, length % 2) for length in np.random.default_rng(0).integers(1, 30, size=103)]
    batches = batch_positions(examples, 8, shuffle=True, seed=5)
    assert sorted(np.concatenate(batches).tolist()) == list(range(103))
    again = batch_positions(examples, 8, shuffle=True, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = batch_positions(examples, 8, shuffle=True, seed=6)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other, strict=True))
    evaluation = np.concatenate(batch_positions(examples, 8))
    lengths = [len(examples[i][0]) for i in evaluation]
    assert lengths == sorted(lengths), "without shuffle, the batches go by length"
    with pytest.raises(ValueError, match="expected examples to batch"):
        batch_positions([], 8)


def test_a_batch_pads_its_examples_and_keeps_their_labels():
    examples = [([4, 5, 6], 1), ([7], 0), ([8, 9], 2)]
    batch, labels = classification_batch(examples, [2, 0], pad_index=1)
    assert batch.indices.tolist() == [[8, 9, 1], [4, 5, 6]]
    assert batch.lengths.tolist() == [2, 3] and labels.tolist() == [2, 1]


def test_predict_scores_every_example_in_eval_mode():
    class Counts(nn.Module):
        """Logits [B, 2]: (number of tokens equal to 3, 1.5); dropout would make them random."""

        def __init__(self) -> None:
            super().__init__()
            self.dropout = nn.Dropout(0.9)
            self.anchor = nn.Parameter(torch.zeros(1))

        def forward(self, indices, lengths):
            threes = (indices == 3).sum(dim=1).float()
            return self.dropout(torch.stack([threes, torch.full_like(threes, 1.5)], dim=1))

    examples = [([3, 3, 5], 0), ([5], 1), ([3, 3], 1), ([3, 5, 5, 5], 0), ([5, 3, 3, 3], 0)]
    gold, predicted = predict(Counts(), examples, 2, 0, torch.device("cpu"))
    by_example = {tuple(tokens): int((np.array(tokens) == 3).sum() <= 1.5) for tokens, _ in examples}
    order = np.concatenate(batch_positions(examples, 2))
    assert gold.tolist() == [examples[i][1] for i in order]
    assert predicted.tolist() == [by_example[tuple(examples[i][0])] for i in order]


def fit(folder: Path, data, epochs: int = 3, kill_at: tuple[int, int] | None = None, monkeypatch=None):
    """A bag-of-words fit in `folder` (checkpoint after every batch); with `kill_at` (epoch, batch), stop
    right after that ``last.ckpt`` is written, as a SIGKILL would. Returns (model, history)."""
    torch.manual_seed(0)
    model = BagOfWords(len(data.vocab), len(data.label_names), data.pad_index)
    step = TrainStep(model, torch.optim.Adam(model.parameters(), lr=0.05), clip_norm=5.0)
    if kill_at is not None:
        save = Checkpoints.save

        def save_then_stop(self, name, state):
            save(self, name, state)
            if name == "last" and (state["epoch"], state["batch"]) == kill_at:
                raise KeyboardInterrupt

        monkeypatch.setattr(Checkpoints, "save", save_then_stop)
    run = Run("hw_test", folder, checkpoint_minutes=0.0)
    folder.mkdir(parents=True, exist_ok=True)
    return model, fit_classifier(step, data, run, "sst2", epochs=epochs, batch_size=16, seed=3,
                                 config={"lr": 0.05})


def test_a_fit_learns_the_mini_sst_and_ends_with_its_best_dev_weights(mini, tmp_path):
    data = load_sst_classification("sst2", root=mini)
    model, history = fit(tmp_path / "run", data, epochs=4)
    assert len(history.curves["dev accuracy"]) == 4 and history.curves["train loss"][-1] < history.curves[
        "train loss"][0]
    assert history.best_dev == max(history.curves["dev accuracy"]) > 0.9, history.curves
    assert history.best_epoch == 1 + history.curves["dev accuracy"].index(history.best_dev) < 4, (
        "this case needs a best epoch before the last, so that ending with the last weights shows")
    best = load_state(tmp_path / "run" / "sst2.best.ckpt")
    assert best["extra"] == {"epoch": history.best_epoch, "dev_accuracy": history.best_dev}
    assert best["config"] == {"lr": 0.05} and best["vocabularies"]["words"] == list(data.vocab.tokens)
    assert all(torch.equal(model.state_dict()[key], value) for key, value in best["model"].items())
    gold, predicted = predict(model, data.dev, 64, data.pad_index, torch.device("cpu"))
    assert np.mean(gold == predicted) == history.best_dev, "the model must end with the best dev epoch's weights"


def test_a_fit_killed_mid_epoch_resumes_to_the_same_numbers(mini, tmp_path, monkeypatch):
    data = load_sst_classification("sst5", max_train=200, root=mini)
    straight_model, straight = fit(tmp_path / "straight", data)
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "killed", data, kill_at=(2, 5), monkeypatch=monkeypatch)
    monkeypatch.undo()
    checkpoint = load_state(tmp_path / "killed" / "sst2.last.ckpt")
    assert checkpoint["batch"] == 5
    checkpoint["state"]["seconds"] = 1000.0          # as if the killed run had trained for 1000 s
    save_state(tmp_path / "killed" / "sst2.last.ckpt", checkpoint)
    resumed_model, resumed = fit(tmp_path / "killed", data)
    assert resumed.curves == straight.curves and resumed.best_epoch == straight.best_epoch
    assert 1000 <= resumed.seconds < 1000 + 60, f"expected the seconds before the kill counted, got {resumed.seconds}"
    for key, value in straight_model.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[key], value), f"expected the same {key} after the resume"
    log = (tmp_path / "killed" / "log.txt").read_text(encoding="utf-8")
    assert "resumed from" in log and "at epoch 2, batch 5" in log, log
    _, again = fit(tmp_path / "killed", data)
    assert again.curves == straight.curves
    log = (tmp_path / "killed" / "log.txt").read_text(encoding="utf-8")
    assert log.count("sst2 epoch 3:") == 1, f"a finished fit must train no more:\n{log}"


def test_a_fit_refuses_settings_that_train_nothing(mini, tmp_path):
    data = load_sst_classification("sst2", max_train=20, root=mini)
    model = BagOfWords(len(data.vocab), 2, data.pad_index)
    step = TrainStep(model, torch.optim.Adam(model.parameters()))
    with pytest.raises(ValueError, match="expected epochs >= 1 and batch_size >= 1 but got 0 and 16"):
        fit_classifier(step, data, Run("hw_test", tmp_path), "sst2", epochs=0, batch_size=16)
