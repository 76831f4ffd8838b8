"""Shared test helpers: tiny models with fixed random weights and padded source batches."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from common.torch_utils import TensorBatch, padded_tensors
from hw7_seq2seq.data import PAD_INDEX
from hw7_seq2seq.model import ModelConfig, Seq2Seq


def tiny_model(attention: str = "additive", src_vocab: int = 11, tgt_vocab: int = 9, seed: int = 0,
               scale: float = 1.0) -> Seq2Seq:
    """A small model in eval mode with deterministic random weights (no dropout).

    `scale` multiplies every weight: larger weights give peakier distributions (fewer near-ties).
    """
    torch.manual_seed(seed)
    config = ModelConfig(emb_dim=6, enc_hidden=5, dec_hidden=10 if attention == "dot" else 7,
                         attention=attention, attn_dim=4, dropout=0.0)
    model = Seq2Seq(config, src_vocab, tgt_vocab).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    return model


def sources(sentences: Sequence[Sequence[int]]) -> TensorBatch:
    """Pad source id lists into a batch (indices [B, S], lengths [B], mask [B, S])."""
    return padded_tensors(sentences, PAD_INDEX)


def random_sources(count: int, vocab: int = 11, min_len: int = 1, max_len: int = 7, seed: int = 0) -> list[list[int]]:
    """`count` random source sentences of ids in [4, vocab) (no specials), lengths in [min_len, max_len]."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (count,), generator=generator).tolist()
    return [torch.randint(4, vocab, (n,), generator=generator).tolist() for n in lengths]


def batch_args(sentences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src [B, S], lengths [B], mask [B, S]) of the padded sentences, as the decoders take them."""
    batch = sources(sentences)
    return batch.indices, batch.lengths, batch.mask
