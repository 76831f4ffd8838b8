"""The classifier: pooling, the head, freezing, and the equivalence with AutoModelForSequenceClassification."""
from __future__ import annotations

import pytest
import torch

from hw8_transformer.export import from_sequence_classification, to_sequence_classification
from hw8_transformer.model import CheckpointError, PretrainedClassifier, load_encoder, masked_mean_pool

from .conftest import write_tiny_bert


def batch_of(tokenizer, sentences):
    encoded = tokenizer(sentences, padding=True, return_tensors="pt")
    return encoded["input_ids"], encoded["attention_mask"]


@pytest.mark.task_pooling
@pytest.mark.points(2)
def test_masked_mean_pool_matches_a_loop_over_real_tokens():
    torch.manual_seed(0)
    hidden = torch.randn(3, 5, 4, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    expected = torch.stack([hidden[b, : int(mask[b].sum())].mean(dim=0) for b in range(3)])
    got = masked_mean_pool(hidden, mask)
    assert got.shape == (3, 4), f"expected [3, 4] but got {tuple(got.shape)}"
    wrong = [b for b in range(3) if not torch.allclose(got[b], expected[b])]
    torch.testing.assert_close(got, expected, msg=lambda m: (
        f"masked mean differs from the loop in rows {wrong}, which have {[int(mask[b].sum()) for b in wrong]} "
        f"real tokens of 5 (row 1 has no padding): each row is divided by its own number of real tokens: {m}"))


@pytest.mark.task_pooling
@pytest.mark.points(1)
def test_masked_mean_pool_ignores_padding_values_and_survives_an_empty_row():
    hidden = torch.ones(2, 3, 2)
    hidden[0, 2] = 1000.0                      # a padded position must not count
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]])
    got = masked_mean_pool(hidden, mask)
    assert torch.isfinite(got).all(), f"an all-padding row must give zeros, not NaN; got {got.tolist()}"
    torch.testing.assert_close(got, torch.tensor([[1.0, 1.0], [0.0, 0.0]]), msg=lambda m: (
        f"expected [[1, 1], [0, 0]] but got {got.tolist()}: row 0 holds ones at its 2 real tokens (1000 at its "
        f"padded one), so its mean is 1 (sum over real tokens / 2); row 1 is all padding: zeros. {m}"))


@pytest.mark.task_pooling
@pytest.mark.points(1)
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_masked_mean_pool_keeps_the_dtype_of_the_hidden_states(dtype):
    torch.manual_seed(0)
    hidden = torch.randn(2, 4, 3, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])        # integers, as a tokenizer returns them
    expected = torch.stack([hidden[0, :2].mean(dim=0), hidden[1].mean(dim=0)])
    got = masked_mean_pool(hidden.to(dtype), mask)
    assert got.dtype == dtype, (
        f"expected the hidden states' dtype {dtype} but got {got.dtype}: under autocast the encoder gives "
        f"{dtype} states; convert the mask to hidden.dtype (not .float(), which promotes the result to float32)")
    torch.testing.assert_close(got.double(), expected, atol=2e-2, rtol=2e-2)


@pytest.mark.task_classifier
@pytest.mark.points(2)
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_forward_gives_logits_that_do_not_depend_on_padding(tiny_bert_dir, pooling):
    encoder, tokenizer = load_encoder(tiny_bert_dir, add_pooling_layer=pooling == "cls")
    model = PretrainedClassifier(encoder, num_labels=3, pooling=pooling).eval()
    ids, mask = batch_of(tokenizer, ["a good film", "the story is very dull and quite boring"])
    logits = model(ids, mask)
    assert logits.shape == (2, 3), f"expected logits [2, 3] but got {tuple(logits.shape)}"
    alone = model(*batch_of(tokenizer, ["a good film"]))
    torch.testing.assert_close(logits[:1], alone, atol=1e-5, rtol=1e-5,
                               msg=lambda m: f"padding changed the first sentence's logits: {m}")


@pytest.mark.task_classifier
@pytest.mark.points(2)
def test_cls_pooling_equals_auto_model_for_sequence_classification(tiny_bert_dir):
    from transformers import AutoModelForSequenceClassification

    encoder, tokenizer = load_encoder(tiny_bert_dir)
    ours = PretrainedClassifier(encoder, num_labels=2, pooling="cls").eval()
    theirs = to_sequence_classification(ours).eval()
    assert isinstance(theirs, AutoModelForSequenceClassification._model_mapping[type(encoder.config)])
    ids, mask = batch_of(tokenizer, ["a witty , moving story", "boring", "the film is a bad movie ."])
    torch.testing.assert_close(ours(ids, mask), theirs(input_ids=ids, attention_mask=mask).logits,
                               msg=lambda m: f"ours and AutoModelForSequenceClassification disagree: {m}")
    back = from_sequence_classification(theirs).eval()
    torch.testing.assert_close(back(ids, mask), ours(ids, mask))


@pytest.mark.task_classifier
@pytest.mark.points(2)
def test_frozen_encoder_gets_no_gradient_and_no_dropout(tiny_bert_dir):
    encoder, tokenizer = load_encoder(tiny_bert_dir)
    model = PretrainedClassifier(encoder, pooling="cls", dropout=0.0)
    model.set_encoder_trainable(False)
    model.train()
    ids, mask = batch_of(tokenizer, ["a good film", "dull"])
    first, second = model(ids, mask), model(ids, mask)
    torch.testing.assert_close(first, second, msg=lambda m: f"a frozen encoder must not apply dropout: {m}")
    first.sum().backward()
    assert model.classifier.weight.grad is not None and model.classifier.weight.grad.abs().sum() > 0, (
        "expected a non-zero gradient on the head")
    with_grad = [name for name, p in model.encoder.named_parameters() if p.grad is not None]
    assert not with_grad, f"expected no gradient in the frozen encoder but got one for {with_grad[:3]}"
    still_trainable = [name for name, p in model.encoder.named_parameters() if p.requires_grad]
    assert not still_trainable, (
        f"requires_grad is still True for {still_trainable[:3]} ({len(still_trainable)} encoder parameters): "
        "set requires_grad_(False) on every encoder parameter, so that no gradient is computed and the optimizer "
        "(built from the parameters that require one) leaves them out")
    model.set_encoder_trainable(True)
    model.train()
    assert model.encoder.training, "an unfrozen encoder should train (dropout on) again"
    model(ids, mask).sum().backward()
    assert model.encoder.embeddings.word_embeddings.weight.grad is not None, "unfrozen: the encoder learns again"


@pytest.mark.task_classifier
@pytest.mark.points(1)
def test_set_encoder_trainable_reapplies_the_current_mode(tiny_bert_dir):
    encoder, _ = load_encoder(tiny_bert_dir)
    model = PretrainedClassifier(encoder, pooling="cls").train()
    model.set_encoder_trainable(False)
    assert not model.encoder.training, (
        "a model in train mode that freezes its encoder must put the encoder in eval mode at once (no dropout), "
        "without another model.train(): end set_encoder_trainable with self.train(self.training)")
    assert model.classifier.training and model.dropout.training, "the head stays in train mode"
    model.set_encoder_trainable(True)
    assert model.encoder.training, (
        "unfreezing the encoder of a model in train mode must put the encoder back in train mode: end "
        "set_encoder_trainable with self.train(self.training)")
    model.eval()
    model.set_encoder_trainable(False)
    model.set_encoder_trainable(True)
    assert not any(module.training for module in model.modules()), (
        "a model in eval mode stays in eval mode through set_encoder_trainable: reapply the model's own mode, "
        "self.train(self.training), not train()")


@pytest.mark.points(0)  # given code
def test_bad_checkpoints_name_the_fix(tmp_path, tiny_bert_dir):
    with pytest.raises(CheckpointError, match="no config.json"):
        load_encoder(tmp_path)
    small = write_tiny_bert(tmp_path / "small-vocab", vocab_size=8)
    with pytest.raises(CheckpointError, match="tokenizer/model mismatch: the tokenizer has 32 tokens"):
        load_encoder(small)
    encoder, _ = load_encoder(tiny_bert_dir, add_pooling_layer=False)
    with pytest.raises(ValueError, match="use pooling: mean"):
        PretrainedClassifier(encoder, pooling="cls")
    with pytest.raises(ValueError, match="pooling must be one of"):
        PretrainedClassifier(encoder, pooling="max")
