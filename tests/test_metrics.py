"""common/metrics.py against hand computations and independent references."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from common.metrics import accuracy, confusion_matrix, corpus_bleu, macro_f1, perplexity

GOLD = [0, 0, 1, 1, 2, 2]
PRED = [0, 1, 1, 1, 0, 2]


def test_accuracy_by_hand():
    assert accuracy(GOLD, PRED) == pytest.approx(4 / 6)
    assert accuracy(np.array([1, 1]), torch.tensor([1, 0])) == pytest.approx(0.5)


def test_confusion_matrix_by_hand():
    expected = np.array([[1, 1, 0],
                         [0, 2, 0],
                         [1, 0, 1]])
    matrix = confusion_matrix(GOLD, PRED, num_classes=3)
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64
    assert confusion_matrix([0], [0], num_classes=4).shape == (4, 4)


def test_macro_f1_by_hand():
    # class 0: P = 1/2, R = 1/2 -> 1/2; class 1: P = 2/3, R = 1 -> 4/5; class 2: P = 1, R = 1/2 -> 2/3
    assert macro_f1(GOLD, PRED) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    # a class in the label set with no gold and no predictions scores 0
    assert macro_f1([0, 1], [0, 1], labels=[0, 1, 2]) == pytest.approx(2 / 3)
    assert macro_f1([0, 0], [1, 1], labels=[0, 1]) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_macro_f1_matches_confusion_matrix_formula(pairs):
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    matrix = confusion_matrix(gold, pred, num_classes=4).astype(float)
    scores = []
    for c in range(4):
        tp, predicted, actual = matrix[c, c], matrix[:, c].sum(), matrix[c, :].sum()
        scores.append(0.0 if predicted + actual == 0 else 2 * tp / (predicted + actual))
    assert macro_f1(gold, pred, labels=range(4)) == pytest.approx(np.mean(scores))
    assert accuracy(gold, pred) == pytest.approx(np.trace(matrix) / len(pairs))


def test_perplexity_by_hand():
    assert perplexity(0.0, 10) == 1.0
    assert perplexity(10 * math.log(4), 10) == pytest.approx(4.0)  # uniform over 4 tokens
    assert perplexity(1e6, 1) == math.inf


@pytest.mark.parametrize("total, count, fragment", [
    (1.0, 0, "positive int"), (1.0, 2.5, "positive int"), (-1.0, 3, ">= 0"), (float("nan"), 3, "finite"),
])
def test_perplexity_errors(total, count, fragment):
    with pytest.raises(ValueError, match=fragment):
        perplexity(total, count)


def test_label_errors():
    with pytest.raises(ValueError, match="outside the label set"):
        confusion_matrix([0, 3], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="outside the label set"):
        confusion_matrix([0, 1], [0, -1], num_classes=3)
    with pytest.raises(ValueError, match=r"labels \[5\] are outside the label set"):
        macro_f1([0, 5], [0, 1], labels=[0, 1])
    with pytest.raises(ValueError, match="1 gold and 2 predicted"):
        accuracy([0], [0, 1])
    with pytest.raises(ValueError, match="no labels"):
        accuracy([], [])
    with pytest.raises(TypeError, match="argmax"):
        accuracy([0.2, 0.8], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        accuracy([[0, 1]], [[0, 1]])


def test_corpus_bleu_matches_sacrebleu_and_edge_cases():
    hyps = ["the cat sat on the mat", "a dog runs in the park"]
    refs = ["the cat sat on a mat", "a dog runs through the park"]
    assert corpus_bleu(hyps, refs).score == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert corpus_bleu(refs, refs).score == pytest.approx(100.0)
    assert corpus_bleu(["completely different words here"], ["the cat sat on the mat"]).score < 1.0


def test_corpus_bleu_is_cased_by_default_and_signs_what_it_did():
    hyps, refs = ["the cat sat on the mat."], ["The cat sat on the mat."]
    cased, lowercased = corpus_bleu(hyps, refs), corpus_bleu(hyps, refs, lowercase=True)
    assert cased.score == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score) and cased.score < 100
    assert lowercased.score == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs], lowercase=True).score) == 100
    assert cased.signature.startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp"), cased.signature
    assert "|case:lc|" in lowercased.signature, lowercased.signature


def test_corpus_bleu_by_hand():
    # every n-gram of the 5-word hypothesis is in the 6-word reference: precisions 1, so BLEU is the
    # brevity penalty exp(1 - 6/5)
    ref = "w1 w2 w3 w4 w5 w6"
    hyp = "w1 w2 w3 w4 w5"
    assert corpus_bleu([hyp], [ref]).score == pytest.approx(100 * math.exp(1 - 6 / 5), rel=1e-6)


def test_corpus_bleu_errors():
    with pytest.raises(ValueError, match="one reference per hypothesis"):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no sentences"):
        corpus_bleu([], [])
    with pytest.raises(TypeError, match="detokenise token lists"):
        corpus_bleu([["a", "b"]], ["a b"])
