"""Neural network modules: parameters grouped with the computation that uses them.

A `Module` finds its parameters by itself: every attribute that is a Tensor with
requires_grad=True, every attribute that is a Module (recursively), and the Tensors and Modules
inside list or tuple attributes. So

    class Classifier(nn.Module):
        def __init__(self):
            self.hidden = nn.Linear(300, 200)
            self.out = nn.Linear(200, 5)

        def forward(self, x):                          # x: [batch, 300]
            return self.out(ops.relu(self.hidden(x)))  # [batch, 5]

has four parameters, in the order they were assigned. Parameters are float32 unless you pass
dtype=np.float64 (gradient checks). Random initial values come from `rng` (a np.random.Generator)
or, when it is None, from numpy's global random state (seeded by common.seed.seed_everything).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import ops
from .tensor import Tensor


class Module:
    """Base class of models and layers: subclasses set attributes in __init__ and define forward."""

    training: bool = True  # train() / eval() set it on the module and all of its submodules

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, parameter) pairs such as ("hidden.weight", tensor), each parameter once."""
        seen: set[int] = set()
        for name, value in self._named_members(prefix):
            if isinstance(value, Tensor) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def parameters(self) -> list[Tensor]:
        """The tensors to train: this module's and its submodules', each once (shared ones too)."""
        return [parameter for _, parameter in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it."""
        yield self
        for _, value in self._named_members(""):
            if isinstance(value, Module):
                yield value

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every tensor of the module, frozen ones too, by name: what a checkpoint saves."""
        return {name: tensor.value.copy() for name, tensor in self._named_members("", frozen=True)
                if isinstance(tensor, Tensor)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy `state` (from :meth:`state_dict` of the same architecture) into the module's tensors."""
        tensors = {name: tensor for name, tensor in self._named_members("", frozen=True) if isinstance(tensor, Tensor)}
        if set(state) != set(tensors):
            missing, unexpected = sorted(set(tensors) - set(state)), sorted(set(state) - set(tensors))
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing {missing}, unexpected {unexpected}; "
                             "load a state saved from the same architecture")
        for name, tensor in tensors.items():
            if np.shape(state[name]) != tensor.value.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name} has shape {np.shape(state[name])} "
                                 f"in the state but {tensor.value.shape} in the module")
            tensor.value[...] = state[name]

    def _named_members(self, prefix: str, frozen: bool = False) -> Iterator[tuple[str, Tensor | Module]]:
        """Parameters (and, with `frozen`, tensors without gradients too) and submodules (recursively,
        submodule before its members), in attribute order."""
        for name, value in vars(self).items():
            items = enumerate(value) if isinstance(value, list | tuple) else [(None, value)]
            for index, item in items:
                full = prefix + name + ("" if index is None else f".{index}")
                if isinstance(item, Tensor) and (item.requires_grad or frozen):
                    yield full, item
                elif isinstance(item, Module):
                    yield full, item
                    yield from item._named_members(full + ".", frozen)

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and its submodules; returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters."""
        for parameter in self.parameters():
            parameter.grad = None


def _random(rng: np.random.Generator | None):
    return np.random if rng is None else rng


class Linear(Module):
    """y = x W + b: x [..., in_features] -> y [..., out_features].

    weight: [in_features, out_features], bias: [out_features], both initialised uniformly in
    ±1/sqrt(in_features). Note: PyTorch's nn.Linear stores its weight transposed, as
    [out_features, in_features], and computes x W^T + b; the function is the same.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ):
        bound = 1.0 / np.sqrt(in_features)
        random = _random(rng)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Tensor(random.uniform(-bound, bound, (in_features, out_features)).astype(dtype), True)
        self.bias = Tensor(random.uniform(-bound, bound, out_features).astype(dtype), True) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., in_features] -> [..., out_features]."""
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        out = ops.matmul(x, self.weight)  # [..., out_features]
        return out if self.bias is None else ops.add(out, self.bias)
        # END SOLUTION


class Embedding(Module):
    """A table of vectors, one row per index: indices [...] -> [..., embedding_dim].

    weight: [num_embeddings, embedding_dim], initialised from N(0, 1) like PyTorch's nn.Embedding.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ):
        random = _random(rng)
        self.weight = Tensor(random.standard_normal((num_embeddings, embedding_dim)).astype(dtype), True)

    def forward(self, indices: np.ndarray) -> Tensor:
        """indices: integer array [...] -> [..., embedding_dim]."""
        return ops.lookup_rows(self.weight, indices=indices)


class Dropout(Module):
    """Zero each entry with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability p must be in [0, 1) but got {p}")
        self.p, self.rng = p, rng

    def forward(self, x: Tensor) -> Tensor:
        return ops.dropout(x, p=self.p, training=self.training, rng=self.rng)


class ReLU(Module):
    """max(0, x) as a module (for Sequential)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Tanh(Module):
    """tanh(x) as a module (for Sequential)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class Sequential(Module):
    """Modules applied one after the other: Sequential(Linear(4, 8), ReLU(), Linear(8, 2))."""

    def __init__(self, *layers: Module):
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
