"""Extra checks, run by the autograder only."""
from __future__ import annotations

import contextlib

import pytest
import torch

from hw8_transformer.model import PretrainedClassifier, load_encoder, masked_mean_pool
from hw8_transformer.train import linear_warmup_decay, train_update

pytestmark = pytest.mark.hidden


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_masked_mean_pool_keeps_bf16_and_takes_a_bool_mask():
    torch.manual_seed(1)
    hidden = torch.randn(4, 7, 3, dtype=torch.float64)
    mask = torch.rand(4, 7) > 0.4
    mask[:, 0] = True
    expected = torch.stack([hidden[b][mask[b]].mean(dim=0) for b in range(4)])
    torch.testing.assert_close(masked_mean_pool(hidden, mask), expected)
    low = masked_mean_pool(hidden.to(torch.bfloat16), mask.long())
    assert low.dtype == torch.bfloat16, f"expected the states' dtype bfloat16 but got {low.dtype}"
    torch.testing.assert_close(low.double(), expected, atol=3e-2, rtol=3e-2)


@pytest.mark.task_classifier
@pytest.mark.points(1)
def test_frozen_encoder_stays_frozen_through_mode_switches(tiny_bert_dir):
    encoder, _ = load_encoder(tiny_bert_dir)
    model = PretrainedClassifier(encoder, pooling="mean")
    model.set_encoder_trainable(False)
    model.eval()
    model.train()
    assert not model.encoder.training and model.classifier.training and model.dropout.training
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"classifier.weight", "classifier.bias"}, f"only the head should train, got {sorted(trainable)}"


@pytest.mark.task_schedule
@pytest.mark.points(1)
def test_schedule_is_zero_after_the_end_and_one_at_the_peak():
    assert linear_warmup_decay(4, 4, 12) == 1.0
    assert linear_warmup_decay(0, 4, 12) == 0.0
    assert linear_warmup_decay(20, 4, 12) == 0.0, "never negative after the last update"
    assert linear_warmup_decay(8, 4, 12) == pytest.approx(0.5)


@pytest.mark.task_update
@pytest.mark.points(2)
def test_three_micro_batches_with_clipping_match_a_hand_written_step(tiny_bert_no_dropout_dir):
    encoder, tokenizer = load_encoder(tiny_bert_no_dropout_dir)
    torch.manual_seed(3)
    model = PretrainedClassifier(encoder, pooling="cls", dropout=0.0)
    reference = PretrainedClassifier(load_encoder(tiny_bert_no_dropout_dir)[0], pooling="cls", dropout=0.0)
    reference.load_state_dict(model.state_dict())
    sentences = ["good", "a dull film", "the story is quite boring", "witty", "a great , moving movie"]
    encoded = tokenizer(sentences, padding=True, return_tensors="pt")
    labels = torch.tensor([1, 0, 0, 1, 1])
    pieces = [slice(0, 2), slice(2, 3), slice(3, 5)]
    batches = [{"input_ids": encoded["input_ids"][s], "attention_mask": encoded["attention_mask"][s],
                "labels": labels[s]} for s in pieces]
    sgd = torch.optim.SGD(model.parameters(), lr=0.5)
    train_update(model, batches, sgd, torch.optim.lr_scheduler.LambdaLR(sgd, lambda step: 1.0), 0.05,
                 torch.amp.GradScaler("cpu", enabled=False), contextlib.nullcontext, contextlib.nullcontext)
    loss = torch.nn.functional.cross_entropy(reference(encoded["input_ids"], encoded["attention_mask"]), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.05)
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.5 * p.grad
    for (name, a), b in zip(model.named_parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5, msg=lambda m, name=name: f"{name}: {m}")
