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

Times are medians of interleaved rounds, so a change in the machine's load hits both sides of a
ratio alike. One thread is the default: on a machine that other programs keep busy, OpenBLAS on
two threads can be ten times slower on the [B, V] @ [V, h] product of the backward pass.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from common.bench_results import write_bench_results
from hw3_edugrad.edugrad import Tensor, ops
from hw5_fflm.model import FeedForwardLM

TARGET = 1.0  # edugrad time / torch time for forward + backward of one batch
SHAPE = dict(batch=512, context_size=5, embedding_dim=128, hidden_dim=300, vocab_size=10_001)


class TorchFFLM(torch.nn.Module):
    """The same function in PyTorch, its weights copied from an edugrad FeedForwardLM (Linear
    weights transposed: torch stores [out, in]), tied or not as the model is."""

    def __init__(self, model: FeedForwardLM):
        super().__init__()
        weights = dict(model.state())
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


def median_seconds(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds of one call of each function, timed in interleaved rounds (f1, f2, f1, f2, ...)."""
    for fn in fns.values():
        fn()  # warm up: first-call allocations
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


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


def measure(rounds: int) -> dict[str, Any]:
    """Check that both models compute the same loss and gradients, then time them."""
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

    seconds = median_seconds({"edugrad step": edugrad_step, "torch step": torch_step,
                              "edugrad tied step": edugrad_tied, "torch tied step": torch_tied,
                              "edugrad loss": edugrad_loss, "torch loss": torch_loss}, rounds)
    return {"seconds": seconds, "loss_difference": max(loss_gap, tied_loss_gap),
            "output_gradient_difference": max(grad_gap, tied_grad_gap)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="threads for numpy's BLAS and for torch (default 1)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per function (median reported)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error("--threads and --rounds must be >= 1")
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    with threadpool_limits(args.threads, user_api="blas"):
        blas = [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
        result = measure(args.rounds)
    s = result["seconds"]
    ratio, loss_ratio = s["edugrad step"] / s["torch step"], s["edugrad loss"] / s["torch loss"]
    tied_ratio = s["edugrad tied step"] / s["torch tied step"]
    shape = (f"batch {SHAPE['batch']}, {SHAPE['context_size']} x {SHAPE['embedding_dim']} -> "
             f"{SHAPE['hidden_dim']} tanh -> {SHAPE['vocab_size']:,} softmax")
    results = {
        "machine": f"{platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, numpy "
                   f"{np.__version__} (BLAS: {', '.join(blas) or 'unknown'} threads), torch {torch.__version__} "
                   f"(threads {torch.get_num_threads()})",
        "load_average_at_start": round(load, 2),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "shape": shape,
        "threads": args.threads,
        "milliseconds": {name: round(1000 * value, 2) for name, value in s.items()},
        "ratio_step": round(ratio, 3),
        "ratio_tied_step": round(tied_ratio, 3),
        "ratio_loss": round(loss_ratio, 3),
        "target": TARGET,
        "met": max(ratio, tied_ratio) <= TARGET,
        "loss_difference": result["loss_difference"],
        "output_gradient_difference": result["output_gradient_difference"],
    }
    markdown = "\n".join([
        "# hw5 benchmark: one batch of the feed-forward LM, edugrad vs PyTorch", "",
        f"`python -m hw5_fflm.bench --threads {args.threads}` on {results['machine']}; load average {load:.1f} "
        f"at the start. {results['date']}.", "",
        "| measurement (forward + backward, float32) | edugrad | torch | ratio (edugrad / torch) | target | met |",
        "|---|---|---|---|---|---|",
        f"| one batch: {shape} | {1000 * s['edugrad step']:.1f} ms | {1000 * s['torch step']:.1f} ms | "
        f"{ratio:.3f} | <= {TARGET} | {'yes' if ratio <= TARGET else 'no'} |",
        f"| the same batch, tied embeddings (300 -> 128 projection, the word vectors as output) | "
        f"{1000 * s['edugrad tied step']:.1f} ms | {1000 * s['torch tied step']:.1f} ms | {tied_ratio:.3f} | "
        f"<= {TARGET} | {'yes' if tied_ratio <= TARGET else 'no'} |",
        f"| the loss alone: softmax cross-entropy of [{SHAPE['batch']}, {SHAPE['vocab_size']:,}] logits | "
        f"{1000 * s['edugrad loss']:.1f} ms | {1000 * s['torch loss']:.1f} ms | {loss_ratio:.3f} | - | - |", "",
        f"Checks: the two losses differ by at most {result['loss_difference']:.1e}; the output layer's gradients "
        f"(tied: the word vectors') by at most "
        f"{result['output_gradient_difference']:.1e}. Medians of {args.rounds} interleaved rounds.", ""])
    print(markdown)
    write_bench_results("hw5", results, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
