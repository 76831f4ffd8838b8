"""hw9 generation: parsing answers (unparseable -> None); decoding on the tiny model (given code)."""
from __future__ import annotations

import pytest

from hw9_icl.generation import DecodingSettings, generate_answers, parse_answer
from hw9_icl.models import encode_prompt
from hw9_icl.prompts import Prompt

LABELS = (" negative", " positive")


@pytest.mark.task_parse
@pytest.mark.points(2)
@pytest.mark.parametrize("text, expected", [
    (" positive", 1), ("Positive.", 1), (" negative\n\nReview: a film", 0), ("  NEGATIVE!", 0),
    ("", None), ("The movie was great", None), (" positively", None), ("\n\n", None),
])
def test_parse_answer(text: str, expected) -> None:
    got = parse_answer(text, LABELS)
    assert got == expected, f"parse_answer({text!r}) expected {expected} but got {got}"


@pytest.mark.points(0)  # given code
def test_generation_greedy_is_deterministic_and_sampling_is_seeded(tiny_lm) -> None:
    prompts = [sum(encode_prompt(tiny_lm, Prompt("", f"Review: {text}\nSentiment:")), [])
               for text in ("witty", "a dull film")]
    greedy = DecodingSettings("greedy", max_new_tokens=2)
    first = generate_answers(tiny_lm.model, tiny_lm.tokenizer, prompts, greedy, tiny_lm.pad_id, batch_size=1)
    batched = generate_answers(tiny_lm.model, tiny_lm.tokenizer, prompts, greedy, tiny_lm.pad_id, batch_size=2)
    assert len(first) == 2 and first == batched, f"greedy answers differ: {first} vs {batched} (left padding?)"
    sampled = DecodingSettings("sample", temperature=1.0, top_p=0.9, top_k=20, max_new_tokens=2)
    assert (generate_answers(tiny_lm.model, tiny_lm.tokenizer, prompts, sampled, tiny_lm.pad_id, seed=4)
            == generate_answers(tiny_lm.model, tiny_lm.tokenizer, prompts, sampled, tiny_lm.pad_id, seed=4))
    with pytest.raises(ValueError, match="top_p"):
        generate_answers(tiny_lm.model, tiny_lm.tokenizer, prompts, DecodingSettings(top_p=0.0), tiny_lm.pad_id)
