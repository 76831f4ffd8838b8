"""The word2vec run shared by hw2 and hw3: the schedule, the training loop and config checks."""
from __future__ import annotations

import numpy as np
import pytest

from common.config import ConfigError, load_config
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


@pytest.mark.parametrize(("override", "message"), [
    (["--negatives", "0"], "negatives must be >= 1"),
    (["--window", "0"], "must all be >= 1"),
    (["--lr", "-1"], "need lr > 0"),
    (["--max_sentences", "0"], "max_sentences must be >= 1"),
])
def test_bad_settings_name_the_fix(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(SkipGramConfig, None, override)
