"""Predicting by generation: sample or greedily decode a few tokens after the prompt, then parse the
answer (students' part: parse_answer). An answer that names no label counts as wrong and is counted."""
from __future__ import annotations

import re
from collections.abc import Sequence

import torch

from hw9_icl.config import DecodingSettings
from hw9_icl.scoring import left_pad


def parse_answer(text: str, label_words: Sequence[str]) -> int | None:
    """The label named by the first word of a generated answer, or None when it names none.

    Words are runs of letters (``re.findall(r"[a-z]+", text.lower())``); the first such word is compared
    with each label word lower-cased and stripped. "Positive." -> 1 and " negative\\n\\nReview" -> 0 for
    labels (" negative", " positive"); "" or "The movie ..." -> None.
    """
    # TODO: find the first word, look it up among the label words (about 4 lines).
    # BEGIN SOLUTION
    words = re.findall(r"[a-z]+", text.lower())
    labels = [word.strip().lower() for word in label_words]
    if not words or words[0] not in labels:
        return None
    return labels.index(words[0])
    # END SOLUTION


@torch.no_grad()
def generate_answers(model, tokenizer, prompts: Sequence[Sequence[int]], settings: DecodingSettings,
                     pad_id: int, batch_size: int = 16, seed: int = 0) -> list[str]:
    """The decoded continuation of each prompt (token ids), generated in left-padded batches."""
    if settings.temperature < 0 or not 0 < settings.top_p <= 1 or settings.top_k < 0:
        raise ValueError(f"decoding settings {settings}: need temperature >= 0, 0 < top_p <= 1, top_k >= 0")
    torch.manual_seed(seed)
    sample = settings.temperature > 0
    options = dict(do_sample=sample, max_new_tokens=settings.max_new_tokens, pad_token_id=pad_id)
    if sample:
        options.update(temperature=settings.temperature, top_k=settings.top_k or None, top_p=settings.top_p)
    else:
        options.update(temperature=None, top_k=None, top_p=None)
    answers = []
    for start in range(0, len(prompts), batch_size):
        ids, mask = left_pad(prompts[start:start + batch_size], pad_id)                # (B, T)
        output = model.generate(input_ids=ids, attention_mask=mask, **options)      # (B, T + new)
        answers.extend(tokenizer.batch_decode(output[:, ids.shape[1]:], skip_special_tokens=True))
    return answers
