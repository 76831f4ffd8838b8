"""hw9 contextual calibration: content-free inputs become uniform; a hand-computed example."""
from __future__ import annotations

import math

import pytest
import torch

from hw9_icl.calibration import calibrate
from hw9_icl.evaluate import accuracies, content_free_bias, ensemble_accuracies


@pytest.mark.task_calibrate
@pytest.mark.points(2)
def test_content_free_inputs_become_uniform() -> None:
    content_free = torch.log(torch.tensor([[0.7, 0.1, 0.2]])) - 3.0  # unnormalised over the labels
    calibrated = calibrate(content_free, content_free)
    assert calibrated.shape == (1, 3)
    expected = torch.full((1, 3), -math.log(3))
    assert torch.allclose(calibrated, expected, atol=1e-6), (
        f"calibrating the content-free input itself divides its bias out (q ∝ p / p_cf = 1): expected uniform "
        f"log(1/3) = {expected.tolist()} but got {calibrated.tolist()}")
    several = torch.log(torch.tensor([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]]))
    mean = torch.softmax(several, -1).mean(0, keepdim=True).log()
    got = calibrate(mean, several).exp()
    assert torch.allclose(got, torch.full((1, 2), 0.5), atol=1e-6), f"the mean content-free input -> uniform, got {got}"


@pytest.mark.task_calibrate
@pytest.mark.points(2)
def test_calibration_by_hand() -> None:
    got = calibrate(torch.log(torch.tensor([[0.8, 0.2]])), torch.log(torch.tensor([[0.9, 0.1]]))).exp()
    expected = torch.tensor([[8 / 9, 2.0]]) / (8 / 9 + 2)
    assert torch.allclose(got, expected, atol=1e-6), (
        f"p = (0.8, 0.2), p_cf = (0.9, 0.1): expected q ∝ p / p_cf = (0.8/0.9, 0.2/0.1), renormalised "
        f"{expected.tolist()}, but got {got.tolist()} (the exp of calibrate's output)")
    shifted = calibrate(torch.log(torch.tensor([[0.8, 0.2]])) - 5, torch.log(torch.tensor([[0.9, 0.1]])) + 1).exp()
    assert torch.allclose(shifted, expected, atol=1e-6), "adding a constant to a row of scores must not matter"


@pytest.mark.task_calibrate
@pytest.mark.points(0)  # given code (accuracies), on top of the student's calibrate
def test_batch_calibration_divides_out_the_mean_over_the_reviews() -> None:
    probabilities = [[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.7, 0.3]]   # every review leans negative
    result = {"log_probs": torch.log(torch.tensor(probabilities)).tolist(),
              "content_free": torch.log(torch.tensor([[0.5, 0.5]])).tolist()}
    raw, calibrated, batch_calibrated = accuracies(result, gold=[0, 0, 1, 1])
    # the mean over the reviews is (0.75, 0.25); p / mean = (1.2, 0.4), (1.07, 0.8), (0.8, 1.6), (0.93, 1.2)
    assert (raw, calibrated, batch_calibrated) == (0.5, 0.5, 1.0), (
        f"expected accuracy 0.5 raw, 0.5 with a uniform content-free bias and 1.0 batch-calibrated (bias = the "
        f"mean distribution over the reviews), got {raw}, {calibrated}, {batch_calibrated}")


@pytest.mark.task_calibrate
@pytest.mark.points(0)  # given code (ensemble_accuracies), on top of the student's calibrate
def test_an_ensemble_averages_the_cells_log_probabilities() -> None:
    def cell(probabilities):
        return {"log_probs": torch.log(torch.tensor(probabilities)).tolist(),
                "content_free": torch.log(torch.tensor([[0.5, 0.5]])).tolist()}
    first, second = cell([[0.9, 0.1], [0.6, 0.4]]), cell([[0.45, 0.55], [0.1, 0.9]])   # each right once
    gold = [0, 1]
    assert accuracies(first, gold)[0] == accuracies(second, gold)[0] == 0.5
    # mean log-probabilities: review 1 log(0.9 * 0.45) / 2 > log(0.1 * 0.55) / 2, review 2 log 0.06 / 2 < log 0.36 / 2
    raw, calibrated, _ = ensemble_accuracies([first, second], gold)
    assert (raw, calibrated) == (1.0, 1.0), (
        f"expected the ensemble of two cells that are each right once to be right twice (mean log-probabilities "
        f"0.5 log 0.405 vs 0.5 log 0.055, and 0.5 log 0.06 vs 0.5 log 0.36), got raw {raw}, calibrated {calibrated}")
    assert ensemble_accuracies([first], gold) == accuracies(first, gold), "an ensemble of one is the cell itself"
    with pytest.raises(ValueError, match="at least one cell"):
        ensemble_accuracies([], gold)


@pytest.mark.task_calibrate
@pytest.mark.points(1)
def test_content_free_rows_are_normalised_before_averaging() -> None:
    # label scores of a prompt are not normalised over the label words: each row sits at its own offset
    content_free = torch.stack([torch.log(torch.tensor([0.9, 0.1])) + 2.0, torch.log(torch.tensor([0.5, 0.5])) - 3.0])
    got = calibrate(torch.log(torch.tensor([[0.8, 0.2]])), content_free).exp()
    expected = torch.tensor([[0.8 / 0.7, 0.2 / 0.3]])   # p_cf = the mean of (0.9, 0.1) and (0.5, 0.5) = (0.7, 0.3)
    expected = expected / expected.sum()
    assert torch.allclose(got, expected, atol=1e-6), (
        f"content-free rows log(0.9, 0.1) + 2 and log(0.5, 0.5) - 3: expected p_cf = (0.7, 0.3) (each row's "
        f"softmax over the labels, then the mean of the rows) and q = {expected.tolist()}, but got {got.tolist()}; "
        "normalise each content-free row before averaging, or one row's offset outweighs the others")


@pytest.mark.task_calibrate
@pytest.mark.points(0)  # given code (content_free_bias, the p_cf of the run's report), on top of calibrate
def test_the_reported_bias_is_the_mean_content_free_distribution() -> None:
    content_free = [[math.log(0.9) + 2.0, math.log(0.1) + 2.0], [math.log(0.5) - 3.0, math.log(0.5) - 3.0]]
    got = content_free_bias({"log_probs": [[0.0, 0.0]], "content_free": content_free})
    assert got == pytest.approx([0.7, 0.3], abs=1e-6), (
        f"content-free rows (0.9, 0.1) and (0.5, 0.5) at different offsets: expected p_cf = (0.7, 0.3), got {got}")
