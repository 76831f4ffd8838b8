"""Hidden tests of hw5: more cases for every task."""
import numpy as np
import pytest

from common.gradcheck import check_gradient
from hw3_edugrad.edugrad import ops
from hw5_fflm.evaluate import perplexity_of, token_log_probs
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.sample import generate, sample_next
from hw5_fflm.windows import build_lm_vocabulary, make_windows

pytestmark = pytest.mark.hidden


@pytest.mark.task_windows
@pytest.mark.points(2)
def test_windows_match_a_plain_loop_on_random_sentences():
    rng = np.random.default_rng(5)
    sentences = [list(rng.integers(3, 20, rng.integers(0, 9))) for _ in range(30)]
    for context_size in (1, 3, 7):
        windows = make_windows(sentences, context_size, bos=2, eos=1)
        rows = []
        for sentence in sentences:
            padded = [2] * context_size + sentence + [1]
            rows += [padded[i : i + context_size + 1] for i in range(len(sentence) + 1)]
        assert windows.stacked().tolist() == rows, f"windows differ from a plain loop (context_size {context_size})"


@pytest.mark.task_model
@pytest.mark.points(3)
def test_direct_connections_gradient_by_finite_differences():
    model = FeedForwardLM(7, 2, 3, 4, direct=True, rng=np.random.default_rng(7), dtype=np.float64)
    contexts, targets = np.array([[1, 2], [3, 3], [6, 0]]), np.array([4, 5, 4])
    weight = model.direct.weight

    def loss_at(value):
        saved = weight.value.copy()
        weight.value[...] = value
        out = ops.cross_entropy(model(contexts), labels=targets).item()
        weight.value[...] = saved
        return out

    def analytic(value):
        saved = weight.value.copy()
        weight.value[...] = value
        model.zero_grad()
        ops.cross_entropy(model(contexts), labels=targets).backward()
        weight.value[...] = saved
        return weight.grad

    check_gradient(loss_at, weight.value.copy(), analytic, name="direct.weight")


@pytest.mark.task_perplexity
@pytest.mark.points(2)
def test_batch_size_does_not_change_the_log_probs():
    model = FeedForwardLM(12, 3, 4, 5, rng=np.random.default_rng(8))
    windows = make_windows([[3, 4, 5, 6, 7], [8, 9, 10, 11]], 3, bos=2, eos=1)
    one, many = token_log_probs(model, windows, 1), token_log_probs(model, windows, 1000)
    assert np.allclose(one, many, atol=1e-6), f"batch size 1 gave {one}, one batch gave {many}"
    assert perplexity_of(one) > 1.0


@pytest.mark.task_sampling
@pytest.mark.points(1)
def test_no_top_k_and_a_high_temperature_reach_every_word():
    rng = np.random.default_rng(9)
    logits = np.array([3.0, 0.0, -3.0])
    seen = {sample_next(logits, 5.0, None, rng) for _ in range(300)}
    assert seen == {0, 1, 2}, f"expected every word to be drawn at temperature 5 but got {seen}"
    vocab = build_lm_vocabulary([["a", "b"]])
    model = FeedForwardLM(len(vocab), 2, 2, 2, rng=np.random.default_rng(0))
    assert generate(model, vocab, ["a"], 0) == [], "max_words=0 gives no words"
