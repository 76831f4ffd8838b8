"""A tiny model learns two toy translations perfectly: copying and reversing short sequences."""
from __future__ import annotations

import pytest
import torch

from common.torch_utils import TrainStep
from hw7_seq2seq.config import ModelConfig
from hw7_seq2seq.data import BOS_INDEX, EOS_INDEX, PAD_INDEX, make_batch
from hw7_seq2seq.decode import beam_search, greedy_decode
from hw7_seq2seq.evaluate import summed_loss
from hw7_seq2seq.model import Seq2Seq
from hw7_seq2seq.tests.seq2seq_helpers import batch_args, random_sources

pytestmark = pytest.mark.task_learn
SYMBOLS = 12        # ids 4 .. 11 are the toy language's 8 words


def train_toy(transform, steps: int = 200, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    config = ModelConfig(emb_dim=16, enc_hidden=32, dec_hidden=64, attention="additive", attn_dim=32, dropout=0.0)
    model = Seq2Seq(config, SYMBOLS, SYMBOLS)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[steps * 2 // 3], gamma=0.1)
    step = TrainStep(model, optimizer, clip_norm=1.0)
    for index in range(steps):
        sentences = random_sources(64, vocab=SYMBOLS, min_len=1, max_len=6, seed=seed * 10_000 + index)
        examples = [(s, [BOS_INDEX, *transform(s), EOS_INDEX]) for s in sentences]
        batch = make_batch(examples, range(len(examples)))
        step(lambda batch=batch: summed_loss(model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in),
                                             batch.tgt_out) / batch.num_target_tokens)
        schedule.step()
    return model.eval()


@pytest.mark.points(0)  # given code
def test_label_smoothed_loss_matches_a_hand_computation() -> None:
    torch.manual_seed(0)
    logits, targets, epsilon = torch.randn(2, 3, 5), torch.tensor([[4, 2, 0], [1, 3, 3]]), 0.2
    log_probs = logits.log_softmax(dim=-1)
    expected = 0.0
    for b in range(2):
        for t in range(3):
            if targets[b, t] != PAD_INDEX:
                expected -= (1 - epsilon) * log_probs[b, t, targets[b, t]] + epsilon * log_probs[b, t].mean()
    got = summed_loss(logits, targets, label_smoothing=epsilon)
    assert torch.allclose(got, expected), f"expected {float(expected):.6f}, got {float(got):.6f}"
    plain = -sum(log_probs[b, t, targets[b, t]] for b in range(2) for t in range(3) if targets[b, t] != PAD_INDEX)
    assert torch.allclose(summed_loss(logits, targets), plain), "label_smoothing 0 is plain cross-entropy"


@pytest.mark.points(2)
@pytest.mark.parametrize("name, transform", [("copy", lambda s: list(s)), ("reverse", lambda s: s[::-1])],
                         ids=["copy", "reverse"])
def test_learns_toy_task_perfectly(name: str, transform) -> None:
    model = train_toy(transform)
    held_out = random_sources(200, vocab=SYMBOLS, min_len=1, max_len=6, seed=999_999)
    for decode in ("greedy", "beam"):
        if decode == "greedy":
            hypotheses = greedy_decode(model, *batch_args(held_out), max_len=10)
        else:
            hypotheses = beam_search(model, *batch_args(held_out), beam_size=3, max_len=10, length_penalty=1.0)
        wrong = [(s, h.tokens) for s, h in zip(held_out, hypotheses, strict=True) if h.tokens != transform(s)]
        assert not wrong, (f"{name} ({decode}): expected every held-out sequence right but {len(wrong)} of 200 "
                           f"are wrong, e.g. {wrong[0][0]} -> {wrong[0][1]}")
