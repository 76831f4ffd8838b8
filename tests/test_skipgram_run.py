"""The word2vec run shared by hw2 and hw3: the schedule, the training loop, its exact resume and config checks."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from common.config import ConfigError, load_config
from common.run import Run
from common.skipgram import SkipGramData
from common.skipgram_run import SkipGramConfig, linear_decay, train_skipgram
from common.vocabulary import Vocabulary


def test_linear_decay_by_hand():
    assert linear_decay(0.025, 0.0) == pytest.approx(0.025)
    assert linear_decay(0.025, 0.5) == pytest.approx(0.0125)
    assert linear_decay(0.025, 1.0, min_fraction=1e-4) == pytest.approx(0.025 * 1e-4)
    assert linear_decay(0.1, 0.99, min_fraction=0.05) == pytest.approx(0.005)


class RecordingModel:
    """A stand-in model: remembers every learning rate and batch size, returns a falling loss."""

    def __init__(self):
        self.target_embeddings = np.zeros((3, 2), dtype=np.float32)
        self.context_embeddings = np.zeros((3, 2), dtype=np.float32)
        self.rates, self.sizes = [], []

    def step(self, targets, contexts, negatives, lr):
        self.rates.append(lr)
        self.sizes.append(len(targets))
        return 10.0 * len(targets) / len(self.rates)


def test_training_loop_decays_the_rate_and_sees_every_pair():
    sentences = [["a", "b", "c", "a", "b", "c"]] * 10
    data = SkipGramData(sentences, Vocabulary.from_tokens(sentences, specials=()), window=2, negatives=2,
                        subsample=0.0, seed=0)
    model = RecordingModel()
    history = train_skipgram(model, data, epochs=2, batch_size=7, lr=0.1)
    pairs = sum(data.epoch_batches(epoch, 7).num_pairs for epoch in range(2))
    assert sum(model.sizes) == pairs == history.pairs, f"expected {pairs} pairs but got {sum(model.sizes)}"
    assert model.rates[0] == pytest.approx(0.1), f"expected the first rate 0.1 but got {model.rates[0]}"
    assert all(a > b for a, b in zip(model.rates, model.rates[1:], strict=False)), "expected a falling rate"
    assert history.words == 2 * data.num_tokens and history.loss[0] > history.loss[-1]
    assert history.progress[-1] == pytest.approx(1.0)


class Killed(Exception):
    """Stands in for SIGKILL: the run stops between two steps and keeps only what is on disk."""


class DriftingModel:
    """A stand-in model whose every step moves the rows it sees by amounts that depend on the batch,
    its negatives and the rate, so anything a resume gets wrong (order, negatives, rate) shows in E and C."""

    def __init__(self, vocab_size: int, kill_after: int | None = None):
        self.target_embeddings = np.linspace(-1, 1, 2 * vocab_size).reshape(vocab_size, 2)
        self.context_embeddings = np.zeros((vocab_size, 2))
        self.rates, self.kill_after = [], kill_after

    def step(self, targets, contexts, negatives, lr):
        if len(self.rates) + 1 == self.kill_after:
            raise Killed
        self.rates.append(lr)
        np.add.at(self.target_embeddings, targets, lr * (1.0 + contexts[:, None]))
        np.add.at(self.context_embeddings, negatives.ravel(), lr)
        return float(self.target_embeddings[targets].sum() + negatives.sum())


def trained(folder, data, kill_after=None, resumed=False):
    """Two epochs of batches of 7 in the run folder `folder`, last.ckpt after every batch."""
    folder.mkdir(exist_ok=True)
    model = DriftingModel(len(data.vocab), kill_after)
    history = train_skipgram(model, data, epochs=2, batch_size=7, lr=0.1, points_per_epoch=3,
                             run=Run("hw", folder, resumed=resumed, checkpoint_minutes=0))
    return model, {**asdict(history), "seconds": None}


@pytest.mark.parametrize("where", ["first step", "mid-epoch", "last step of an epoch", "first of the next", "next"])
def test_a_killed_training_resumes_to_the_same_vectors_rates_and_history(tmp_path, where):
    sentences = [["a", "b", "c", "d", "a", "b", "e"]] * 6
    data = SkipGramData(sentences, Vocabulary.from_tokens(sentences, specials=()), window=2, negatives=2,
                        subsample=0.1, seed=3)
    batches = len(data.epoch_batches(0, 7))  # 14 in epoch 1
    kill_after = {"first step": 1, "mid-epoch": 6, "last step of an epoch": batches, "first of the next": batches + 1,
                  "next": batches + 4}[where]
    straight, straight_history = trained(tmp_path / "straight", data)
    with pytest.raises(Killed):
        trained(tmp_path / "killed", data, kill_after=kill_after)
    model, history = trained(tmp_path / "killed", data, resumed=True)
    assert model.rates == straight.rates[kill_after - 1:], "expected the resumed run to go on at the saved rate"
    assert np.array_equal(model.target_embeddings, straight.target_embeddings), "E differs after the resume"
    assert np.array_equal(model.context_embeddings, straight.context_embeddings), "C differs after the resume"
    assert history == straight_history, f"expected the history {straight_history} but got {history}"


@pytest.mark.parametrize(("override", "message"), [
    (["--negatives", "0"], "negatives must be >= 1"),
    (["--window", "0"], "must all be >= 1"),
    (["--lr", "-1"], "need lr > 0"),
    (["--max_sentences", "0"], "max_sentences must be >= 1"),
])
def test_bad_settings_name_the_fix(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(SkipGramConfig, None, override)
