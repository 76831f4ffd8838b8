"""FeedForwardLM: parameter shapes and the order the layers are drawn in, the forward pass and its
gradients against the same model in PyTorch, dropout (on x too), and a tiny model that learns a short
text by heart."""
import numpy as np
import pytest
import torch

from hw3_edugrad.edugrad import ops, optim
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.windows import make_windows

pytestmark = pytest.mark.task_model
V, C, E, H = 11, 3, 4, 5


def torch_logits(model: FeedForwardLM, contexts: np.ndarray) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The same function written in PyTorch from the edugrad model's weights (float64)."""
    weights = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
               for name, value in model.state_dict().items()}
    x = weights["embedding.weight"][torch.from_numpy(contexts)].reshape(len(contexts), -1)
    h = torch.tanh(x @ weights["hidden.weight"] + weights["hidden.bias"])
    if "projection.weight" in weights:  # tied: U = P Cᵀ
        projected = h @ weights["projection.weight"] + weights["projection.bias"]
        logits = projected @ weights["embedding.weight"].T + weights["output_bias"]
    else:
        logits = h @ weights["output.weight"] + weights["output.bias"]
    if "direct.weight" in weights:
        logits = logits + x @ weights["direct.weight"]
    return logits, weights


@pytest.mark.points(1)
@pytest.mark.parametrize("direct, tie", [(False, False), (True, False), (False, True)])
def test_parameter_shapes(direct, tie):
    model = FeedForwardLM(V, C, E, H, direct=direct, tie_embeddings=tie, rng=np.random.default_rng(0))
    shapes = {name: value.shape for name, value in model.state_dict().items()}
    expected = {"embedding.weight": (V, E), "hidden.weight": (C * E, H), "hidden.bias": (H,)}
    if tie:
        expected |= {"projection.weight": (H, E), "projection.bias": (E,), "output_bias": (V,)}
    else:
        expected |= {"output.weight": (H, V), "output.bias": (V,)}
    if direct:
        expected["direct.weight"] = (C * E, V)
    assert shapes == expected, f"expected parameters {expected} but got {shapes}"
    dtypes = {name: str(parameter.value.dtype) for name, parameter in model.named_parameters()
              if parameter.value.dtype != np.float32 or not parameter.requires_grad}
    assert not dtypes, f"expected every parameter float32 and trainable (requires_grad) but got {dtypes}"


@pytest.mark.points(1)
@pytest.mark.parametrize("tie", [False, True])
def test_embedding_std_scales_the_word_vectors(tie):
    model = FeedForwardLM(500, C, 40, H, embedding_std=0.1, tie_embeddings=tie, rng=np.random.default_rng(4))
    std = float(model.state_dict()["embedding.weight"].std())
    assert 0.095 < std < 0.105, f"expected the word vectors N(0, 0.1²), std 0.1, but got std {std:.4f}"


@pytest.mark.points(5)
@pytest.mark.parametrize("direct, tie", [(False, False), (True, False), (False, True), (True, True)])
def test_logits_and_gradients_match_torch(direct, tie):
    model = FeedForwardLM(V, C, E, H, direct=direct, tie_embeddings=tie, rng=np.random.default_rng(1),
                          dtype=np.float64)
    contexts = np.array([[1, 2, 3], [3, 3, 0], [10, 2, 2], [4, 5, 6]])
    targets = np.array([0, 10, 3, 3])
    logits = model(contexts)
    ops.cross_entropy(logits, labels=targets).backward()
    expected, weights = torch_logits(model, contexts)
    torch.nn.functional.cross_entropy(expected, torch.from_numpy(targets)).backward()
    assert logits.shape == (4, V), f"expected logits [4, {V}] but got {logits.shape}"
    assert logits.value.dtype == np.float64, f"expected float64 logits from a float64 model, got {logits.value.dtype}"
    gap = float(np.abs(logits.value - expected.detach().numpy()).max())
    if not gap <= 1e-12:  # pytest.fail: a message without pytest's dump of both arrays
        terms = ["x concatenates the word vectors oldest word first (contexts[:, 0] first)", "h = tanh(x H + d)",
                 "the tied term (h P + p) Cᵀ plus output_bias" if tie else "the output term h U plus its bias b"]
        if direct:
            terms.append("the direct term x W added to the logits")
        pytest.fail(f"logits differ from the PyTorch model (direct={direct}, tie_embeddings={tie}) by up to "
                    f"{gap:.3g}; check: " + "; ".join(terms))
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"expected a gradient for {name}: is it used in forward?"
        gap = float(np.abs(parameter.grad - weights[name].grad.numpy()).max())
        if not gap <= 1e-12:
            pytest.fail(f"{name}: the gradient differs from PyTorch's by up to {gap:.3g} although the logits agree: "
                        f"is {name} used in forward only through edugrad operations (no .value, no numpy)?")


@pytest.mark.points(1)
def test_dropout_only_in_training_and_the_context_size_is_checked():
    model = FeedForwardLM(V, C, E, H, dropout=0.5, rng=np.random.default_rng(2))
    contexts = np.array([[1, 2, 3]] * 3)
    model.eval()
    first, second = model(contexts).value, model(contexts).value
    assert np.array_equal(first, second) and np.allclose(first[0], first[1]), "expected no dropout in eval mode"
    model.train()
    assert not np.allclose(model(contexts).value, first), "expected dropout to change the logits in training mode"
    with pytest.raises(AssertionError, match="expected contexts"):
        model(np.array([[1, 2]]))


@pytest.mark.points(1)
def test_dropout_is_applied_to_the_word_vectors_too():
    model = FeedForwardLM(V, C, E, H, direct=True, dropout=0.5, rng=np.random.default_rng(2))
    model.output.weight.value[...] = 0.0  # the logits are now b + x W: only dropout on x can change them
    model.output.bias.value[...] = 0.0
    contexts = np.array([[1, 2, 3], [4, 5, 6]])
    model.eval()
    undropped = model(contexts).value
    model.train()
    changed = not np.allclose(model(contexts).value, undropped)
    assert changed, (
        "expected dropout on x (the concatenated word vectors, the input of both the hidden layer and the direct "
        "connections) in training mode, but with U = 0 and b = 0 the logits x W did not change")


@pytest.mark.points(1)
@pytest.mark.parametrize("tie", [False, True])
def test_the_layers_are_drawn_from_rng_in_the_documented_order(tie):
    model = FeedForwardLM(V, C, E, H, direct=True, embedding_std=0.1, tie_embeddings=tie,
                          rng=np.random.default_rng(5), dtype=np.float64)
    rng = np.random.default_rng(5)  # the same draws, by hand: Embedding N(0, 1), Linear U(±1/sqrt(in)) weight, bias

    def linear(name: str, n_in: int, n_out: int, bias: bool = True) -> dict[str, np.ndarray]:
        bound = 1.0 / np.sqrt(n_in)
        drawn = {f"{name}.weight": rng.uniform(-bound, bound, (n_in, n_out))}
        return drawn | {f"{name}.bias": rng.uniform(-bound, bound, n_out)} if bias else drawn

    expected = {"embedding.weight": rng.standard_normal((V, E)) * 0.1} | linear("hidden", C * E, H)
    if tie:
        expected |= linear("projection", H, E) | {"output_bias": np.zeros(V)}
    else:
        expected |= linear("output", H, V)
    expected |= linear("direct", C * E, V, bias=False)
    found = model.state_dict()
    assert sorted(found) == sorted(expected), f"expected parameters {sorted(expected)} but got {sorted(found)}"
    differ = [name for name in expected if not np.allclose(found[name], expected[name], rtol=1e-12, atol=0)]
    order = "embedding, hidden, " + ("projection (output_bias: zeros, no draw)" if tie else "output") + ", direct"
    assert not differ, (f"{differ} differ from the values drawn from the same rng in the order {order}: build the "
                        f"layers in that order, each with rng=rng, and scale the embedding after drawing it")


@pytest.mark.points(4)
def test_a_tiny_model_learns_a_short_text_by_heart():
    text = [[3, 4, 5, 6, 3, 5, 7, 8, 9, 4, 6, 10]]  # one sentence: no two windows share a context
    windows = make_windows(text, context_size=2, bos=2, eos=1)
    model = FeedForwardLM(V, 2, 8, 32, direct=True, rng=np.random.default_rng(3))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        loss = ops.cross_entropy(model(windows.contexts), labels=windows.targets)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05, (
        f"expected the training loss below 0.05 after 150 full-batch steps but got {loss.item():.3f}")
    predicted = model(windows.contexts).value.argmax(axis=1)
    assert np.array_equal(predicted, windows.targets), f"expected {windows.targets} but predicted {predicted}"
