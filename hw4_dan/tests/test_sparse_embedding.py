"""Given code (edugrad.sparse): the used rows' gradient matches torch and finite differences, and the
row-wise optimizer steps match torch's sparse Adagrad and SparseAdam."""
import numpy as np
import pytest
import torch

from common.gradcheck import check_gradient
from common.testing import assert_close
from hw3_edugrad.edugrad import no_grad, ops, optim
from hw3_edugrad.edugrad.sparse import RowOptimizer, SparseEmbedding

pytestmark = [pytest.mark.points(0), pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")]
INDICES = np.array([[3, 1, 3], [0, 3, 5]])


def test_used_rows_gradient_matches_torch_and_finite_differences():
    table = np.random.default_rng(0).normal(size=(7, 4))
    weights = np.random.default_rng(1).normal(size=(2, 3, 4))

    def rows_gradient_scattered(point: np.ndarray) -> np.ndarray:
        embedding = SparseEmbedding(7, 4, weight=point, dtype=np.float64)
        (ops.tanh(embedding(INDICES)) * weights).sum().backward()
        assert embedding.weight.grad is None, "the table itself gets no dense gradient"
        (unique, rows), = embedding.used
        assert unique.tolist() == [0, 1, 3, 5], f"expected the used rows [0, 1, 3, 5] but got {unique.tolist()}"
        dense = np.zeros_like(point)
        dense[unique] = rows.grad
        return dense

    torch_table = torch.tensor(table, requires_grad=True)
    looked_up = torch.nn.functional.embedding(torch.from_numpy(INDICES), torch_table)
    (torch.tanh(looked_up) * torch.from_numpy(weights)).sum().backward()
    assert_close(rows_gradient_scattered(table), torch_table.grad.numpy(), "gradient of the used rows")

    def loss(point: np.ndarray) -> float:
        return float(np.sum(np.tanh(point[INDICES]) * weights))

    check_gradient(loss, table, rows_gradient_scattered, name="SparseEmbedding rows")


@pytest.mark.parametrize("name", ["adagrad", "adam"])
def test_row_optimizer_matches_torch_sparse_optimizers(name):
    rng = np.random.default_rng(2)
    table = rng.normal(size=(9, 3))
    embedding = SparseEmbedding(9, 3, weight=table, dtype=np.float64)
    # SparseAdam adds eps before the bias correction of v, edugrad's Adam (like torch.optim.Adam) after
    # it: with eps near 0 the two are the same update (lazy Adam: rows move only when used).
    options = {"lr": 0.1, "eps": 1e-12}
    ours = RowOptimizer(embedding, optim.Adagrad if name == "adagrad" else optim.Adam, **options)
    torch_embedding = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False, sparse=True)
    torch_class = torch.optim.Adagrad if name == "adagrad" else torch.optim.SparseAdam
    theirs = torch_class(torch_embedding.parameters(), **options)
    for step in range(4):
        indices = rng.integers(0, 9, size=(2, 3)) if step != 2 else np.array([[1, 1, 1]])
        weights = rng.normal(size=indices.shape + (3,))
        ours.zero_grad()
        (embedding(indices) * weights).sum().backward()
        ours.step()
        theirs.zero_grad()
        (torch_embedding(torch.from_numpy(indices)) * torch.from_numpy(weights)).sum().backward()
        theirs.step()
        assert_close(embedding.weight.value, torch_embedding.weight.detach().numpy(),
                     f"{name}: table after step {step}")


def test_frozen_and_evaluation_lookups_record_nothing_and_two_forwards_are_an_error():
    frozen = SparseEmbedding(5, 2, frozen=True, rng=np.random.default_rng(0))
    assert frozen(np.array([1, 2])).requires_grad is False and not frozen.used and not frozen.parameters()
    embedding = SparseEmbedding(5, 2, rng=np.random.default_rng(0))
    with no_grad():
        embedding(np.array([1, 2]))
    assert not embedding.used, "a lookup inside no_grad() must not record rows"
    optimizer = RowOptimizer(embedding, optim.Adagrad, lr=0.1)
    (embedding(np.array([1])).sum() + embedding(np.array([2])).sum()).backward()
    with pytest.raises(RuntimeError, match="one forward per step"):
        optimizer.step()
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        embedding(np.array([5]))
    with pytest.raises(ValueError, match="momentum"):
        RowOptimizer(embedding, optim.SGD, lr=0.1, momentum=0.9)
