"""Task: rank-frequency and the Zipf exponent (zipf.py)."""
import numpy as np
import pytest
from scipy import stats

from hw1_vocab.zipf import ZipfFit, fit_zipf_exponent, rank_frequency

pytestmark = pytest.mark.task_zipf


@pytest.mark.points(1)
def test_rank_frequency_by_hand():
    ranks, frequencies = rank_frequency({"b": 1, "a": 4, "c": 2, "d": 2, "z": 0})
    assert ranks.tolist() == [1, 2, 3, 4], f"expected ranks [1, 2, 3, 4] (count 0 left out) but got {ranks.tolist()}"
    assert frequencies.tolist() == [4, 2, 2, 1], f"expected frequencies [4, 2, 2, 1] but got {frequencies.tolist()}"
    assert ranks.dtype.kind == "i" and frequencies.dtype.kind == "i", (
        f"expected integer arrays but got {ranks.dtype} and {frequencies.dtype}")


@pytest.mark.points(2)
def test_fit_exact_power_law():
    # f = 4 / r at ranks 1, 2, 4: the points (0, 2 ln 2), (ln 2, ln 2), (2 ln 2, 0) lie on a line of slope -1.
    fit = fit_zipf_exponent(np.array([1, 2, 4]), np.array([4, 2, 1]))
    assert isinstance(fit, ZipfFit), f"expected a ZipfFit but got {type(fit).__name__}"
    assert fit.exponent == pytest.approx(1.0), f"expected exponent 1 but got {fit.exponent}"
    assert fit.log_constant == pytest.approx(np.log(4)), f"expected log C = ln 4 but got {fit.log_constant}"


@pytest.mark.points(2)
def test_fit_by_hand_on_points_off_the_line():
    # x = ln r = 0, 1, 2 and y = ln f = 3, 1, 1: mean x 1, mean y 5/3,
    # slope = ((-1)(4/3) + 0 + (1)(-2/3)) / 2 = -1, intercept = 5/3 + 1 = 8/3.
    ranks = np.exp([0.0, 1.0, 2.0])
    frequencies = np.exp([3.0, 1.0, 1.0])
    fit = fit_zipf_exponent(ranks, frequencies)
    assert fit.exponent == pytest.approx(1.0), f"expected exponent 1 but got {fit.exponent}"
    assert fit.log_constant == pytest.approx(8 / 3), f"expected log C = 8/3 but got {fit.log_constant}"


@pytest.mark.points(1)
def test_fit_matches_scipy_linregress():
    rng = np.random.default_rng(0)
    ranks = np.arange(1, 501)
    frequencies = np.maximum(1, np.round(5000 / ranks**1.2 * rng.lognormal(0, 0.3, ranks.size)))
    reference = stats.linregress(np.log(ranks), np.log(frequencies))
    fit = fit_zipf_exponent(ranks, frequencies)
    assert fit.exponent == pytest.approx(-reference.slope, rel=1e-9), (
        f"expected exponent {-reference.slope} (scipy) but got {fit.exponent}")
    assert fit.log_constant == pytest.approx(reference.intercept, rel=1e-9), (
        f"expected log C {reference.intercept} (scipy) but got {fit.log_constant}")


@pytest.mark.points(1)
def test_fit_bad_input():
    assert fit_zipf_exponent([1, 2], [2, 1]).exponent == pytest.approx(1.0), "expected exponent 1 for f = 2 / r"
    with pytest.raises(ValueError, match="positive"):
        fit_zipf_exponent([1, 2, 3], [3, 0, 1])
    with pytest.raises(ValueError, match="2 distinct ranks"):
        fit_zipf_exponent([1], [5])
