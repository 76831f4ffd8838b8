"""hw9 scoring on a tiny random OLMo-2-shaped model: label log-probabilities against a hand computation,
multi-token label words, and the batched, prefix-cached and naive paths agreeing. The prompts are written
out by hand, so these tests need label_log_probs alone."""
from __future__ import annotations

import math

import pytest
import torch

from hw9_icl.models import encode_prompt, label_token_ids
from hw9_icl.prompts import Prompt
from hw9_icl.scoring import label_log_probs, score_batched, score_naive, score_with_prefix_cache

LABEL_WORDS = (" negative", " positive")
QUERIES = ["witty", "a tedious mess with no redeeming qualities at all", "charming story", "no", "boring , dull film"]


def review_prompt(query: str) -> Prompt:
    """The 'review' template's 2-shot prompt for `query`, written out by hand."""
    return Prompt("Review: a gripping , funny film\nSentiment: positive\n\n"
                  "Review: dull and far too long\nSentiment: negative\n\n", f"Review: {query}\nSentiment:")


@pytest.mark.task_score
@pytest.mark.points(2)
def test_label_log_probs_by_hand() -> None:
    logits = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]])
    expected = (2 - math.log(1 + math.e + math.e ** 2)) + (3 - math.log(math.e ** 3 + 2))
    got = label_log_probs(logits, torch.tensor([2, 0]))
    assert got.shape == (1,), f"expected shape (1,) but got {tuple(got.shape)}"
    assert got.item() == pytest.approx(expected, rel=1e-6), (
        f"logits [[[0, 1, 2], [3, 0, 0]]] and label ids [2, 0]: expected log_softmax([0, 1, 2])[2] + "
        f"log_softmax([3, 0, 0])[0] = {expected:.6f} (each log-softmax over the vocabulary, the last dimension) "
        f"but got {got.item():.6f}")
    big = label_log_probs(torch.tensor([[[1000.0, 0.0]]]), torch.tensor([1]))
    assert big.item() == pytest.approx(-1000.0), (
        f"expected log_softmax([1000, 0])[1] = -1000 but got {big.item()}: use torch.log_softmax, not log(softmax)")


@pytest.mark.task_score
@pytest.mark.points(2)
def test_scores_equal_a_hand_computation_on_the_tiny_model(tiny_lm) -> None:
    prefix, query = encode_prompt(tiny_lm, review_prompt("witty"))
    labels = label_token_ids(tiny_lm, LABEL_WORDS)
    got = score_naive(tiny_lm.model, [prefix + query], labels)
    for j, label in enumerate(labels):
        expected, context = 0.0, prefix + query
        for token in label:  # one forward pass per label token: log p(token | everything before it)
            with torch.no_grad():
                last = tiny_lm.model(input_ids=torch.tensor([context])).logits[0, -1].double()
            expected += (last[token] - torch.logsumexp(last, dim=0)).item()
            context = context + [token]
        assert got[0, j].item() == pytest.approx(expected, abs=1e-4), f"label {j}: expected {expected}, got {got[0, j]}"


@pytest.mark.task_score
@pytest.mark.points(2)
def test_multi_token_label_words_are_summed(tiny_lm) -> None:
    labels = label_token_ids(tiny_lm, (" lukewarm", " extraordinary"))
    assert min(map(len, labels)) > 1, f"the test needs multi-token label words, got {labels}"
    ids = sum(encode_prompt(tiny_lm, review_prompt("witty")), [])
    with torch.no_grad():
        for j, label in enumerate(labels):
            logits = tiny_lm.model(input_ids=torch.tensor([ids + label])).logits[0].double()  # (T, V)
            log_probs = torch.log_softmax(logits, dim=-1)
            expected = sum(log_probs[len(ids) - 1 + i, token].item() for i, token in enumerate(label))
            got = score_naive(tiny_lm.model, [ids], [label])[0, 0].item()
            assert got == pytest.approx(expected, abs=1e-4), f"label {j}: expected {expected} but got {got}"


@pytest.mark.task_score
@pytest.mark.points(3)
@pytest.mark.parametrize("label_words", [(" negative", " positive"), (" lukewarm", " ok", " extraordinary")])
@pytest.mark.parametrize("chat", [False, True])
def test_batched_and_cached_paths_agree_with_naive(tiny_lm, tiny_chat_lm, label_words, chat) -> None:
    lm = tiny_chat_lm if chat else tiny_lm
    labels = label_token_ids(lm, label_words)
    encoded = [encode_prompt(lm, review_prompt(query)) for query in QUERIES]
    prefix = encoded[0][0]
    assert all(item[0] == prefix for item in encoded), "the demonstrations' prefix is shared"
    naive = score_naive(lm.model, [p + q for p, q in encoded], labels)
    batched = score_batched(lm.model, [p + q for p, q in encoded], labels, lm.pad_id, batch_size=2)
    calls = []
    hook = lm.model.register_forward_pre_hook(lambda module, args, kwargs: calls.append(kwargs), with_kwargs=True)
    try:
        cached = score_with_prefix_cache(lm.model, prefix, [q for _, q in encoded], labels, lm.pad_id, batch_size=3)
    finally:
        hook.remove()
    check_positions_after_the_prefix(calls, len(prefix))
    assert naive.shape == (len(QUERIES), len(labels))
    for name, scores in (("batched (left-padded)", batched), ("prefix-cached", cached)):
        difference = (scores - naive).abs()
        review, label = divmod(int(difference.argmax()), len(labels))
        assert torch.allclose(scores, naive, atol=1e-4), (
            f"expected the {name} scores to equal the naive ones (one unpadded prompt at a time) within 1e-4 but "
            f"the largest difference is {difference.max():.3g}, review {review} ({QUERIES[review]!r}), label "
            f"{label_words[label]!r}: {scores[review, label]:.5f} against {naive[review, label]:.5f}; look at the "
            "attention mask and the position_ids of the padded batch")


def check_positions_after_the_prefix(calls: list[dict], prefix_length: int) -> None:
    """Every forward pass that reuses the prefix's cache must place each row's real tokens (after its left
    padding) at positions prefix_length, prefix_length + 1, ..."""
    reused = [call for call in calls if call.get("cache") is not None]
    assert reused, "expected the queries to be scored on top of the prefix's key/value cache (cache=...)"
    for call in reused:
        ids, mask, positions = call["input_ids"], call.get("attention_mask"), call.get("position_ids")
        assert mask is not None and positions is not None, (
            f"expected an attention_mask and position_ids beside the cached prefix, but the attention_mask is "
            f"{'missing' if mask is None else 'given'} and the position_ids are "
            f"{'missing' if positions is None else 'given'}")
        real = mask[:, -ids.shape[1]:].bool()                                     # (B, T) tokens, not padding
        for row in range(len(ids)):
            got = positions[row][real[row]].tolist()
            expected = list(range(prefix_length, prefix_length + len(got)))
            assert got == expected, (
                f"expected the {len(got)} query tokens after the cached prefix of {prefix_length} tokens at "
                f"positions {expected[0]}..{expected[-1]} (the prefix holds 0..{prefix_length - 1}, left padding "
                f"takes no position) but got position_ids {got}: each query must continue where the prefix stopped")
