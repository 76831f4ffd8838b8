"""common/testing.py: assert_close passes within tolerance and otherwise names the worst entry; fails_on_overflow
turns numpy's overflow into a failure naming the stable formula."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from common.testing import assert_close, fails_on_overflow


def failure(actual, expected, what: str = "x", **tolerances) -> str:
    with pytest.raises(AssertionError) as caught:
        assert_close(actual, expected, what, **tolerances)
    return str(caught.value)


def test_equal_and_close_values_pass():
    assert_close(np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3), "same array")
    assert_close(0.1 + 0.2, 0.3, "a float within rtol 1e-7")
    assert_close([[1.0, np.inf]], np.array([[1.0, np.inf]]), "a list against an array, infinities equal")
    assert_close(np.zeros((0, 3)), np.zeros((0, 3)), "an empty pair")


def test_the_entry_furthest_outside_its_tolerance_is_reported():
    expected = np.array([[1e8, 2.0, 3.0], [4.0, 0.5, 6.0]])
    actual = expected.copy()
    actual[0, 0] += 5.0    # the largest difference, but within rtol * 1e8 = 10
    actual[1, 1] = -0.5
    actual[0, 1] += 1e-3
    message = failure(actual, expected, "table", rtol=1e-7, atol=1e-9)
    first_line = message.splitlines()[0]
    assert first_line == ("table: at index [1, 1] of shape (2, 3) expected 0.5 but got -0.5; difference 1 > "
                          "tolerance 5.1e-08 (2 of 6 entries differ)"), first_line  # 1e-9 + 1e-7 * 0.5
    assert "expected:\n" in message and "got:\n" in message, "a small array is shown in full"


def test_a_number_has_no_index_and_digits_grow_until_the_values_differ():
    assert failure(1.5, 1.0, rtol=0, atol=1e-7) == "x: expected 1 but got 1.5; difference 0.5 > tolerance 1e-07"
    assert failure(1.00000002, 1.0, rtol=0, atol=1e-9).startswith("x: expected 1 but got 1.00000002;")


def test_torch_tensors_are_compared_on_the_cpu_in_float64():
    expected = torch.tensor([[0.25, -1.0]], requires_grad=True)
    assert_close(expected * 1, expected.detach().numpy(), "a float32 tensor needing grad against numpy")
    message = failure(torch.tensor([[0.25, 1.0]], dtype=torch.float64), expected, rtol=0, atol=1e-5)
    assert message.startswith("x: at index [0, 1] of shape (1, 2) expected -1 but got 1; difference 2 > tolerance "
                              "1e-05"), message


def test_nan_never_matches_and_is_reported_before_larger_differences():
    message = failure(np.array([100.0, np.nan, 0.0]), np.array([0.0, 1.0, 0.0]))
    assert message.startswith("x: at index [1] of shape (3,) expected 1 but got nan; difference nan"), message
    assert "(2 of 3 entries differ)" in message
    assert "got nan" in failure(np.nan, np.nan), "NaN in both is a failure, as np.allclose has it"


def test_an_infinity_against_itself_is_no_difference_when_another_entry_differs():
    message = failure(np.array([np.inf, 2.0]), np.array([np.inf, 1.0]))
    assert message.startswith("x: at index [1] of shape (2,) expected 1 but got 2;"), message
    message = failure(np.array([np.inf]), np.array([1.0]))
    assert message.startswith("x: at index [0] of shape (1,) expected 1 but got inf"), message


def test_shape_mismatch_cause_and_unsupported_input():
    assert failure(np.zeros((2, 3)), np.zeros((3, 2))) == "x: expected shape (3, 2) but got (2, 3)"
    message = failure([1.0, 2.0], [1.0, 3.0], cause="check the sign")
    assert re.match(r"x: at index \[1\] .* \(1 of 2 entries differ\); check the sign\nexpected:", message), message
    with pytest.raises(TypeError, match="expected a numpy array, a number or a torch tensor but got dict"):
        assert_close({"a": 1}, 1.0, "x")


def test_fails_on_overflow_names_what_and_the_stable_formula():
    with fails_on_overflow("exp of 1", "unused"):
        assert np.exp(np.float64(1.0)) > 2.0
    with pytest.raises(AssertionError) as caught:
        with fails_on_overflow("exp of 1000", "compute log(1 + exp(x)) as np.logaddexp(0, x)"):
            np.exp(np.float64(1000.0))
    assert str(caught.value) == (
        "exp of 1000: expected no overflow but numpy raised FloatingPointError (overflow encountered in exp) at the "
        "line shown above; compute log(1 + exp(x)) as np.logaddexp(0, x)")
    assert isinstance(caught.value.__cause__, FloatingPointError)
