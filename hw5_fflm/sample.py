"""Generating text from the model: sampling with a temperature and top-k (your task).

Given the logits z [V] of the next word, temperature T rescales them (p ∝ exp(z / T): T < 1 is more
conservative, T > 1 more adventurous) and top-k keeps only the k most probable words before
sampling. The start marker <s> is never sampled; generation stops at </s>.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.vocabulary import BOS, EOS, UNK, Vocabulary
from hw3_edugrad.edugrad import no_grad
from hw5_fflm.model import FeedForwardLM


def sample_next(logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator,
                forbidden: Sequence[int] = ()) -> int:
    """One word id drawn from softmax(logits / temperature) restricted to the top_k largest logits.

    logits: [V]; top_k None (or >= V) keeps every word; `forbidden` ids get probability 0. Ties at
    the k-th largest logit are broken by id (the lower id is kept).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (use a small value such as 0.01 for greedy) but got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None (no limit) but got {top_k}")
    logits = np.asarray(logits, dtype=np.float64).copy()
    logits[list(forbidden)] = -np.inf
    # TODO: keep the top_k largest (np.argsort with kind="stable" on -logits), scale by 1/T, a
    # stable softmax, then rng.choice. About 8 lines.
    # BEGIN SOLUTION
    if top_k is not None and top_k < len(logits):
        dropped = np.argsort(-logits, kind="stable")[top_k:]
        logits[dropped] = -np.inf
    scaled = logits / temperature
    probabilities = np.exp(scaled - scaled.max())
    probabilities /= probabilities.sum()
    return int(rng.choice(len(probabilities), p=probabilities))
    # END SOLUTION


def encode_prompt(vocab: Vocabulary, words: Sequence[str]) -> tuple[list[int], list[str]]:
    """(ids of the prompt words, the words not in the vocabulary, which are read as <unk>) (given)."""
    unknown = [word for word in words if word not in vocab]
    return [vocab.token_to_index(word if word in vocab else UNK) for word in words], unknown


def generate(model: FeedForwardLM, vocab: Vocabulary, prompt: Sequence[str], max_words: int,
             temperature: float = 1.0, top_k: int | None = None, rng: np.random.Generator | None = None) -> list[str]:
    """Continue `prompt` (words; unknown ones read as <unk>) with up to `max_words` sampled words,
    stopping after </s>. Returns the new words only (</s> included when it was drawn). The model is
    used in evaluation mode and left in the mode it was in."""
    if max_words < 0:
        raise ValueError(f"max_words must be >= 0 but got {max_words}")
    rng = rng if rng is not None else np.random.default_rng(0)
    bos, eos = vocab.token_to_index(BOS), vocab.token_to_index(EOS)
    history, _ = encode_prompt(vocab, prompt)
    history = [bos] * model.context_size + history
    was_training = model.training
    model.eval()
    words: list[str] = []
    try:
        # TODO: repeat: the logits of the last context_size ids (a batch of one, under no_grad),
        # sample_next without <s>, append; stop at </s>. About 8 lines.
        # BEGIN SOLUTION
        with no_grad():
            for _ in range(max_words):
                context = np.array([history[-model.context_size:]], dtype=np.int64)  # (1, c)
                word = sample_next(model(context).value[0], temperature, top_k, rng, forbidden=(bos,))
                history.append(word)
                words.append(vocab.index_to_token(word))
                if word == eos:
                    break
        # END SOLUTION
    finally:
        model.train(was_training)
    return words
