"""hw9 prompts: the exact prompt text, the zero-shot prompt; the errors for bad templates and long prompts."""
from __future__ import annotations

import pytest

from hw9_icl.evaluate import check_shared_prefix
from hw9_icl.prompts import Demonstration, Prompt, Template, build_prompt, check_prompt_length, load_template

REVIEW = Template("review", "", "Review: {sentence}\nSentiment:", "\n\n", (" negative", " positive"))


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
    assert prompt.query == "Review: a dull film\nSentiment:", f"got query {prompt.query!r}"


@pytest.mark.points(0)  # given code
def test_bad_templates_and_long_prompts_are_errors() -> None:
    with pytest.raises(ValueError, match="slot"):
        Template("broken", "", "Review:\nSentiment:", "\n", (" negative", " positive"))
    with pytest.raises(ValueError, match="label words"):
        Template("broken", "", "{sentence}", "\n", (" negative", " "))
    with pytest.raises(ValueError, match="unknown template"):
        load_template("no-such-template")
    with pytest.raises(ValueError, match="lower k"):
        check_prompt_length(500, 512, k=16, extra_tokens=20)


@pytest.mark.points(0)  # given code: the check that the grid runs before scoring a cell
def test_a_prefix_that_holds_the_test_review_is_named_as_the_cause() -> None:
    demonstration = "Review: a moving film\nSentiment: positive\n\n"
    check_shared_prefix([Prompt(demonstration, f"Review: {query}\nSentiment:") for query in ("dull", "witty")])
    wrong = [Prompt(f"{demonstration}Review: {query}\nSentiment:", "") for query in ("dull", "witty")]
    with pytest.raises(ValueError, match=r"holds \(part of\) the review"):
        check_shared_prefix(wrong)
