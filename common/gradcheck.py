"""Gradient checking by central finite differences, in float64.

    check_gradient(f, x, analytic_grad)   # raises GradientCheckError naming the worst entry

`f(x) -> float` must be a scalar function of the array `x`. The random state (Python, numpy's
global state and torch's, when installed) is saved before the analytic evaluation and restored
before every evaluation of `f`, so code that samples (negatives, dropout) draws the same numbers
each time.
"""
from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np


class GradientCheckError(AssertionError):
    """The analytic gradient disagrees with finite differences (or is suspiciously all zero)."""


def _capture_random_state():
    states = [random.getstate(), np.random.get_state()]
    try:
        import torch
        states.append(torch.get_rng_state())
    except ImportError:
        pass
    return states


def _restore_random_state(states) -> None:
    random.setstate(states[0])
    np.random.set_state(states[1])
    if len(states) > 2:
        import torch
        torch.set_rng_state(states[2])


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + eps e_i) - f(x - eps e_i)) / 2 eps`` for every entry i of `x`.

    `x` is modified in place during the computation and restored afterwards; it must be float64.
    Returns an array of x's shape.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 inputs for accuracy; got {x.dtype}: pass x.astype(np.float64)")
    states = _capture_random_state()
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        _restore_random_state(states)
        f_plus = float(f(x))
        x[index] = original - eps
        _restore_random_state(states)
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    _restore_random_state(states)
    return grad


def check_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray | Callable[[np.ndarray], np.ndarray],
    rtol: float = 1e-5,
    atol: float = 1e-7,
    eps: float = 1e-6,
    name: str = "gradient",
) -> None:
    """Compare an analytic gradient with central differences of `f` at `x`.

    `analytic_grad` is either the array itself or a function of `x` that returns it (then it is
    evaluated with the same random state as every finite-difference evaluation).
    Raises GradientCheckError with "expected ... but got ..." at the worst entry, and when the
    analytic gradient is identically zero while the numerical one is not, or both are zero (a check
    that cannot fail is no check).
    """
    states = _capture_random_state()
    if callable(analytic_grad):
        analytic = np.asarray(analytic_grad(x), dtype=np.float64)
    else:
        analytic = np.asarray(analytic_grad, dtype=np.float64)
    _restore_random_state(states)
    if analytic.shape != x.shape:
        raise GradientCheckError(f"{name}: expected a gradient of shape {x.shape} but got {analytic.shape}")
    numeric = numerical_gradient(f, x, eps)
    if not np.any(numeric) and not np.any(analytic):
        raise GradientCheckError(f"{name}: both gradients are all zero; choose inputs where f depends on x")
    if not np.any(analytic):
        raise GradientCheckError(f"{name}: the analytic gradient is all zero but finite differences are not")
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    worst = np.unravel_index(np.argmax(error), x.shape)
    if error[worst] > 0:
        raise GradientCheckError(
            f"{name} at index {tuple(int(i) for i in worst)}: expected {numeric[worst]:.8g} (finite differences) "
            f"but got {analytic[worst]:.8g} (analytic); max abs difference {np.max(np.abs(analytic - numeric)):.3g}"
        )
