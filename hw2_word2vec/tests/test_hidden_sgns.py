"""hw2 hidden tests: edge shapes, untouched rows, and word vectors that learn a two-topic toy corpus."""
from __future__ import annotations

import numpy as np
import pytest

from common.skipgram import SkipGramData
from common.skipgram_run import train_skipgram
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors
from hw2_word2vec.sgns import SGNSModel, scatter_add, sgns_loss_and_gradients

pytestmark = pytest.mark.hidden


@pytest.mark.task_gradients
@pytest.mark.points(1)
def test_single_pair_single_negative_by_hand() -> None:
    e, c, n = np.array([[0.5, -1.0]]), np.array([[2.0, 1.0]]), np.array([[[1.0, 1.0]]])
    # e.c = 0, e.n = -0.5: dL/d(e.c) = σ(0) - 1 = -0.5, dL/d(e.n) = σ(-0.5)
    s = 1 / (1 + np.exp(0.5))
    loss, grad_e, grad_c, grad_n = sgns_loss_and_gradients(e, c, n)
    assert loss == pytest.approx(np.log(2) + np.log1p(np.exp(-0.5)), rel=1e-12)
    assert np.allclose(grad_e, -0.5 * c + s * n[:, 0]), f"expected {-0.5 * c + s * n[:, 0]} but got {grad_e}"
    assert np.allclose(grad_c, -0.5 * e) and np.allclose(grad_n, s * e[:, None, :])


@pytest.mark.task_scatter
@pytest.mark.points(1)
def test_scatter_add_one_row_many_times_leaves_others() -> None:
    matrix = np.zeros((4, 2), dtype=np.float32)
    scatter_add(matrix, np.full(1000, 2), np.ones((1000, 2), dtype=np.float32))
    assert np.allclose(matrix[2], 1000) and not np.any(matrix[[0, 1, 3]]), f"got {matrix}"


@pytest.mark.task_model
@pytest.mark.points(1)
def test_step_leaves_unused_rows_alone() -> None:
    rng = np.random.default_rng(0)
    model = SGNSModel(10, 4, rng)
    model.context_embeddings[:] = rng.normal(size=(10, 4))
    before_E, before_C = model.target_embeddings.copy(), model.context_embeddings.copy()
    model.step(np.array([1, 1]), np.array([2, 3]), np.array([[4], [4]]), 0.1)
    assert np.array_equal(model.target_embeddings[[0, 2, 3, 4, 5]], before_E[[0, 2, 3, 4, 5]])
    assert np.array_equal(model.context_embeddings[[0, 1, 5, 9]], before_C[[0, 1, 5, 9]])
    assert not np.array_equal(model.context_embeddings[4], before_C[4])


@pytest.mark.task_run
@pytest.mark.points(2)
def test_vectors_learn_two_topics() -> None:
    rng = np.random.default_rng(0)
    topics = [["cat", "dog", "mouse", "horse"], ["stock", "bond", "bank", "loan"]]
    sentences = [list(rng.choice(topics[i % 2], size=8)) for i in range(600)]
    vocab = Vocabulary.from_tokens(sentences, specials=())
    data = SkipGramData(sentences, vocab, window=3, negatives=3, subsample=0.0, seed=0)
    model = SGNSModel(len(vocab), 10, np.random.default_rng(0))
    train_skipgram(model, data, epochs=3, batch_size=32, lr=0.025)
    vectors = WordVectors(vocab.tokens, model.target_embeddings)
    for topic in topics:
        for word in topic:
            nearest = vectors.nearest(word, k=1)[0][0]
            assert nearest in topic, f"expected the nearest word to {word!r} from {topic} but got {nearest!r}"
