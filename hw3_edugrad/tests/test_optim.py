"""edugrad.optim against torch.optim: same initial weights and gradients -> same parameters (float64)."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, nn, ops, optim

pytestmark = pytest.mark.task_optim

CASES = {
    "sgd": (optim.SGD, torch.optim.SGD, {"lr": 0.1}),
    "sgd momentum": (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "sgd momentum weight decay": (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    "adagrad": (optim.Adagrad, torch.optim.Adagrad, {"lr": 0.1}),
    "adagrad options": (
        optim.Adagrad,
        torch.optim.Adagrad,
        {"lr": 0.1, "weight_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-6},
    ),
    "adam": (optim.Adam, torch.optim.Adam, {"lr": 0.01}),
    "adam options": (
        optim.Adam,
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
    ),
}
# What each case checks, named in its failure message: the likely cause of a mismatch.
LIKELY_CAUSE = {
    "sgd": "p -= lr * grad for each parameter that has a gradient",
    "sgd momentum": "the velocity starts as the first gradient itself (v = g, not (1 - momentum) * g), "
                    "then v = momentum * v + g and p -= lr * v",
    "sgd momentum weight decay": "weight decay goes into the gradient first (g = grad + weight_decay * p), "
                                 "then into the velocity: it starts as that first g itself (v = g, not "
                                 "(1 - momentum) * g), then v = momentum * v + g and p -= lr * v",
    "adagrad": "s += g * g, then p -= lr * g / (sqrt(s) + eps), with eps outside the square root",
    "adagrad options": "the sums start at initial_accumulator_value, and weight decay goes into the gradient "
                       "(g = grad + weight_decay * p) before it is squared",
    "adam": "the bias correction m / (1 - beta1**t) and v / (1 - beta2**t), eps added after the square root, "
            "and t counted per parameter",
    "adam options": "the given betas and eps, and weight decay in the gradient (g = grad + weight_decay * p) "
                    "before the moments",
}
MISSED_STEP = 2  # parameter 1 gets no gradient in this step (0-based)


def likely_cause(case: str, step: int, index: int, before: np.ndarray, after: np.ndarray, lr: float) -> str:
    """Why parameter `index` of `case` may have gone wrong in `step` (0-based), from how it moved."""
    moved = np.abs(after - before)
    if step == MISSED_STEP and index == 1:
        return "it got no gradient in this step, so it must stay as it is: skip parameters whose grad is None"
    if case.startswith("adam") and step == 0 and not np.allclose(moved, lr, rtol=1e-3):
        return (f"after one step Adam's update should be lr * sign(grad), {lr} for every entry, but the entries "
                f"moved by {moved.min():.4g} to {moved.max():.4g}: is the bias correction m / (1 - beta1**t) "
                "and v / (1 - beta2**t) missing?")
    if step > MISSED_STEP and index == 1:
        state = "its step count t" if case.startswith("adam") else "its state (the velocity or the sums)"
        return (f"this parameter got no gradient in step {MISSED_STEP + 1}: {state} must not change in that step "
                f"(keep the state per parameter); check also {LIKELY_CAUSE[case]}")
    return f"check {LIKELY_CAUSE[case]}"


@pytest.mark.points(3)
@pytest.mark.parametrize("case", list(CASES))
def test_optimizer_steps_match_torch(case):
    """Five steps with the same gradients (given, not computed), including a step where one is missing."""
    ours, theirs, options = CASES[case]
    rng = np.random.default_rng(0)
    initial = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    params = [Tensor(value.copy(), requires_grad=True) for value in initial]
    torch_params = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    optimizer, torch_optimizer = ours(params, **options), theirs(torch_params, **options)
    for step in range(5):
        optimizer.zero_grad()
        torch_optimizer.zero_grad()
        for i, (param, torch_param) in enumerate(zip(params, torch_params, strict=True)):
            if step == MISSED_STEP and i == 1:
                continue  # this parameter got no gradient in this step: it must stay as it is
            grad = rng.normal(size=param.shape)
            param.grad, torch_param.grad = grad.copy(), torch.from_numpy(grad.copy())
        before = [param.value.copy() for param in params]
        optimizer.step()
        torch_optimizer.step()
        for i, (param, torch_param) in enumerate(zip(params, torch_params, strict=True)):
            expected = torch_param.detach().numpy()
            try:
                assert_close(param.value, expected, f"{case}: parameter {i} after step {step + 1}",
                             rtol=1e-6, atol=1e-6)
            except AssertionError as err:
                first_line, _, arrays = str(err).partition("\n")
                cause = likely_cause(case, step, i, before[i], np.asarray(param.value), options["lr"])
                raise AssertionError(f"{first_line}; {cause}\n{arrays}") from None


@pytest.mark.points(2)
@pytest.mark.parametrize("case", ["sgd momentum", "adam"])
def test_training_an_mlp_matches_torch(case):
    """A 2-layer MLP, same initial weights: edugrad's loss and parameters follow torch's for 5 steps."""
    ours, theirs, options = CASES[case]
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    model = nn.Sequential(
        nn.Linear(4, 5, rng=rng, dtype=np.float64), nn.Tanh(), nn.Linear(5, 3, rng=rng, dtype=np.float64)
    )
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    with torch.no_grad():
        for ours_layer, torch_index in [(model.layers[0], 0), (model.layers[2], 2)]:
            torch_model[torch_index].weight.copy_(torch.from_numpy(ours_layer.weight.value.T))
            torch_model[torch_index].bias.copy_(torch.from_numpy(ours_layer.bias.value))
    optimizer, torch_optimizer = ours(model.parameters(), **options), theirs(torch_model.parameters(), **options)
    for step in range(5):
        optimizer.zero_grad()
        loss = ops.cross_entropy(model(Tensor(x)), labels=labels)
        loss.backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(x)), torch.from_numpy(labels))
        torch_loss.backward()
        torch_optimizer.step()
        assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-9), (
            f"step {step}: expected loss {torch_loss.item()} but got {loss.item()} (the parameters after "
            f"{step} optimizer step{'s' if step > 1 else ''} differ from torch's); check {LIKELY_CAUSE[case]}"
        )
    assert_close(model.layers[0].weight.value, torch_model[0].weight.detach().numpy().T, "first weight",
                 rtol=1e-6, atol=1e-6)
    assert_close(model.layers[2].bias.value, torch_model[2].bias.detach().numpy(), "last bias", rtol=1e-6, atol=1e-6)


@pytest.mark.points(1)
def test_optimizer_errors_and_zero_grad():
    param = Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.SGD([param], lr=0.5)
    param.grad = np.array([1.0, -1.0])
    optimizer.step()
    assert_close(param.value, [0.5, 1.5], "one SGD step with lr 0.5")
    optimizer.zero_grad()
    assert param.grad is None, "expected zero_grad to clear the gradient"
    with pytest.raises(ValueError, match="no parameters"):
        optim.Adam([], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad"):
        optim.SGD([Tensor(np.ones(2))], lr=0.1)
