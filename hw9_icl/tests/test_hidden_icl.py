"""hw9 hidden tests: other templates and separators, three classes, batch size one, three labels."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hw9_icl.calibration import calibrate
from hw9_icl.generation import parse_answer
from hw9_icl.models import encode_prompt, label_token_ids
from hw9_icl.prompts import Demonstration, Prompt, Template, build_prompt
from hw9_icl.scoring import label_log_probs, score_naive, score_with_prefix_cache
from hw9_icl.selection import get_k_examples

pytestmark = pytest.mark.hidden


@pytest.mark.task_prompt
@pytest.mark.points(1)
def test_instruction_separator_and_three_labels() -> None:
    template = Template("t", "Rate these.\n", "Text: {sentence} =>", " | ", (" bad", " so-so", " good"))
    demos = [Demonstration("x", 2), Demonstration("y", 0), Demonstration("z", 1)]
    prompt = build_prompt(template, demos, "w {sentence}")
    assert prompt.prefix == "Rate these.\nText: x => good | Text: y => bad | Text: z => so-so | "
    assert prompt.query == "Text: w {sentence} =>"


@pytest.mark.task_select
@pytest.mark.points(2)
@pytest.mark.parametrize("k", [1, 4, 5, 7])
def test_balanced_with_three_classes(k: int) -> None:
    pool = [Demonstration(str(i), i % 3) for i in range(30)]
    for seed in range(4):
        chosen = get_k_examples(pool, k, "balanced", seed)
        counts = np.bincount([pool[i].label for i in chosen], minlength=3)
        assert len(set(chosen)) == k and counts.max() - counts.min() <= 1, f"k={k} seed={seed}: counts {counts}"
    picks = {tuple(get_k_examples(pool, k, "balanced", seed)) for seed in range(6)}
    assert len(picks) > 1, "different seeds should give different demonstrations"


@pytest.mark.task_score
@pytest.mark.points(1)
def test_label_log_probs_matches_torch_on_random_logits() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, 11, generator=generator) * 5
    label = torch.tensor([3, 0, 10])
    expected = torch.nn.functional.cross_entropy(logits.transpose(1, 2), label.expand(4, 3), reduction="none").sum(-1)
    assert torch.allclose(label_log_probs(logits, label), -expected, atol=1e-5)


@pytest.mark.task_score
@pytest.mark.points(1)
def test_cached_path_with_batch_size_one_on_the_chat_model(tiny_chat_lm) -> None:
    prompts = [Prompt("Say it.\nReview: a film\nSentiment: fine\n\n", f"Review: {q}\nSentiment:")
               for q in ("ab", "a longer review here")]  # written out by hand: the test needs label_log_probs alone
    encoded = [encode_prompt(tiny_chat_lm, prompt) for prompt in prompts]
    labels = label_token_ids(tiny_chat_lm, (" lukewarm", " fine"))
    naive = score_naive(tiny_chat_lm.model, [p + q for p, q in encoded], labels)
    cached = score_with_prefix_cache(tiny_chat_lm.model, encoded[0][0], [q for _, q in encoded], labels,
                                     tiny_chat_lm.pad_id, batch_size=1)
    assert torch.allclose(cached, naive, atol=1e-4), f"{cached} vs {naive}"


@pytest.mark.task_calibrate
@pytest.mark.points(1)
def test_three_labels_several_content_free_inputs() -> None:
    content_free = torch.log(torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.6, 0.2]]))  # mean (0.4, 0.45, 0.15)
    scores = torch.log(torch.tensor([[0.4, 0.45, 0.15], [0.2, 0.3, 0.5]]))
    got = calibrate(scores, content_free).exp()
    second = torch.tensor([0.2 / 0.4, 0.3 / 0.45, 0.5 / 0.15])
    assert torch.allclose(got[0], torch.full((3,), 1 / 3), atol=1e-6)
    assert torch.allclose(got[1], second / second.sum(), atol=1e-6), f"got {got[1]}"


@pytest.mark.task_parse
@pytest.mark.points(1)
def test_parse_other_label_words() -> None:
    labels = (" Terrible", " great")
    assert parse_answer("GREAT movie", labels) == 1
    assert parse_answer("\n terrible", labels) == 0
    assert parse_answer("good", labels) is None
