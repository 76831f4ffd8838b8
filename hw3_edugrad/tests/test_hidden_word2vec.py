"""Hidden tests of word2vec in edugrad: finite differences, edge shapes, dtypes, and a whole training run
against the same sparse SGD in torch (no hw2 import: the grade does not depend on hw2 code)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from common.gradcheck import check_gradient
from common.skipgram import SkipGramData
from common.skipgram_run import train_skipgram
from common.vocabulary import Vocabulary
from hw3_edugrad.edugrad import Tensor
from hw3_edugrad.tests.test_word2vec import torch_loss_of_vectors, torch_sparse_step
from hw3_edugrad.word2vec import EdugradSGNS, sgns_loss

pytestmark = [pytest.mark.hidden, pytest.mark.task_word2vec]


def _batch(seed: int, vocab_size: int, dim: int, batch: int, k: int):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.7, (vocab_size, dim)), rng.normal(0, 0.7, (vocab_size, dim)),
            rng.integers(0, vocab_size, batch), rng.integers(0, vocab_size, batch),
            rng.integers(0, vocab_size, (batch, k)))


@pytest.mark.points(2)
def test_sgns_gradients_against_finite_differences():
    E, C, targets, contexts, negatives = _batch(seed=5, vocab_size=7, dim=3, batch=5, k=2)

    def loss_of(E_value, C_value) -> float:
        return sgns_loss(Tensor(E_value), Tensor(C_value), targets, contexts, negatives).item()

    def grads(E_value, C_value):
        E_t, C_t = Tensor(E_value.copy(), requires_grad=True), Tensor(C_value.copy(), requires_grad=True)
        sgns_loss(E_t, C_t, targets, contexts, negatives).backward()
        return E_t.grad, C_t.grad

    check_gradient(lambda e: loss_of(e, C), E.copy(), lambda e: grads(e, C)[0], name="d SGNS loss / d E")
    check_gradient(lambda c: loss_of(E, c), C.copy(), lambda c: grads(E, c)[1], name="d SGNS loss / d C")


@pytest.mark.parametrize(("batch", "k"), [(1, 1), (3, 1), (1, 7)])
def test_edge_shapes_match_torch(batch, k):
    E, C, targets, contexts, negatives = _batch(seed=batch * 10 + k, vocab_size=9, dim=4, batch=batch, k=k)
    E_t, C_t = Tensor(E, requires_grad=True), Tensor(C, requires_grad=True)
    loss = sgns_loss(E_t, C_t, targets, contexts, negatives)
    loss.backward()
    E_ref = torch.tensor(E, requires_grad=True)
    rows = torch.from_numpy(np.concatenate([contexts[:, None], negatives], 1))
    reference = torch_loss_of_vectors(E_ref[torch.from_numpy(targets)], torch.tensor(C)[rows])
    reference.backward()
    expected, expected_E = reference.item(), E_ref.grad.numpy()
    assert abs(loss.item() - expected) < 1e-6, f"B={batch}, k={k}: expected loss {expected} but got {loss.item()}"
    assert np.allclose(E_t.grad, expected_E, atol=1e-6), (
        f"B={batch}, k={k}: expected dE {expected_E} but got {E_t.grad}"
    )


def test_float32_tables_give_a_float32_graph():
    E, C, targets, contexts, negatives = _batch(seed=1, vocab_size=6, dim=3, batch=4, k=2)
    E_t = Tensor(E.astype(np.float32), requires_grad=True)
    loss = sgns_loss(E_t, Tensor(C.astype(np.float32)), targets, contexts, negatives)
    loss.backward()
    assert loss.dtype == np.float32 and E_t.grad.dtype == np.float32, (
        f"expected float32 loss and gradient but got {loss.dtype} and {E_t.grad.dtype}"
    )


@pytest.mark.points(2)
def test_a_whole_training_run_matches_torch_in_float64():
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"],
                 ["the", "dog", "saw", "the", "cat"]] * 20
    vocab = Vocabulary.from_tokens(sentences, specials=())
    data = SkipGramData(sentences, vocab, window=2, negatives=3, subsample=0.0, seed=4)
    edugrad_model = EdugradSGNS(len(vocab), 6, np.random.default_rng(0))
    edugrad_model.target_embeddings = edugrad_model.target_embeddings.astype(np.float64)
    edugrad_model.context_embeddings = edugrad_model.context_embeddings.astype(np.float64)
    ref_E, ref_C = torch.tensor(edugrad_model.target_embeddings), torch.tensor(edugrad_model.context_embeddings)
    history = train_skipgram(edugrad_model, data, epochs=2, batch_size=16, lr=0.05)
    for epoch in range(2):
        batches = data.epoch_batches(epoch, 16)
        for i, (targets, contexts, negatives) in enumerate(batches):
            done = (epoch + i / len(batches)) / 2
            torch_sparse_step(ref_E, ref_C, targets, contexts, negatives, 0.05 * max(1 - done, 1e-4))
    assert history.loss[-1] < history.loss[0], f"expected the loss to fall but got {history.loss}"
    assert np.allclose(edugrad_model.target_embeddings, ref_E.numpy(), atol=1e-6), (
        "E after 2 epochs differs from the torch reference by "
        f"{np.abs(edugrad_model.target_embeddings - ref_E.numpy()).max()}"
    )
    assert np.allclose(edugrad_model.context_embeddings, ref_C.numpy(), atol=1e-6), (
        "C after 2 epochs differs from the torch reference"
    )
