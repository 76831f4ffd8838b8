"""Greedy and beam search: against step-by-step references, exhaustive search, and each other.

The searches run on :class:`ScriptedModel` (fixed tables behind the model's interface), so these tests
need none of model.py's tasks.
"""
from __future__ import annotations

import itertools

import pytest
import torch

from hw7_seq2seq.data import BOS_INDEX, EOS_INDEX
from hw7_seq2seq.decode import beam_search, greedy_decode
from hw7_seq2seq.tests.seq2seq_helpers import ScriptedModel, batch_args, random_sources, sequence_log_probs, sources


def sequence_log_prob(model, source: list[int], tokens: list[int]) -> float:
    return sequence_log_probs(model, source, [tokens])[0]


def with_eos(tokens: list[int], max_len: int) -> list[int]:
    return tokens if len(tokens) == max_len else [*tokens, EOS_INDEX]


def exhaustive(model, source: list[int], vocab: int, max_len: int, length_penalty: float = 0.0
               ) -> tuple[list[int], float, list[int]]:
    """Search every output by brute force: (the best by score / length ** α, </s> counted in the length, its
    summed log-probability, and the best by summed log-probability alone), tokens without </s>."""
    candidates = [list(c) for n in range(1, max_len + 1) for c in itertools.product(range(vocab), repeat=n)
                  if EOS_INDEX not in c[:-1] and (c[-1] == EOS_INDEX or n == max_len)]
    scores = sequence_log_probs(model, source, candidates)
    normalised = [score / len(c) ** length_penalty for score, c in zip(scores, candidates, strict=True)]
    best, raw = (max(range(len(candidates)), key=values.__getitem__) for values in (normalised, scores))
    return ([t for t in candidates[best] if t != EOS_INDEX], scores[best],
            [t for t in candidates[raw] if t != EOS_INDEX])


@pytest.mark.task_greedy
@pytest.mark.points(2)
def test_greedy_takes_the_argmax_at_every_step() -> None:
    model = ScriptedModel(scale=2.0, seed=2)
    source = [4, 7, 5, 9]
    (hypothesis,) = greedy_decode(model, *batch_args([source]), max_len=8)
    batch = sources([source])
    memory, state = model.encode(batch.indices, batch.lengths, batch.mask)
    prev, expected = torch.tensor([BOS_INDEX]), []
    with torch.no_grad():
        for _ in range(8):
            logits, state, _ = model.decoder.step(prev, state, memory)
            prev = logits.argmax(-1)
            if int(prev) == EOS_INDEX:
                break
            expected.append(int(prev))
    assert hypothesis.tokens == expected, f"expected {expected} but got {hypothesis.tokens}"
    reference = sequence_log_prob(model, source, with_eos(expected, 8))
    assert hypothesis.score == pytest.approx(reference, abs=1e-4), f"expected score {reference}, got {hypothesis.score}"


@pytest.mark.task_greedy
@pytest.mark.points(2)
def test_greedy_batched_equals_one_at_a_time_and_returns_attention() -> None:
    model = ScriptedModel(scale=2.0, seed=7)
    sentences = random_sources(8, seed=5)
    batched = greedy_decode(model, *batch_args(sentences), max_len=10)
    for sentence, hypothesis in zip(sentences, batched, strict=True):
        (alone,) = greedy_decode(model, *batch_args([sentence]), max_len=10)
        assert hypothesis.tokens == alone.tokens, f"{sentence}: batched {hypothesis.tokens} but alone {alone.tokens}"
        assert hypothesis.score == pytest.approx(alone.score, abs=1e-5), (
            f"{sentence}: batched score {hypothesis.score:.6f} but alone {alone.score:.6f}; a sentence's score "
            f"must stop growing once it has produced </s>, while others of the batch still decode")
        weights = hypothesis.attention
        assert weights.shape == (min(len(hypothesis.tokens) + 1, 10), len(sentence)), (
            f"expected attention [{len(hypothesis.tokens) + 1}, {len(sentence)}] but got {weights.shape}")
        assert torch.allclose(torch.from_numpy(weights).sum(-1), torch.ones(len(weights)), atol=1e-5)


@pytest.mark.task_beam
@pytest.mark.points(2)
@pytest.mark.parametrize("attention", ["attention", "none"])
def test_beam_size_one_equals_greedy(attention: str) -> None:
    model = ScriptedModel(attention=attention == "attention", scale=2.0, seed=9)
    batch = sources(random_sources(10, seed=6))
    greedy = greedy_decode(model, batch.indices, batch.lengths, batch.mask, max_len=9)
    beam = beam_search(model, batch.indices, batch.lengths, batch.mask, beam_size=1, max_len=9)
    for g, b in zip(greedy, beam, strict=True):
        assert b.tokens == g.tokens, f"expected the greedy tokens {g.tokens} but got {b.tokens}"
        assert b.score == pytest.approx(g.score, abs=1e-5), f"expected greedy's score {g.score:.6f}, got {b.score:.6f}"


@pytest.mark.task_beam
@pytest.mark.points(2)
@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_batched_beam_equals_one_sentence_at_a_time(length_penalty: float) -> None:
    model = ScriptedModel(scale=2.0, seed=6)
    sentences = random_sources(9, seed=7)
    batched = beam_search(model, *batch_args(sentences), beam_size=4, max_len=9,
                          length_penalty=length_penalty)
    for sentence, hypothesis in zip(sentences, batched, strict=True):
        (alone,) = beam_search(model, *batch_args([sentence]), beam_size=4, max_len=9,
                               length_penalty=length_penalty)
        assert hypothesis.tokens == alone.tokens, f"{sentence}: batched {hypothesis.tokens} but alone {alone.tokens}"
        assert hypothesis.score == pytest.approx(alone.score, abs=1e-5), (
            f"{sentence}: batched score {hypothesis.score:.6f} but alone {alone.score:.6f}")


@pytest.mark.task_beam
@pytest.mark.points(3)
def test_a_wide_beam_finds_the_exhaustive_best_and_beats_greedy() -> None:
    model = ScriptedModel(tgt_vocab=6, scale=1.5, seed=34)
    max_len = 3                                    # every id, specials included, has probability: all count
    for source in random_sources(4, seed=8):
        expected, score, _ = exhaustive(model, source, vocab=6, max_len=max_len)
        (found,) = beam_search(model, *batch_args([source]), beam_size=36, max_len=max_len)
        assert found.tokens == expected, (
            f"expected the exhaustive best {expected} but got {found.tokens}; a beam that keeps every hypothesis "
            "misses the best one when: a hypothesis continues from another's decoder state (reorder the state, "
            "tokens, lengths and finished flags by each candidate's origin beam); all K hypotheses start live "
            "(only one may, the others at -inf); the top K are taken per beam instead of over all K x V "
            "candidates; or some ids are forbidden (every id has probability here, the specials too)")
        assert found.score == pytest.approx(score, abs=1e-4)
        (greedy,) = greedy_decode(model, *batch_args([source]), max_len=max_len)
        assert found.score >= greedy.score - 1e-6, "the best hypothesis can never score below greedy's"


@pytest.mark.task_beam
@pytest.mark.points(2)
@pytest.mark.parametrize("length_penalty", [0.5, 1.0])
def test_length_normalised_beam_picks_the_exhaustive_best_and_keeps_its_raw_score(length_penalty: float) -> None:
    """The final choice is score / length ** α with </s> counted in the length; Hypothesis.score stays the
    summed log-probability (the normalised score only chooses)."""
    model = ScriptedModel(tgt_vocab=5, scale=1.5, seed=7)   # sources where </s> in the length changes the choice
    for source in random_sources(4, seed=23):
        expected, score, _ = exhaustive(model, source, vocab=5, max_len=4, length_penalty=length_penalty)
        (found,) = beam_search(model, *batch_args([source]), beam_size=5 ** 4, max_len=4,
                               length_penalty=length_penalty)
        assert found.tokens == expected, (
            f"expected {expected}, the best by score / length ** {length_penalty} with </s> counted in the "
            f"length, but got {found.tokens}")
        assert found.score == pytest.approx(score, abs=1e-4), (
            f"expected Hypothesis.score {score:.4f}, the summed log-probability, but got {found.score:.4f}; "
            "the normalised score only chooses the hypothesis")


@pytest.mark.task_beam
@pytest.mark.points(2)
def test_a_beam_of_two_keeps_distinct_hypotheses_and_finds_the_normalised_best() -> None:
    """On these sources a beam of 2 finds the exhaustive best by score / length; it loses it when finished
    hypotheses fill the beam with copies of themselves, or when the final choice ignores the length."""
    model = ScriptedModel(tgt_vocab=5, scale=1.5, seed=0)
    for source in random_sources(4, seed=21):
        expected, _, raw = exhaustive(model, source, vocab=5, max_len=4, length_penalty=1.0)
        (found,) = beam_search(model, *batch_args([source]), beam_size=2, max_len=4, length_penalty=1.0)
        hint = ("that is the best by summed log-probability: is the final choice score / length ** α?"
                if found.tokens == raw != expected else
                "a finished hypothesis may continue only with padding at no cost (every other id -inf), else its "
                "copies take the beam's other places")
        assert found.tokens == expected, f"expected {expected}, the best by score / length, got {found.tokens}; {hint}"


@pytest.mark.task_beam
@pytest.mark.points(0)
def test_bad_arguments_name_the_fix() -> None:
    """Checks the given check_decoding_arguments (no points)."""
    model = ScriptedModel()
    batch = sources([[4, 5]])
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        beam_search(model, batch.indices, batch.lengths, batch.mask, beam_size=0, max_len=5)
    with pytest.raises(ValueError, match="max_len must be >= 1"):
        greedy_decode(model, batch.indices, batch.lengths, batch.mask, max_len=0)
    empty = sources([[4], []])
    with pytest.raises(ValueError, match="empty"):
        beam_search(model, empty.indices, empty.lengths, empty.mask, beam_size=2, max_len=5)
