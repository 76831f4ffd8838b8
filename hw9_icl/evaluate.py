"""One cell of the ICL grid: choose demonstrations, build and encode the prompts, score every label,
score the content-free inputs with the same demonstrations; and the data the grid runs on.

Fixed demonstrations (``random``, ``balanced``, and every k = 0 prompt) share one prefix, scored with its
key/value cache reused; ``nearest`` gives each test review its own demonstrations, scored in batches.
For ``nearest`` the label bias is estimated on the demonstration sets of the first `calibration_sample`
test reviews (each with every content-free input), as one prompt per review would triple the cost.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from common.data import read_sst2_tsv
from hw9_icl.calibration import CONTENT_FREE_INPUTS, calibrate
from hw9_icl.models import LanguageModel, encode_prompt, label_token_ids
from hw9_icl.prompts import Demonstration, Prompt, Template, build_prompt, check_prompt_length
from hw9_icl.scoring import score_batched, score_with_prefix_cache
from hw9_icl.selection import get_k_examples, order_examples


@dataclass(frozen=True)
class Cell:
    """One setting of the grid. `labels`: ``gold`` demonstrations, or ``random`` labels (Min et al. 2022)."""

    k: int
    strategy: str
    seed: int = 0
    order: str = "as_selected"
    labels: str = "gold"

    def key(self) -> dict:
        return asdict(self)


def check_split(split: str) -> None:
    """Raise a ValueError naming the choices unless `split` is an evaluated SST-2 split."""
    if split not in ("dev", "test"):
        raise ValueError(f"unknown split {split!r}; choose dev (where settings are chosen) or test (to confirm "
                         "a setting chosen on dev, once)")


def load_data(data: Path | None, num_dev: int, min_words: int, max_words: int, pool_size: int,
              seed: int, split: str = "dev") -> tuple[list[Demonstration], list[Demonstration]]:
    """(demonstration pool, evaluated reviews). The pool: SST-2 training phrases of `min_words`..`max_words`
    words, `pool_size` of them drawn with `seed` (0: all); the reviews: the first `num_dev` sentences of
    `split` (0: all; dev has 872, the labelled GLUE test 1,821)."""
    check_split(split)
    train = [Demonstration(" ".join(item.tokens), item.label) for item in read_sst2_tsv("train", data)
             if min_words <= len(item.tokens) <= max_words]
    if not train:
        raise ValueError(f"no SST-2 training phrase has {min_words}..{max_words} words; widen the range")
    if 0 < pool_size < len(train):
        chosen = np.sort(np.random.default_rng(seed).choice(len(train), size=pool_size, replace=False))
        train = [train[i] for i in chosen]
    dev = [Demonstration(" ".join(item.tokens), item.label) for item in read_sst2_tsv(split, data)]
    return train, dev[:num_dev] if num_dev > 0 else dev


def demonstrations(cell: Cell, pool: Sequence[Demonstration], query_vector=None, pool_vectors=None,
                   num_labels: int = 2) -> list[Demonstration]:
    """The cell's demonstrations (for one test review when the strategy is ``nearest``)."""
    chosen = get_k_examples(pool, cell.k, cell.strategy, cell.seed, query_vector, pool_vectors)
    chosen = order_examples(chosen, cell.order, cell.seed)
    demos = [pool[i] for i in chosen]
    if cell.labels == "random":
        random_labels = np.random.default_rng(cell.seed + 1).integers(0, num_labels, size=len(demos))
        demos = [Demonstration(demo.sentence, int(label)) for demo, label in zip(demos, random_labels, strict=True)]
    elif cell.labels != "gold":
        raise ValueError(f"unknown labels mode {cell.labels!r}; choose gold or random")
    return demos


def score_cell(lm: LanguageModel, template: Template, pool: Sequence[Demonstration], dev: Sequence[Demonstration],
               cell: Cell, pool_vectors=None, dev_vectors=None, batch_size: int = 16,
               calibration_sample: int = 32) -> dict[str, list]:
    """Label log-probabilities of every dev review [N, L] and of the content-free inputs [M, L]."""
    labels = label_token_ids(lm, template.labels)
    longest_label = max(len(label) for label in labels)
    if cell.strategy == "nearest" and cell.k > 0:
        if pool_vectors is None or dev_vectors is None:
            raise ValueError("strategy 'nearest' needs sentence embeddings of the pool and of the dev reviews")
        demo_sets = [demonstrations(cell, pool, dev_vectors[i], pool_vectors, len(labels)) for i in range(len(dev))]
        prompts = [_joined(lm, build_prompt(template, demos, item.sentence))
                   for demos, item in zip(demo_sets, dev, strict=True)]
        free = [_joined(lm, build_prompt(template, demos, text))
                for demos in demo_sets[:calibration_sample] for text in CONTENT_FREE_INPUTS]
        check_prompt_length(max(map(len, prompts + free)), lm.context_length, cell.k, longest_label)
        scores = score_batched(lm.model, prompts, labels, lm.pad_id, batch_size)
        content_free = score_batched(lm.model, free, labels, lm.pad_id, batch_size)
    else:
        demos = demonstrations(cell, pool, num_labels=len(labels))
        prompts = [build_prompt(template, demos, item.sentence) for item in dev]
        free_prompts = [build_prompt(template, demos, text) for text in CONTENT_FREE_INPUTS]
        check_shared_prefix(prompts + free_prompts)
        encoded = [encode_prompt(lm, prompt) for prompt in prompts]
        encoded_free = [encode_prompt(lm, prompt) for prompt in free_prompts]
        prefix = encoded[0][0]
        if any(item[0] != prefix for item in encoded + encoded_free):
            raise RuntimeError("the tokenizer split the shared demonstrations differently for different reviews "
                               "(the prefix text is the same for all); end the template's separator with a newline "
                               "or a space")
        check_prompt_length(len(prefix) + max(len(item[1]) for item in encoded + encoded_free), lm.context_length,
                            cell.k, longest_label)
        scores = score_with_prefix_cache(lm.model, prefix, [item[1] for item in encoded], labels, lm.pad_id,
                                         batch_size)
        content_free = score_with_prefix_cache(lm.model, prefix, [item[1] for item in encoded_free], labels,
                                               lm.pad_id, batch_size)
    return {"log_probs": scores.tolist(), "content_free": content_free.tolist()}


def check_shared_prefix(prompts: Sequence[Prompt]) -> None:
    """Raise a ValueError naming the cause unless all `prompts` (one set of demonstrations, different test
    reviews) share one prefix: the instruction and the demonstrations, with the test review in the query."""
    for prompt in prompts[1:]:
        if prompt.prefix != prompts[0].prefix:
            raise ValueError(
                f"expected the same prefix for every test review (the instruction and the demonstrations) but got "
                f"prefixes ending {prompts[0].prefix[-60:]!r} and {prompt.prefix[-60:]!r}: the prefix changes with "
                "the test review, so it holds (part of) the review. build_prompt must put the test review's "
                "example in Prompt.query only; see test_prompts.py")


def _joined(lm: LanguageModel, prompt) -> list[int]:
    prefix, query = encode_prompt(lm, prompt)
    return prefix + query


def accuracies(result: dict[str, list], gold: Sequence[int]) -> tuple[float, float, float]:
    """(accuracy, calibrated accuracy, batch-calibrated accuracy) of one cell's scores.

    Calibrated: the bias estimated on the content-free inputs (Zhao et al. 2021). Batch-calibrated: the
    bias estimated as the mean label distribution over the evaluated reviews themselves (Zhou et al.
    2024, "Batch Calibration"); no labels are used, only the other test inputs.
    """
    return ensemble_accuracies([result], gold)


def content_free_bias(result: dict[str, list]) -> list[float]:
    """p_cf [L]: the mean label distribution of one cell's content-free inputs, the bias that calibration
    divides out (for ``nearest``, over the demonstration sets of the calibration sample).

    It is read back through :func:`calibrate` itself, so it is the bias your calibration used: calibrating a
    uniform row of scores gives q ∝ 1 / p_cf, and p_cf = softmax(-log q).
    """
    content_free = torch.tensor(result["content_free"])                                  # (M, L)
    inverse = calibrate(torch.zeros(1, content_free.shape[1], dtype=content_free.dtype), content_free)  # (1, L)
    return torch.softmax(-inverse[0].double(), dim=-1).tolist()


def ensemble_accuracies(results: Sequence[dict[str, list]], gold: Sequence[int]) -> tuple[float, float, float]:
    """The three accuracies of :func:`accuracies` for an ensemble of cells scored on the same reviews.

    Each cell's label distribution [N, L] is normalised (raw) or calibrated first, then the log-probabilities
    are averaged over the cells (a product of experts) and the argmax taken, separately for each variant.
    """
    if not results:
        raise ValueError("an ensemble needs at least one cell")
    variants = [[], [], []]  # raw, calibrated, batch-calibrated: one [N, L] tensor per cell each
    for result in results:
        scores = torch.tensor(result["log_probs"])                                       # (N, L)
        variants[0].append(torch.log_softmax(scores, dim=-1))
        variants[1].append(calibrate(scores, torch.tensor(result["content_free"])))
        variants[2].append(calibrate(scores, scores))
    gold_tensor = torch.tensor(list(gold))
    return tuple((torch.stack(members).mean(dim=0).argmax(-1) == gold_tensor).float().mean().item()
                 for members in variants)
