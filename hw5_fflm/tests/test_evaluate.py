"""token_log_probs and perplexity_of: a uniform model has perplexity V; values by hand; modes kept."""
import math

import numpy as np
import pytest

from hw5_fflm.evaluate import interpolate, perplexity_of, token_log_probs, tune_weight
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.windows import make_windows

pytestmark = pytest.mark.task_perplexity


def uniform_model(vocab_size: int) -> FeedForwardLM:
    model = FeedForwardLM(vocab_size, 2, 3, 4, direct=True, rng=np.random.default_rng(0))
    for parameter in (model.output.weight, model.output.bias, model.direct.weight):
        parameter.value[...] = 0.0
    return model


@pytest.mark.points(2)
@pytest.mark.parametrize("vocab_size", [7, 50])
def test_a_uniform_model_has_perplexity_equal_to_the_vocabulary_size(vocab_size):
    windows = make_windows([[3, 4, 5], [6, 3]], 2, bos=2, eos=1)
    log_probs = token_log_probs(uniform_model(vocab_size), windows, batch_size=2)
    assert log_probs.shape == (len(windows),), f"expected one log-probability per window, got {log_probs.shape}"
    assert np.allclose(log_probs, -math.log(vocab_size), atol=1e-6), (
        f"expected every entry -log {vocab_size} but got {log_probs}")
    assert abs(perplexity_of(log_probs) - vocab_size) < 1e-5 * vocab_size, f"expected perplexity {vocab_size}"


@pytest.mark.points(2)
def test_log_probs_are_the_log_softmax_at_the_targets_in_eval_mode():
    model = FeedForwardLM(9, 2, 3, 4, dropout=0.5, rng=np.random.default_rng(1))
    windows = make_windows([[3, 4, 5, 6, 7, 8]], 2, bos=2, eos=1)
    model.train()
    log_probs = token_log_probs(model, windows, batch_size=3)
    assert model.training, "expected token_log_probs to leave the model in training mode"
    model.eval()
    logits = model(windows.contexts).value.astype(np.float64)
    expected = logits[np.arange(len(logits)), windows.targets] - np.log(np.exp(logits).sum(axis=1))
    assert np.allclose(log_probs, expected, atol=1e-5), f"expected {expected} but got {log_probs}"


@pytest.mark.points(1)
def test_perplexity_by_hand():
    # p = 1/2, 1/4, 1/8: mean -log p = 2 log 2, perplexity 4
    assert abs(perplexity_of(np.log([0.5, 0.25, 0.125])) - 4.0) < 1e-12
    with pytest.raises(ValueError):
        perplexity_of(np.array([]))


@pytest.mark.points(0)  # given code
def test_interpolation_given_code():
    log_p, log_q = np.log([0.5, 0.1]), np.log([0.1, 0.5])
    assert np.allclose(np.exp(interpolate(log_p, log_q, 0.25)), [0.2, 0.4])
    assert np.allclose(interpolate(log_p, log_q, 1.0), log_p) and np.allclose(interpolate(log_p, log_q, 0.0), log_q)
    assert tune_weight(np.log([0.9, 0.9]), np.log([0.1, 0.1])) == 1.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        interpolate(log_p, log_q, 1.5)
