"""hw9 prompts and demonstration selection: the exact prompt for a fixed seed, balanced selection,
nearest neighbours on hand-made vectors, and the errors for bad templates and bad k."""
from __future__ import annotations

import numpy as np
import pytest

from hw9_icl.evaluate import Cell, demonstrations
from hw9_icl.prompts import Demonstration, Template, build_prompt, check_prompt_length, load_template
from hw9_icl.selection import get_k_examples

REVIEW = Template("review", "", "Review: {sentence}\nSentiment:", "\n\n", (" negative", " positive"))
POOL = [Demonstration(f"review number {i}", label) for i, label in enumerate([0, 1, 1, 1, 0, 1, 1, 0, 1, 1])]


@pytest.mark.task_prompt
@pytest.mark.points(2)
def test_prompt_is_exactly_as_expected() -> None:
    demos = [Demonstration("a moving film", 1), Demonstration("too long", 0)]
    prompt = build_prompt(REVIEW, demos, "witty and warm")
    expected_prefix = "Review: a moving film\nSentiment: positive\n\nReview: too long\nSentiment: negative\n\n"
    assert prompt.prefix == expected_prefix, f"expected prefix {expected_prefix!r} but got {prompt.prefix!r}"
    assert prompt.query == "Review: witty and warm\nSentiment:", f"got query {prompt.query!r}"
    assert prompt.text == prompt.prefix + prompt.query


@pytest.mark.task_prompt
@pytest.mark.points(1)
def test_zero_shot_prompt_is_instruction_and_query() -> None:
    template = load_template("instructed")
    prompt = build_prompt(template, [], "a dull film")
    assert prompt.prefix == template.instruction, f"expected prefix {template.instruction!r}, got {prompt.prefix!r}"
    assert prompt.query == "Review: a dull film\nSentiment:"


@pytest.mark.task_select
@pytest.mark.points(2)
def test_prompt_for_a_fixed_seed() -> None:
    # balanced, k = 2, seed 0: one of each class, drawn and shuffled with numpy's default_rng(0)
    demos = demonstrations(Cell(2, "balanced", seed=0), POOL)
    prompt = build_prompt(REVIEW, demos, "a fine film")
    expected = ("Review: review number 7\nSentiment: negative\n\nReview: review number 6\nSentiment: positive\n\n"
                "Review: a fine film\nSentiment:")
    assert prompt.text == expected, f"expected {expected!r} but got {prompt.text!r}"


@pytest.mark.task_select
@pytest.mark.points(2)
@pytest.mark.parametrize("k", [2, 3, 4, 6])
def test_balanced_selection_is_balanced(k: int) -> None:
    for seed in range(5):
        chosen = get_k_examples(POOL, k, "balanced", seed)
        labels = [POOL[i].label for i in chosen]
        assert len(chosen) == k and len(set(chosen)) == k, f"expected {k} distinct indices, got {chosen}"
        assert abs(labels.count(0) - labels.count(1)) <= k % 2, f"k={k} seed={seed}: unbalanced labels {labels}"
    assert get_k_examples(POOL, k, "balanced", 1) == get_k_examples(POOL, k, "balanced", 1), "same seed, same picks"


@pytest.mark.task_select
@pytest.mark.points(1)
def test_random_selection_follows_the_recipe() -> None:
    expected = [int(i) for i in np.random.default_rng(3).choice(len(POOL), size=4, replace=False)]
    assert get_k_examples(POOL, 4, "random", 3) == expected
    assert get_k_examples(POOL, 0, "random", 3) == []


@pytest.mark.task_select
@pytest.mark.points(2)
def test_nearest_neighbours_least_similar_first() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6], [-1.0, 0.0]] + [[0.0, -1.0]] * 5)
    chosen = get_k_examples(POOL, 3, "nearest", seed=0, query_vector=np.array([2.0, 0.0]), train_vectors=vectors)
    assert chosen == [2, 3, 0], f"expected the three most similar, least similar first [2, 3, 0], got {chosen}"


@pytest.mark.task_select
@pytest.mark.points(1)
def test_bad_k_is_an_error() -> None:
    with pytest.raises(ValueError, match="pool"):
        get_k_examples(POOL, 11, "random", 0)
    with pytest.raises(ValueError, match="class"):
        get_k_examples(POOL, 8, "balanced", 0)  # only 3 negatives
    with pytest.raises(ValueError, match="vectors"):
        get_k_examples(POOL, 2, "nearest", 0)


@pytest.mark.task_run
@pytest.mark.points(1)
def test_bad_templates_and_long_prompts_are_errors() -> None:
    with pytest.raises(ValueError, match="slot"):
        Template("broken", "", "Review:\nSentiment:", "\n", (" negative", " positive"))
    with pytest.raises(ValueError, match="label words"):
        Template("broken", "", "{sentence}", "\n", (" negative", " "))
    with pytest.raises(ValueError, match="unknown template"):
        load_template("no-such-template")
    with pytest.raises(ValueError, match="lower k"):
        check_prompt_length(500, 512, k=16, extra_tokens=20)
