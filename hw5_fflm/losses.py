"""The loss of a language model: cross-entropy of the next word over the whole vocabulary (your task).

For logits z [B, V] (one row per window) and the words that came next y [B],

    loss = −(1/B) Σ_i log softmax(z_i)[y_i] = (1/B) Σ_i ( log Σ_v e^{z_iv} − z_{i,y_i} )
    d loss / d z_i = (softmax(z_i) − onehot(y_i)) / B

With V = 10,000 this is the most expensive elementwise work of a training step: every row has
10,000 exponentials, and every extra temporary [B, V] array costs a pass over memory. So it is one
fused edugrad operation (no log_softmax, then getitem, then mean as three graph nodes): the forward
keeps the softmax it computes, and the backward turns it into the gradient in one pass.
"""
from __future__ import annotations

import numpy as np

from hw3_edugrad.edugrad import Operation, tensor_op


@tensor_op
class vocab_cross_entropy(Operation):
    """Mean over the batch of −log softmax(logits)[target]: logits [B, V], targets [B] int -> a number.

    Fused and in the logits' dtype (float32 in training): the forward makes one [B, V] array
    (shifted logits, exponentiated and normalised in place into the softmax, saved for backward);
    the backward makes one more (the gradient). Stable for any logits (subtract each row's max).
    """

    @staticmethod
    def forward(ctx, logits, targets: np.ndarray):
        targets = np.asarray(targets)
        if logits.ndim != 2 or targets.shape != logits.shape[:1]:
            raise ValueError(f"vocab_cross_entropy expects logits [B, V] and targets [B] but got "
                             f"{logits.shape} and {targets.shape}")
        if not np.issubdtype(targets.dtype, np.integer) or (targets.size and (
                targets.min() < 0 or targets.max() >= logits.shape[1])):
            raise ValueError(f"targets must be word ids in [0, {logits.shape[1]}) but got {targets.dtype} "
                             f"values {targets.min() if targets.size else ''}..{targets.max() if targets.size else ''}")
        # TODO: max per row; subtract it (one new array); np.exp and divide by the row sums in place
        # (out=...); save the softmax; the loss from the target logits and log of the row sums.
        # About 8 lines.
        # BEGIN SOLUTION
        rows = np.arange(len(targets))
        row_max = logits.max(axis=1, keepdims=True)  # [B, 1]
        probabilities = np.subtract(logits, row_max)  # [B, V], the one new array
        np.exp(probabilities, out=probabilities)
        row_sum = probabilities.sum(axis=1, keepdims=True)  # [B, 1]
        probabilities /= row_sum  # softmax, in place
        ctx.append(probabilities)
        log_likelihood = logits[rows, targets] - row_max[:, 0] - np.log(row_sum[:, 0])  # [B]
        return np.asarray(-log_likelihood.mean(), dtype=logits.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, targets: np.ndarray):
        # TODO: (softmax - onehot) * grad_output / B without modifying the saved softmax; about 4 lines.
        # BEGIN SOLUTION
        probabilities = ctx[-1]
        scale = probabilities.dtype.type(grad_output / len(targets))
        grad = probabilities * scale  # [B, V], a new array: the saved softmax stays intact
        grad[np.arange(len(targets)), targets] -= scale
        return [grad]
        # END SOLUTION
