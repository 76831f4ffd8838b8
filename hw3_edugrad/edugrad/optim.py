"""Optimizers: update parameters in place from their gradients, with the same arithmetic as torch.optim.

    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for batch in batches:
        optimizer.zero_grad()
        loss = ...
        loss.backward()
        optimizer.step()

Parameters whose `grad` is None (unused in this step) are left unchanged.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .tensor import Tensor


class Optimizer:
    """Holds the parameters and a learning rate; subclasses define step()."""

    def __init__(self, params: Iterable[Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters: pass model.parameters() after building the model")
        for param in self.params:
            if not isinstance(param, Tensor) or not param.requires_grad:
                raise TypeError(f"optimizers update Tensors with requires_grad=True but got {param!r}")
        if lr <= 0:
            raise ValueError(f"the learning rate must be positive but got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters (call before each backward())."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The learning rate and a copy of the per-parameter state (moments, sums, step counts), by attribute."""
        lists = {name: [np.copy(x) if isinstance(x, np.ndarray) else x for x in value]
                 for name, value in vars(self).items() if isinstance(value, list) and name != "params"}
        return {"lr": self.lr, **lists}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned, from an optimizer of the same kind over the same parameters."""
        for name, value in state.items():
            if name != "lr" and len(value) != len(self.params):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name} holds {len(value)} entries but the "
                                 f"optimizer has {len(self.params)} parameters; load the state of the same model")
            setattr(self, name, value if name == "lr" else [np.copy(x) if isinstance(x, np.ndarray) else x
                                                            for x in value])


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay (torch.optim.SGD).

    g = grad + weight_decay * p;  v = momentum * v + g (v = g on the first step);  p -= lr * v
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocities: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        # TODO (about 15 lines)
        # BEGIN SOLUTION
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if self.weight_decay:
                grad = grad + self.weight_decay * param.value
            if self.momentum:
                velocity = self.velocities[i]
                if velocity is None:
                    velocity = self.velocities[i] = grad.copy()
                else:
                    velocity *= self.momentum
                    velocity += grad
                grad = velocity
            param.value -= self.lr * grad
        # END SOLUTION


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad): per-entry steps shrink with the gradients seen so far.

    g = grad + weight_decay * p;  s += g * g;  p -= lr * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ):
        super().__init__(params, lr)
        self.eps, self.weight_decay = eps, weight_decay
        self.sums = [np.full_like(param.value, initial_accumulator_value) for param in self.params]

    def step(self) -> None:
        # TODO (about 8 lines)
        # BEGIN SOLUTION
        for param, squares in zip(self.params, self.sums, strict=True):
            grad = param.grad
            if grad is None:
                continue
            if self.weight_decay:
                grad = grad + self.weight_decay * param.value
            squares += grad * grad
            param.value -= self.lr * grad / (np.sqrt(squares) + self.eps)
        # END SOLUTION


class Adam(Optimizer):
    """Adam (torch.optim.Adam, with L2 weight decay added to the gradient).

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t += 1
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.first_moments = [np.zeros_like(param.value) for param in self.params]
        self.second_moments = [np.zeros_like(param.value) for param in self.params]
        self.steps = [0] * len(self.params)  # per parameter: a parameter without grad does not advance

    def step(self) -> None:
        # TODO (about 17 lines)
        # BEGIN SOLUTION
        beta1, beta2 = self.betas
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if self.weight_decay:
                grad = grad + self.weight_decay * param.value
            self.steps[i] += 1
            t = self.steps[i]
            m, v = self.first_moments[i], self.second_moments[i]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            step_size = self.lr / (1 - beta1**t)
            denominator = np.sqrt(v) / np.sqrt(1 - beta2**t) + self.eps
            param.value -= step_size * m / denominator
        # END SOLUTION
