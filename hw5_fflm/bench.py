"""How fast is one training batch of the feed-forward LM in edugrad? (``make bench-hw5``)

Forward and backward of one batch of the full configuration's model (512 windows of 5 words, 128-d
vectors, 300 tanh units, 10,001 outputs, float32, dropout off) in edugrad — your `FeedForwardLM`
and edugrad's `ops.cross_entropy` — against the same model with the same weights in PyTorch on the CPU,
numpy's BLAS and torch on the same number of threads. Also the loss alone (the 10k-way softmax
cross-entropy, forward + backward), the hot spot of the step besides the two big matrix products.
The same batch is timed again with tied embeddings (the full configuration's model: a projection to
128 and the word vectors as the output layer). Target: edugrad / torch <= 1.0 for the whole batch,
untied and tied.

    python -m hw5_fflm.bench               # writes bench/results/hw5.json and bench/results/hw5.md
    python -m hw5_fflm.bench --threads 2   # numpy's BLAS and torch both on 2 threads (default 1)

The six functions alternate round by round (common/bench_results.py), so a change in the machine's
load hits both sides of a ratio alike; a ratio is the median of the per-round ratios, shown with
their range, and a target gets no verdict when the machine was loaded. One thread is the default:
on a machine that other programs keep busy, OpenBLAS on two threads can be ten times slower on the
[B, V] @ [V, h] product of the backward pass.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from common.bench_results import (
    Rounds,
    at_most,
    bench_threads,
    machine,
    machine_line,
    per_call,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from hw3_edugrad.edugrad import Tensor, ops
from hw5_fflm.model import FeedForwardLM

TARGET = 1.0  # edugrad time / torch time for forward + backward of one batch
SHAPE = dict(batch=512, context_size=5, embedding_dim=128, hidden_dim=300, vocab_size=10_001)


class TorchFFLM(torch.nn.Module):
    """The same function in PyTorch, its weights copied from an edugrad FeedForwardLM (Linear
    weights transposed: torch stores [out, in]), tied or not as the model is."""

    def __init__(self, model: FeedForwardLM):
        super().__init__()
        weights = model.state_dict()
        self.embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(weights["embedding.weight"].copy()),
                                                            freeze=False)
        self.hidden = _torch_linear(weights["hidden.weight"], weights["hidden.bias"])
        self.tied = "projection.weight" in weights
        if self.tied:
            self.projection = _torch_linear(weights["projection.weight"], weights["projection.bias"])
            self.output_bias = torch.nn.Parameter(torch.from_numpy(weights["output_bias"].copy()))
        else:
            self.output = _torch_linear(weights["output.weight"], weights["output.bias"])

    def forward(self, contexts: torch.Tensor) -> torch.Tensor:
        x = self.embedding(contexts).flatten(1)  # (B, c·e)
        h = torch.tanh(self.hidden(x))  # (B, h)
        if self.tied:
            return self.projection(h) @ self.embedding.weight.T + self.output_bias  # (B, e) @ (e, V)
        return self.output(h)  # (B, V)


def output_gradient(model: FeedForwardLM | TorchFFLM) -> np.ndarray:
    """The gradient of the output weights as [h or e, V] (tied: the word vectors', transposed)."""
    if isinstance(model, TorchFFLM):
        layer = model.embedding if model.tied else model.output
        return layer.weight.grad.numpy().T
    return model.embedding.weight.grad.T if model.output is None else model.output.weight.grad


def _torch_linear(weight: np.ndarray, bias: np.ndarray) -> torch.nn.Linear:
    layer = torch.nn.Linear(*weight.shape)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight.T))
        layer.bias.copy_(torch.from_numpy(bias))
    return layer


def batch_steps(rng: np.random.Generator, tie: bool) -> tuple[Callable[[], float], Callable[[], float], float, float]:
    """One batch's forward + backward in edugrad and in torch (same weights and data), and the gaps
    between their losses and output gradients."""
    b, c, v = SHAPE["batch"], SHAPE["context_size"], SHAPE["vocab_size"]
    model = FeedForwardLM(v, c, SHAPE["embedding_dim"], SHAPE["hidden_dim"], embedding_std=0.1 if tie else 1.0,
                          tie_embeddings=tie, rng=rng)
    reference = TorchFFLM(model)
    contexts, targets = rng.integers(0, v, (b, c)), rng.integers(0, v, b)
    torch_contexts, torch_targets = torch.from_numpy(contexts), torch.from_numpy(targets)

    def edugrad_step() -> float:
        model.zero_grad()
        loss = ops.cross_entropy(model(contexts), labels=targets)
        loss.backward()
        return loss.item()

    def torch_step() -> float:
        reference.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(reference(torch_contexts), torch_targets)
        loss.backward()
        return loss.item()

    loss_gap = abs(edugrad_step() - torch_step())
    grad_gap = float(np.max(np.abs(output_gradient(model) - output_gradient(reference))))
    return edugrad_step, torch_step, loss_gap, grad_gap


def measure(rounds: int, threads: int) -> dict[str, Any]:
    """Check that both models compute the same loss and gradients, then time them in alternating rounds."""
    rng = np.random.default_rng(0)
    b, v = SHAPE["batch"], SHAPE["vocab_size"]
    edugrad_step, torch_step, loss_gap, grad_gap = batch_steps(rng, tie=False)
    edugrad_tied, torch_tied, tied_loss_gap, tied_grad_gap = batch_steps(rng, tie=True)
    targets = rng.integers(0, v, b)
    torch_targets = torch.from_numpy(targets)
    logits = rng.standard_normal((b, v)).astype(np.float32)
    torch_logits = torch.from_numpy(logits.copy())

    def edugrad_loss() -> None:
        x = Tensor(logits, requires_grad=True)
        ops.cross_entropy(x, labels=targets).backward()

    def torch_loss() -> None:
        x = torch_logits.detach().requires_grad_()
        torch.nn.functional.cross_entropy(x, torch_targets).backward()

    sides = {"edugrad step": edugrad_step, "torch step": torch_step, "edugrad tied step": edugrad_tied,
             "torch tied step": torch_tied, "edugrad loss": edugrad_loss, "torch loss": torch_loss}
    measured = run_rounds({name: per_call(fn) for name, fn in sides.items()}, rounds, threads, warmup=1,
                          progress=False)
    return {"rounds": measured, "loss_difference": max(loss_gap, tied_loss_gap),
            "output_gradient_difference": max(grad_gap, tied_grad_gap),
            "ratios": {"one batch": measured.ratio("edugrad step", "torch step", target=at_most(TARGET)),
                       "one batch, tied embeddings": measured.ratio("edugrad tied step", "torch tied step",
                                                                    target=at_most(TARGET)),
                       "the loss alone": measured.ratio("edugrad loss", "torch loss")}}


def to_markdown(result: dict[str, Any], env: dict[str, Any], rounds: int) -> str:
    measured: Rounds = result["rounds"]
    ms = {name: 1000 * measured.median(name) for name in measured.seconds}
    ratios = result["ratios"]
    shape = (f"batch {SHAPE['batch']}, {SHAPE['context_size']} x {SHAPE['embedding_dim']} -> "
             f"{SHAPE['hidden_dim']} tanh -> {SHAPE['vocab_size']:,} softmax")
    return "\n".join([
        "# hw5 benchmark: one batch of the feed-forward LM, edugrad vs PyTorch", "",
        f"`python -m hw5_fflm.bench --threads {env['threads_per_side']} --rounds {rounds}` on {machine_line(env)}.  ",
        f"Load: {measured.load_line()}", "",
        "| measurement (forward + backward, float32) | edugrad | torch |", "|---|---|---|",
        f"| one batch: {shape} | {ms['edugrad step']:.1f} ms | {ms['torch step']:.1f} ms |",
        f"| the same batch, tied embeddings (300 -> 128 projection, the word vectors as output) | "
        f"{ms['edugrad tied step']:.1f} ms | {ms['torch tied step']:.1f} ms |",
        f"| the loss alone: softmax cross-entropy of [{SHAPE['batch']}, {SHAPE['vocab_size']:,}] logits | "
        f"{ms['edugrad loss']:.1f} ms | {ms['torch loss']:.1f} ms |", "",
        *verdict_table(list(ratios.items())), "",
        f"Checks: the two losses differ by at most {result['loss_difference']:.1e}; the output layer's gradients "
        f"(tied: the word vectors') by at most {result['output_gradient_difference']:.1e}. Times are medians of "
        f"{rounds} alternating rounds.", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="threads for numpy's BLAS and for torch (default 1)")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds (medians reported)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    env = machine(args.threads)
    with bench_threads(args.threads):
        result = measure(args.rounds, args.threads)
    for ratio in result["ratios"].values():
        print(ratio.line())
    markdown = to_markdown(result, env, args.rounds)
    print(markdown)
    payload = {"environment": env, "shape": SHAPE,
               "milliseconds": {name: round(1000 * result["rounds"].median(name), 2)
                                for name in result["rounds"].seconds},
               "ratios": {name: ratio.as_dict() for name, ratio in result["ratios"].items()},
               "loss_difference": result["loss_difference"],
               "output_gradient_difference": result["output_gradient_difference"],
               "rounds": result["rounds"].as_dict()}
    write_bench_results("hw5", payload, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
