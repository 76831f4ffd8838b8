"""Evaluating a translation model (given code): perplexity, decoding whole splits, text and sacreBLEU.

    nll, tokens = evaluate_nll(model, corpus.examples["val"], batch_size=128)   # perplexity = exp(nll / tokens)
    hypotheses = translate_sources(model, [src for src, _ in corpus.examples["test"]], beam_size=5, max_len=80)
    result = translate_split(model, corpus, "test", config.decode, beam_size=5)
    result.texts, result.bleu.score, result.bleu.signature, result.lowercased.score

Output ids become text as :mod:`hw7_seq2seq.text` says: an ``<unk>`` is dropped or (``decode.unknown_words:
copy``) replaced by the source unit the model attended to most when writing it (:func:`align`), then
pieces are joined, sentences capitalised and punctuation attached. BLEU is sacreBLEU's default, cased,
against the raw reference lines, with the case-insensitive score beside it.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from common.data import length_bucketed_batch_indices
from common.metrics import Bleu, corpus_bleu
from common.torch_utils import padded_tensors
from hw7_seq2seq.config import DecodeConfig
from hw7_seq2seq.data import BOS_INDEX, PAD_INDEX, UNK_INDEX, Corpus, Example, lengths, make_batch
from hw7_seq2seq.decode import Hypothesis, beam_search, greedy_decode
from hw7_seq2seq.model import Seq2Seq
from hw7_seq2seq.text import replace_unknowns


def summed_loss(logits: torch.Tensor, tgt_out: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy summed over the non-padding target positions: logits [B, T, V], tgt_out [B, T].

    With `label_smoothing` ε the target is (1 - ε) on the gold token plus ε / V on every token
    (Szegedy et al. 2016); evaluation always uses ε = 0, so perplexities stay comparable.
    """
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_INDEX, reduction="sum",
                           label_smoothing=label_smoothing)


@torch.no_grad()
def evaluate_nll(model: Seq2Seq, examples: Sequence[Example], batch_size: int) -> tuple[float, int]:
    """Summed negative log-likelihood of the targets with teacher forcing, and the number of target tokens."""
    model.eval()
    device = next(model.parameters()).device
    total, tokens = 0.0, 0
    for positions in length_bucketed_batch_indices(lengths(examples), batch_size, shuffle=False):
        batch = make_batch(examples, positions, device)
        logits = model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in)
        total += float(summed_loss(logits, batch.tgt_out))
        tokens += batch.num_target_tokens
    return total, tokens


@torch.no_grad()
def translate_sources(model: Seq2Seq, sources: Sequence[Sequence[int]], beam_size: int = 1, max_len: int = 80,
                      length_penalty: float = 0.0, batch_size: int = 128) -> list[Hypothesis]:
    """Decode every source (id lists), batched by length; results in the order of `sources`.

    beam_size 1 runs :func:`greedy_decode` (which also returns attention weights), otherwise
    :func:`beam_search`.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}; beam size 1 is greedy search")
    empty = [i for i, source in enumerate(sources) if len(source) == 0]
    if empty:
        raise ValueError(f"source sentence {empty[0]} is empty; give every sentence at least one token")
    device = next(model.parameters()).device
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results: list[Hypothesis | None] = [None] * len(sources)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = padded_tensors([sources[i] for i in chunk], PAD_INDEX, device)
        if beam_size == 1:
            decoded = greedy_decode(model, batch.indices, batch.lengths, batch.mask, max_len)
        else:
            decoded = beam_search(model, batch.indices, batch.lengths, batch.mask, beam_size, max_len, length_penalty)
        for i, hypothesis in zip(chunk, decoded, strict=True):
            results[i] = hypothesis
    return results


@torch.no_grad()
def align(model: Seq2Seq, sources: Sequence[Sequence[int]], outputs: Sequence[Sequence[int]],
          batch_size: int = 128) -> list[list[int] | None]:
    """For each output (target ids without ``<s>``/``</s>``), the source position each of its tokens
    attended to most, found by feeding the output back through the decoder (teacher forcing); None
    for every output of a model without attention."""
    if model.decoder.attention is None:
        return [None] * len(outputs)
    model.eval()
    device = next(itertools.chain(model.parameters(), model.buffers())).device
    aligned: list[list[int] | None] = []
    for start in range(0, len(sources), batch_size):
        chunk = range(start, min(start + batch_size, len(sources)))
        src = padded_tensors([sources[i] for i in chunk], PAD_INDEX, device)
        tgt_in = padded_tensors([[BOS_INDEX, *outputs[i]] for i in chunk], PAD_INDEX, device).indices  # [B, T+1]
        memory, state = model.encode(src.indices, src.lengths, src.mask)
        best = []
        for t in range(tgt_in.size(1) - 1):
            _, state, weights = model.decoder.step(tgt_in[:, t], state, memory)       # weights [B, S]
            best.append(weights.argmax(dim=-1))
        positions = torch.stack(best, dim=1).tolist() if best else [[] for _ in chunk]   # [B, T]
        aligned += [row[: len(outputs[i])] for i, row in zip(chunk, positions, strict=True)]
    return aligned


def mean_length_ratio(hypotheses: Sequence[Sequence[int]], references: Sequence[Sequence[int]]) -> float:
    """Total hypothesis tokens / total reference tokens (below 1: translations too short)."""
    return float(np.sum([len(h) for h in hypotheses]) / max(np.sum([len(r) for r in references]), 1))


@dataclass
class Translations:
    """A split translated: the hypotheses, their text, and sacreBLEU cased (the headline) and lower-cased."""

    hypotheses: list[Hypothesis]
    texts: list[str]
    bleu: Bleu
    lowercased: Bleu


def output_texts(model: Seq2Seq, corpus: Corpus, split: str, hypotheses: Sequence[Hypothesis],
                 unknown_words: str = "copy") -> list[str]:
    """Each hypothesis of `split` as text: ``<unk>`` replaced by its aligned source unit (`unknown_words`
    ``"copy"``, with attention) or dropped (``"drop"``), then detokenised."""
    sources = [source for source, _ in corpus.examples[split]]
    copying = unknown_words == "copy"
    unknown = [i for i, hypothesis in enumerate(hypotheses) if copying and UNK_INDEX in hypothesis.tokens]
    aligned = dict(zip(unknown, align(model, [sources[i] for i in unknown], [hypotheses[i].tokens for i in unknown]),
                       strict=True))
    target = corpus.sides[1]
    return [target.text(replace_unknowns(corpus.tgt_vocab.indices_to_tokens(hypothesis.tokens),
                                         corpus.units[split][i][0], aligned.get(i)))
            for i, hypothesis in enumerate(hypotheses)]


def translate_split(model: Seq2Seq, corpus: Corpus, split: str, decode: DecodeConfig, beam_size: int) -> Translations:
    """Translate every source of `split` (beam_size 1: greedy) and score the text against the raw references."""
    sources = [source for source, _ in corpus.examples[split]]
    hypotheses = translate_sources(model, sources, beam_size, decode.max_len, decode.length_penalty, decode.batch_size)
    texts = output_texts(model, corpus, split, hypotheses, decode.unknown_words)
    references = [reference for _, reference in corpus.raw[split]]
    return Translations(hypotheses, texts, corpus_bleu(texts, references),
                        corpus_bleu(texts, references, lowercase=True))
