"""hw3 benchmark (c), instructor-only: edugrad word2vec against hw2's hand-written numpy word2vec.

It needs hw2's reference solution (``hw2_word2vec.sgns``) and holds a numpy SGNS step, so it is
``solution_only`` in the manifest and never part of a student release; ``python -m hw3_edugrad.bench``
runs it when it is present. Words per second over the same batches of the same Penn Treebank slice,
the models alternating round by round; target: numpy / edugrad speed <= 2.0. Also against hw2's
gradients applied without hw2's fused scatter (what autograd has to compute).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from common.bench_results import at_most, run_rounds
from common.data import read_ptb
from common.skipgram import SkipGramData
from common.vocabulary import Vocabulary
from hw2_word2vec.sgns import SGNSModel, sgns_loss_and_gradients
from hw3_edugrad.word2vec import EdugradSGNS, scatter_add_rows

WORD2VEC_TARGET = 2.0   # numpy words per second / edugrad words per second


class UnfusedNumpySGNS(SGNSModel):
    """A second numpy reference: hw2's hand-written gradients (``sgns_loss_and_gradients``, which
    materialises the [B, 1 + k, d] gradient of the context rows, as autograd must) applied with
    edugrad's scatter. hw2's own step fuses that gradient into its scatter and never builds it."""

    def step(self, targets: np.ndarray, contexts: np.ndarray, negatives: np.ndarray, lr: float) -> float:
        E, C = self.target_embeddings, self.context_embeddings
        loss, grad_target, grad_context, grad_negatives = sgns_loss_and_gradients(
            E.take(targets, axis=0), C.take(contexts, axis=0), C.take(negatives, axis=0))
        scatter_add_rows(E, targets, grad_target, scale=-lr)
        scatter_add_rows(C, np.concatenate([contexts[:, None], negatives], axis=1),
                         np.concatenate([grad_context[:, None], grad_negatives], axis=1), scale=-lr)
        return loss


def bench_word2vec(threads: int, sentences: int = 10_000, dim: int = 100, batch_size: int = 1024,
                   rounds: int = 3) -> dict[str, Any]:
    """Words per second of one epoch over the first `sentences` PTB training lines, for hw2's numpy
    model, the unfused numpy reference and the edugrad model (same batches, same initial weights),
    in alternating rounds."""
    corpus = read_ptb("train")[:sentences]
    vocab = Vocabulary.from_tokens(corpus, specials=(), min_freq=5)
    data = SkipGramData(corpus, vocab, window=5, negatives=5, subsample=1e-3, seed=0)
    batches = list(data.epoch_batches(0, batch_size))  # made once: every model sees the same batches
    pairs = int(sum(len(b[0]) for b in batches))
    lrs = 0.025 * (1 - np.arange(len(batches)) / len(batches))
    vectors = {}

    def train(name: str, model_class) -> Callable[[], float]:
        def side() -> float:
            model = model_class(len(vocab), dim, np.random.default_rng(0))
            start = time.perf_counter()
            for (targets, contexts, negatives), lr in zip(batches, lrs, strict=True):
                model.step(targets, contexts, negatives, float(lr))
            seconds = time.perf_counter() - start
            vectors[name] = model.target_embeddings
            return seconds
        return side

    models = {"numpy": SGNSModel, "numpy_unfused": UnfusedNumpySGNS, "edugrad": EdugradSGNS}
    measured = run_rounds({name: train(name, model_class) for name, model_class in models.items()}, rounds, threads)
    wps = {name: data.num_tokens / measured.median(name) for name in models}
    return {"sentences": sentences, "tokens": data.num_tokens, "vocab_size": len(vocab), "pairs": pairs,
            "batches": len(batches), "batch_size": batch_size, "dim": dim, "negatives": 5,
            **{f"{name}_words_per_second": round(value) for name, value in wps.items()},
            "ratio": measured.ratio("numpy", "edugrad", of="speed", target=at_most(WORD2VEC_TARGET)),
            "ratio_to_unfused": measured.ratio("numpy_unfused", "edugrad", of="speed"),
            "max_embedding_difference_after_epoch": float(np.abs(vectors["edugrad"] - vectors["numpy"]).max()),
            "rounds": measured}
