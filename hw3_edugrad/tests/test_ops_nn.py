"""Operations for neural networks: lookup_rows, softmax, log_softmax, cross_entropy, dropout."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.testing import assert_close, fails_on_overflow
from hw3_edugrad.edugrad import Tensor, ops

from .edugrad_helpers import FAST, check_with_finite_differences, compare_with_torch

pytestmark = pytest.mark.task_ops_nn

F = torch.nn.functional
logit_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-10, 10))
rng = np.random.default_rng(0)
SHIFT = "softmax(a) = softmax(a - max(a)): subtract each row's max before exp"
STABLE_FORMULA = {
    "softmax": SHIFT,
    "log_softmax": f"{SHIFT}, and log_softmax(a) = (a - max(a)) - log(sum(exp(a - max(a)))), never log of a "
                   "probability that may underflow to 0; backward from the saved output",
    "cross_entropy": "take -log_softmax(logits)[label] with log_softmax computed stably: (a - max(a)) - "
                     "log(sum(exp(a - max(a)))), never log of a softmax probability that may underflow to 0",
}


@pytest.mark.points(3)
@pytest.mark.parametrize("indices", [np.array([0, 3, 3, 1, 3]), np.array([[2, 0], [2, 2], [4, 1]]), np.array(1)])
def test_lookup_rows_matches_torch_embedding(indices):
    table = rng.normal(size=(5, 3))
    compare_with_torch(
        lambda t: ops.lookup_rows(t, indices=indices),
        lambda t: F.embedding(torch.from_numpy(indices), t),
        [table],
        f"lookup_rows with indices {indices.tolist()}",
    )
    check_with_finite_differences(lambda t: ops.lookup_rows(t, indices=indices), [table], "lookup_rows")


@pytest.mark.points(1)
def test_lookup_rows_adds_gradients_of_repeated_rows():
    table = Tensor(np.zeros((3, 2)), requires_grad=True)
    ops.sum(ops.lookup_rows(table, indices=np.array([2, 0, 2, 2]))).backward()
    assert_close(table.grad, [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]], "gradient of a table whose row 2 is used 3 times")


@pytest.mark.points(1)
def test_lookup_rows_rejects_bad_indices():
    table = Tensor(np.zeros((3, 2)), requires_grad=True)
    assert ops.lookup_rows(table, indices=np.array([0, 2])).shape == (2, 2)
    with pytest.raises(IndexError, match=r"\[0, 3\)"):
        ops.lookup_rows(table, indices=np.array([0, 3]))
    with pytest.raises(TypeError, match="integer"):
        ops.lookup_rows(table, indices=np.array([0.0, 1.0]))


@pytest.mark.points(3)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@FAST
@given(x=logit_arrays)
def test_softmax_and_log_softmax_match_torch(name, x):
    edugrad_fn = getattr(ops, name)
    torch_fn = getattr(torch, name)
    compare_with_torch(edugrad_fn, lambda t: torch_fn(t, dim=-1), [x], name)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_finite_differences(name):
    check_with_finite_differences(getattr(ops, name), [rng.normal(size=(3, 4))], name)


@pytest.mark.points(2)
def test_softmax_and_log_softmax_are_stable():
    """Logits around ±1000 overflow a naive exp; probabilities near 0 make a naive log -inf."""
    logits = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0], [0.0, -1000.0, 1000.0]])
    for name in ("softmax", "log_softmax"):
        with fails_on_overflow(f"{name} of logits around ±1000", STABLE_FORMULA[name]):
            out = getattr(ops, name)(Tensor(logits))
            assert np.all(np.isfinite(out.value)), f"{name}: expected finite values but got {out.value}"
            compare_with_torch(getattr(ops, name), lambda t, name=name: getattr(torch, name)(t, dim=-1), [logits], name)
    log_probabilities = ops.log_softmax(Tensor(logits)).value
    assert_close(log_probabilities[2], [-1000.0, -2000.0, 0.0], "log_softmax([0, -1000, 1000])")


@pytest.mark.points(1)
def test_softmax_of_float32_logits_past_the_range_of_exp():
    """float32's exp overflows past 88.7, a size the logits of a float32 network can reach."""
    logits = np.array([[100.0, 101.0], [-100.0, 50.0], [1000.0, 1001.0]], dtype=np.float32)
    e = np.e
    expected = np.array([[1 / (1 + e), e / (1 + e)], [np.exp(-150.0), 1.0], [1 / (1 + e), e / (1 + e)]])
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(ops.softmax(Tensor(logits)).value, dtype=np.float64)
    assert np.allclose(out, expected, rtol=1e-6, atol=1e-12), (
        f"softmax of the float32 rows [100, 101], [-100, 50], [1000, 1001]: expected {expected.tolist()} but got "
        f"{out.tolist()}; exp overflows float32 past 88.7: subtract each row's max before exp "
        "(softmax(a) = softmax(a - max(a)))")


@pytest.mark.points(3)
@FAST
@given(data=st.data())
def test_cross_entropy_matches_torch(data):
    batch, classes = data.draw(st.integers(1, 6)), data.draw(st.integers(2, 5))
    logits = data.draw(hnp.arrays(np.float64, (batch, classes), elements=st.floats(-10, 10)))
    labels = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch)))
    compare_with_torch(
        lambda t: ops.cross_entropy(t, labels=labels),
        lambda t: F.cross_entropy(t, torch.from_numpy(labels)),
        [logits],
        "cross_entropy",
    )


@pytest.mark.points(1)
def test_cross_entropy_finite_differences():
    labels = np.array([0, 2, 2, 1])
    logits = rng.normal(size=(4, 3))
    check_with_finite_differences(lambda t: ops.cross_entropy(t, labels=labels), [logits], "cross_entropy")


@pytest.mark.points(2)
def test_cross_entropy_of_a_confident_wrong_prediction_is_finite():
    logits, labels = np.array([[1000.0, -1000.0], [0.0, 0.0]]), np.array([1, 0])
    with fails_on_overflow("cross_entropy of the logits [1000, -1000] for label 1", STABLE_FORMULA["cross_entropy"]):
        loss = ops.cross_entropy(Tensor(logits), labels=labels)
    expected = (2000.0 + np.log(2.0)) / 2
    assert loss.item() == pytest.approx(expected), f"expected loss {expected} but got {loss.item()}"
    compare_with_torch(
        lambda t: ops.cross_entropy(t, labels=labels),
        lambda t: F.cross_entropy(t, torch.from_numpy(labels)),
        [logits],
        "cross_entropy of a confident wrong prediction",
    )


@pytest.mark.points(1)
def test_cross_entropy_rejects_bad_labels():
    logits = Tensor(np.zeros((2, 3)))
    assert ops.cross_entropy(logits, labels=np.array([0, 2])).item() == pytest.approx(np.log(3.0))
    with pytest.raises(IndexError, match=r"\[0, 3\)"):
        ops.cross_entropy(logits, labels=np.array([0, 3]))
    with pytest.raises(ValueError, match="one-hot"):
        ops.cross_entropy(logits, labels=np.eye(3, dtype=np.int64)[[0, 2]])
    with pytest.raises(TypeError, match=r"labels=tensor.value"):
        ops.cross_entropy(logits, labels=Tensor(np.array([0, 2])))


@pytest.mark.points(2)
def test_dropout_train_and_eval():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = ops.dropout(x, p=0.25, training=True, rng=np.random.default_rng(0))
    zeros = np.mean(out.value == 0)
    assert abs(zeros - 0.25) < 0.02, f"expected about 25% of entries dropped but got {zeros:.1%}"
    kept = out.value[out.value != 0]
    assert_close(kept, np.full(kept.shape, 1 / 0.75), "kept entries (scaled by 1 / (1 - p))")
    ops.sum(out).backward()
    assert_close(x.grad, out.value, "gradient of sum(dropout(ones)) (the scaled mask)")
    again = ops.dropout(x, p=0.25, training=True, rng=np.random.default_rng(0))
    assert_close(again.value, out.value, "dropout with the same seed")
    evaluated = ops.dropout(x, p=0.25, training=False)
    assert_close(evaluated.value, x.value, "dropout in evaluation mode (the identity)")
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ops.dropout(x, p=1.0)


@pytest.mark.points(1)
def test_dropout_gradient_by_finite_differences():
    """common/gradcheck.py restores numpy's global random state, so each evaluation draws the same mask."""
    check_with_finite_differences(lambda t: ops.dropout(t, p=0.5), [rng.normal(size=(4, 5))], "dropout")
