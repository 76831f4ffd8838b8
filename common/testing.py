"""Helpers for the homeworks' tests: one closeness check whose failure names the worst entry, a block that
turns a numpy overflow into a failure naming the stable formula, and a fixture that runs torch on one thread."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

SHOWN_ENTRIES = 64  # arrays up to this size are printed in full under a failure message


def _as_float_array(value, what: str) -> np.ndarray:
    """A numpy array, a number, a nested list or a torch tensor (any device) -> a float64 numpy array."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().double().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what}: expected a numpy array, a number or a torch tensor but got "
                        f"{type(value).__name__} ({error}); pass the array of its values") from error


def _distinct_digits(expected: float, actual: float) -> tuple[str, str]:
    """The two numbers with 6 significant digits, or as many more as it takes for them to read differently."""
    for digits in range(6, 18):
        shown = f"{expected:.{digits}g}", f"{actual:.{digits}g}"
        if shown[0] != shown[1]:
            break
    return shown


def assert_close(actual, expected, what: str, *, rtol: float = 1e-7, atol: float = 1e-9, cause: str = "") -> None:
    """Assert |actual - expected| <= atol + rtol * |expected| everywhere (np.isclose; NaN never matches).

    actual, expected: numpy arrays, numbers, lists or torch tensors of the same shape (an empty pair passes).
    The failure names the entry furthest outside its tolerance: "<what>: at index [i, j] of shape (B, d)
    expected X but got Y; difference D > tolerance T (n of N entries differ)", then `cause` (the likely
    mistake and its fix) and, for small arrays, both arrays in full.
    """
    actual, expected = _as_float_array(actual, f"{what} (actual)"), _as_float_array(expected, f"{what} (expected)")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {expected.shape} but got {actual.shape}")
    outside = ~np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)
    if not outside.any():
        return
    with np.errstate(invalid="ignore", over="ignore"):
        difference, tolerance = np.abs(actual - expected), atol + rtol * np.abs(expected)
        excess = np.nan_to_num(difference - tolerance, nan=np.inf)  # a NaN first, then the furthest outside
    index = np.unravel_index(np.argmax(np.where(outside, excess, -np.inf)), actual.shape)
    shown_expected, shown_actual = _distinct_digits(expected[index].item(), actual[index].item())
    where = f"at index {list(map(int, index))} of shape {actual.shape} " if actual.ndim else ""
    message = (f"{what}: {where}expected {shown_expected} but got {shown_actual}; difference "
               f"{difference[index]:.3g} > tolerance {tolerance[index]:.3g}")
    if actual.size > 1:
        message += f" ({int(outside.sum())} of {actual.size} entries differ)"
    if cause:
        message += f"; {cause}"
    if 1 < actual.size <= SHOWN_ENTRIES:
        message += f"\nexpected:\n{expected}\ngot:\n{actual}"
    raise AssertionError(message)


@contextmanager
def fails_on_overflow(what: str, stable_formula: str) -> Iterator[None]:
    """Inside the block numpy raises on overflow, invalid values and division by zero; such an error fails
    the test with a message naming what was computed (`what`) and the stable formula that avoids it."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            yield
        except FloatingPointError as error:
            raise AssertionError(
                f"{what}: expected no overflow but numpy raised FloatingPointError ({error}) at the line shown "
                f"above; {stable_formula}"
            ) from error


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> Iterator[None]:
    """Run torch on one CPU thread while the tests run (import it into a conftest.py to use it): their
    tensors are tiny, and on a busy machine a second thread only waits, making small operations slower."""
    import torch  # only the torch homeworks' tests use this fixture

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
