"""Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"); students' part: calibrate.

The model's label probabilities for a content-free input ("N/A", "", "[MASK]") put in the same prompt
measure its bias toward each label. With p_cf the mean of those probabilities (renormalised over the
labels), calibrated probabilities are q ∝ p / p_cf: W = diag(p_cf)^-1, b = 0 in the paper's notation.
"""
from __future__ import annotations

import torch

CONTENT_FREE_INPUTS = ("N/A", "", "[MASK]")


def calibrate(log_probs: torch.Tensor, content_free_log_probs: torch.Tensor) -> torch.Tensor:
    """Calibrated log-probabilities [N, L] (each row log-normalised over the L labels).

    log_probs: [N, L] label log-probabilities of N test inputs; content_free_log_probs: [M, L], the same for
    M content-free inputs. p_cf = mean over the M rows of softmax(content_free_log_probs) (softmax over the
    labels); the result is log_softmax(log_probs - log p_cf) over the labels.
    """
    assert log_probs.dim() == 2 and content_free_log_probs.dim() == 2 and \
        log_probs.shape[1] == content_free_log_probs.shape[1], (
            f"expected [N, L] and [M, L] with the same L, got {tuple(log_probs.shape)} and "
            f"{tuple(content_free_log_probs.shape)}")
    # TODO: the bias p_cf, then divide it out and renormalise, in log space (about 3 lines).
    # BEGIN SOLUTION
    bias = torch.softmax(content_free_log_probs.double(), dim=-1).mean(dim=0)      # (L,)
    return torch.log_softmax(log_probs.double() - bias.log(), dim=-1).to(log_probs.dtype)  # (N, L)
    # END SOLUTION
