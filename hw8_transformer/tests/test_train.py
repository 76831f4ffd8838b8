"""The training loop's pieces: the learning-rate schedule and one (accumulated) update."""
from __future__ import annotations

import contextlib

import pytest
import torch

from hw8_transformer.config import TrainSettings
from hw8_transformer.model import PretrainedClassifier, load_encoder
from hw8_transformer.train import layer_depths, linear_warmup_decay, parameter_groups, train_update


@pytest.mark.task_schedule
@pytest.mark.points(2)
@pytest.mark.parametrize("warmup, total", [(0, 10), (3, 10), (10, 40), (5, 5)])
def test_schedule_matches_transformers(warmup, total):
    from transformers import get_linear_schedule_with_warmup

    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    reference = get_linear_schedule_with_warmup(optimizer, warmup, total)
    for step in range(total + 3):
        expected = reference.lr_lambdas[0](step)
        got = linear_warmup_decay(step, warmup, total)
        assert got == pytest.approx(expected, abs=1e-12), (
            f"step {step} (warm-up {warmup}, total {total}): expected {expected} (transformers) but got {got}")


SCALE = 2.0 ** 16   # GradScaler's initial scale


def _model_and_batches(folder, seed=0):
    encoder, tokenizer = load_encoder(folder)
    torch.manual_seed(seed)
    model = PretrainedClassifier(encoder, pooling="cls", dropout=0.0)
    sentences = ["a good film", "the story is very dull", "boring", "a witty , moving and gorgeous movie"]
    encoded = tokenizer(sentences, padding=True, return_tensors="pt")
    whole = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
             "labels": torch.tensor([1, 0, 0, 1])}
    return model, whole


def _reference_gradients(folder) -> tuple[float, dict[str, torch.Tensor], float]:
    """(mean loss, each parameter's gradient of it, the gradients' norm) on a fresh model, by autograd alone."""
    reference, whole = _model_and_batches(folder)
    loss = torch.nn.functional.cross_entropy(reference(whole["input_ids"], whole["attention_mask"]), whole["labels"])
    loss.backward()
    gradients = {name: p.grad for name, p in reference.named_parameters()}
    return float(loss.detach()), gradients, float(torch.sqrt(sum(g.pow(2).sum() for g in gradients.values())))


def _steps(before: dict[str, torch.Tensor], model) -> tuple[dict[str, torch.Tensor], float]:
    """Each parameter's step (before - after) and the norm of them all."""
    steps = {name: before[name] - p.detach() for name, p in model.named_parameters()}
    return steps, float(torch.sqrt(sum(step.pow(2).sum() for step in steps.values())))


def _update(model, batches, max_grad_norm=1.0, lr=1.0):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    loss = train_update(model, batches, optimizer, scheduler, max_grad_norm, scaler,
                        contextlib.nullcontext, contextlib.nullcontext)
    return loss, optimizer


def _split(batch, pieces):
    return [{k: v[piece] for k, v in batch.items()} for piece in pieces]


@pytest.mark.task_update
@pytest.mark.points(3)
def test_accumulated_update_equals_one_big_batch(tiny_bert_no_dropout_dir):
    one, whole = _model_and_batches(tiny_bert_no_dropout_dir)
    two, _ = _model_and_batches(tiny_bert_no_dropout_dir)
    loss_one, _ = _update(one, [whole])
    loss_two, _ = _update(two, _split(whole, [slice(0, 1), slice(1, 4)]))   # unequal micro-batches
    cause = ("each micro-batch's loss must be its summed cross-entropy divided by the number of examples in the "
             "whole update (4 here, in micro-batches of 1 and 3), not the micro-batch's mean: a mean per micro-batch "
             "weighs the lone example of the first as much as the three of the second")
    assert loss_two == pytest.approx(loss_one, rel=1e-5), (
        f"expected the mean loss over the update ({loss_one}) from accumulation but got {loss_two}: {cause}")
    for (name, a), b in zip(one.named_parameters(), two.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5, msg=lambda m, name=name: (
            f"{name} differs after accumulation over unequal micro-batches: {cause}. {m}"))


@pytest.mark.task_update
@pytest.mark.points(2)
def test_update_clips_the_gradient_norm_and_zeroes_gradients(tiny_bert_no_dropout_dir):
    model, whole = _model_and_batches(tiny_bert_no_dropout_dir)
    expected_loss, _, norm = _reference_gradients(tiny_bert_no_dropout_dir)
    assert norm > 1e-3, "the reference gradient should not vanish"
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(sgd, lambda step: 1.0)
    clip = norm / 4
    loss = train_update(model, [whole], sgd, scheduler, clip, torch.amp.GradScaler("cpu", enabled=False),
                        contextlib.nullcontext, contextlib.nullcontext)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    _, step = _steps(before, model)
    expected_step = clip * norm / (norm + 1e-6)   # clip_grad_norm_ adds 1e-6 to the norm
    assert step == pytest.approx(expected_step, rel=1e-4), (
        f"expected an SGD step of norm {expected_step} (clipped) but got {step}")
    assert all(p.grad is None or not p.grad.any() for p in model.parameters()), (
        "gradients must be zeroed after the step")


@pytest.mark.task_update
@pytest.mark.points(1)
def test_update_with_an_enabled_gradient_scaler_unscales_then_clips(tiny_bert_no_dropout_dir):
    model, whole = _model_and_batches(tiny_bert_no_dropout_dir)
    _, gradients, norm = _reference_gradients(tiny_bert_no_dropout_dir)
    clip = norm / 4
    expected = {name: g * clip / (norm + 1e-6) for name, g in gradients.items()}  # clip_grad_norm_ adds 1e-6
    expected_norm = clip * norm / (norm + 1e-6)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(sgd, lambda step: 1.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=SCALE)        # as under fp16: the loss scaled by 65,536
    train_update(model, [whole], sgd, scheduler, clip, scaler, contextlib.nullcontext, contextlib.nullcontext)
    steps, step_norm = _steps(before, model)
    hint = ""
    if step_norm < expected_norm * 1e-3:
        hint = (f", about 1 / {SCALE:,.0f} of it (float32 rounds such small steps away, so the weights barely "
                "move): the gradients were clipped while still scaled; call scaler.unscale_(optimizer) before "
                "clip_grad_norm_, then scaler.step(optimizer)")
    assert step_norm == pytest.approx(expected_norm, rel=1e-4), (
        f"with a gradient scaler at scale {SCALE:,.0f}: expected an SGD step of norm {expected_norm:.6g} (the "
        f"gradients unscaled, then clipped to max_grad_norm) but got {step_norm:.6g}{hint}")
    for name, step in steps.items():
        torch.testing.assert_close(step, expected[name], atol=1e-6, rtol=1e-4, msg=lambda m, name=name: (
            f"{name}: expected the step to be the unscaled, clipped gradient: {m}"))


@pytest.mark.task_update
@pytest.mark.points(1)
def test_update_steps_the_schedule_once_after_the_optimizer(tiny_bert_no_dropout_dir):
    model, whole = _model_and_batches(tiny_bert_no_dropout_dir)
    _, _, norm = _reference_gradients(tiny_bert_no_dropout_dir)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    multipliers = [1.0, 0.5, 0.25, 0.125]
    scheduler = torch.optim.lr_scheduler.LambdaLR(sgd, lambda step: multipliers[min(step, 3)])
    train_update(model, [whole], sgd, scheduler, 0.0, torch.amp.GradScaler("cpu", enabled=False),
                 contextlib.nullcontext, contextlib.nullcontext)
    fix = "call scheduler.step() once per update, after the optimizer step"
    assert scheduler.last_epoch == 1, (
        f"expected the schedule to advance exactly once per update but it advanced {scheduler.last_epoch} times "
        f"(learning rate now {sgd.param_groups[0]['lr']}, expected 0.5): {fix}")
    _, step = _steps(before, model)
    assert step == pytest.approx(norm, rel=1e-4), (
        f"expected an SGD step of norm {norm} (the gradient at the schedule's first learning rate, 1.0) but got "
        f"{step}" + (" (half: the schedule's second learning rate)" if step == pytest.approx(norm / 2, rel=1e-3)
                     else "") + f": {fix}, not before it")


@pytest.mark.task_update
@pytest.mark.points(1)
def test_update_runs_under_bf16_autocast(tiny_bert_no_dropout_dir):
    model, whole = _model_and_batches(tiny_bert_no_dropout_dir)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    loss = train_update(model, [whole], optimizer, scheduler, 1.0, torch.amp.GradScaler("cpu", enabled=False),
                        lambda: torch.autocast("cpu", dtype=torch.bfloat16), contextlib.nullcontext)
    assert 0.3 < loss < 1.5, f"expected a loss near log 2 from a fresh head but got {loss}"
    assert all(p.dtype == torch.float32 for p in model.parameters()), "autocast must leave the weights in float32"


@pytest.mark.task_run
@pytest.mark.points(0)  # given code
def test_layer_decay_scales_the_learning_rate_by_depth(tiny_bert_dir):
    encoder, _ = load_encoder(tiny_bert_dir)                 # 2 layers: depths head 0, layer.1 1, layer.0 2, emb 3
    model = PretrainedClassifier(encoder, pooling="cls")
    depths = layer_depths(model)
    expected = {"classifier.weight": 0, "encoder.pooler.dense.weight": 0,
                "encoder.encoder.layer.1.output.dense.weight": 1, "encoder.encoder.layer.0.output.dense.weight": 2,
                "encoder.embeddings.word_embeddings.weight": 3}
    for name, depth in expected.items():
        assert depths[name] == depth, f"{name}: expected depth {depth} but got {depths[name]}"
    groups = parameter_groups(model, TrainSettings(lr=1.0, layer_decay=0.5, weight_decay=0.1))
    lr_of = {id(p): (g["lr"], g["weight_decay"]) for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert sum(len(g["params"]) for g in groups) == len(named), "every parameter in exactly one group"
    for name, depth in expected.items():
        assert lr_of[id(named[name])] == (0.5 ** depth, 0.1), f"{name}: expected lr {0.5 ** depth} with decay 0.1"
    assert lr_of[id(named["encoder.embeddings.LayerNorm.weight"])] == (0.125, 0.0), "no decay on LayerNorm weights"
    plain = parameter_groups(model, TrainSettings(lr=1.0, weight_decay=0.1))
    assert [(g["lr"], g["weight_decay"]) for g in plain] == [(1.0, 0.1), (1.0, 0.0)], "layer_decay 1: two groups"
    try:
        model.set_encoder_trainable(False)
    except NotImplementedError as error:
        pytest.fail("this test of the given layer-wise decay freezes the encoder with task_classifier's "
                    f"set_encoder_trainable, which is not implemented yet (NotImplementedError: {error}): run "
                    "pytest hw8_transformer -m task_classifier first", pytrace=False)
    assert set(layer_depths(model)) == {"classifier.weight", "classifier.bias"}, "frozen parameters get no group"
    with pytest.raises(ValueError, match="layer_decay"):
        TrainSettings(layer_decay=0.0)
