"""How fast is edugrad? Three measurements in one run on one machine (``make bench-hw3``):

(a) per-operation overhead: an edugrad operation vs the same numpy expression, forward only and
    forward + backward (numpy: the hand-written gradient), on a small and a medium input;
(b) one training step of a 2-layer MLP (batch 64, 300 -> 200 -> 5, ReLU, float32, cross-entropy,
    plain SGD) in edugrad vs the same model in PyTorch on the CPU; target: edugrad / torch <= 1.0;
(c) word2vec (SGNS): hw3's edugrad model vs hw2's hand-written numpy model (instructor-only:
    ``bench_word2vec.py`` needs hw2's reference solution; skipped where it is absent).

    python -m hw3_edugrad.bench              # writes bench/results/hw3.json and bench/results/hw3.md
    python -m hw3_edugrad.bench --threads 2  # numpy's BLAS and torch both on two threads (default one)

The sides of each comparison alternate round by round (common/bench_results.py), so a change in the
machine's load hits both alike; a ratio is the median of the per-round ratios, shown with their
range, and a target gets no verdict when the machine was loaded.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from common.bench_results import (
    Ratio,
    at_most,
    bench_threads,
    machine,
    machine_line,
    per_call,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from hw3_edugrad.edugrad import Tensor, nn, ops, optim

MLP_TARGET = 1.0        # edugrad step time / torch step time
ROUND_SECONDS = 0.03    # each round of a small function loops about this long, for the clock to resolve it


# ---- (a) per-operation overhead ------------------------------------------------------------------


def _operation_cases(n: int, rng: np.random.Generator) -> dict[str, tuple[Callable, Callable, Callable]]:
    """name -> (numpy forward, numpy forward + hand-written backward, edugrad forward + backward)."""
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    g = np.ones((n, n), dtype=np.float32)  # upstream gradient
    g_row = np.ones(n, dtype=np.float32)

    def edugrad_case(op: Callable[[Tensor, Tensor], Tensor], grad: np.ndarray, backward: bool):
        def run():
            x, y = Tensor(a, requires_grad=backward), Tensor(b, requires_grad=backward)
            out = op(x, y)
            if backward:
                out.backward(grad)
            return out
        return run

    def numpy_tanh_backward():
        out = np.tanh(a)
        return g * (1 - out * out)

    cases = {
        "add": (lambda: a + b, lambda: (a + b, g, g), lambda x, y: ops.add(x, y), g),
        "multiply": (lambda: a * b, lambda: (a * b, g * b, g * a), lambda x, y: ops.multiply(x, y), g),
        "matmul": (lambda: a @ b, lambda: (a @ b, g @ b.T, a.T @ g), lambda x, y: ops.matmul(x, y), g),
        "tanh": (lambda: np.tanh(a), numpy_tanh_backward, lambda x, y: ops.tanh(x), g),
        "sum(axis=1)": (lambda: a.sum(axis=1), lambda: (a.sum(axis=1), np.broadcast_to(g_row[:, None], a.shape)),
                        lambda x, y: ops.sum(x, axis=1), g_row),
    }
    return {
        name: (np_forward, np_both, edugrad_case(op, grad, False), edugrad_case(op, grad, True))
        for name, (np_forward, np_both, op, grad) in cases.items()
    }


def bench_operations(threads: int, sizes: tuple[int, ...] = (16, 256), rounds: int = 5) -> list[dict[str, Any]]:
    """Per-operation times (microseconds, medians of alternating rounds) for n x n float32 inputs."""
    rows = []
    for n in sizes:
        for name, (np_fwd, np_both, edu_fwd, edu_both) in _operation_cases(n, np.random.default_rng(0)).items():
            sides = {"numpy_forward": np_fwd, "edugrad_forward": edu_fwd, "numpy_forward_backward": np_both,
                     "edugrad_forward_backward": edu_both}
            measured = run_rounds({key: per_call(fn, ROUND_SECONDS) for key, fn in sides.items()}, rounds, threads,
                                  progress=False)
            rows.append({"op": name, "shape": f"{n}x{n}",
                         **{f"{key}_us": round(measured.median(key) * 1e6, 2) for key in sides},
                         "forward_ratio": round(measured.ratio("edugrad_forward", "numpy_forward").median, 2),
                         "forward_backward_ratio": round(
                             measured.ratio("edugrad_forward_backward", "numpy_forward_backward").median, 2)})
    return rows


# ---- (b) a 2-layer MLP training step: edugrad vs PyTorch ------------------------------------------


def bench_mlp(threads: int, rounds: int = 15, batch: int = 64, sizes: tuple[int, int, int] = (300, 200, 5),
              lr: float = 0.1) -> dict[str, Any]:
    """Step time of the same MLP (same initial weights, same batch) in edugrad and in torch."""
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((batch, sizes[0])).astype(np.float32)   # [B, 300]
    labels = rng.integers(0, sizes[2], size=batch)                        # [B]

    hidden, output = nn.Linear(sizes[0], sizes[1], rng=rng), nn.Linear(sizes[1], sizes[2], rng=rng)
    edugrad_optimizer = optim.SGD(hidden.parameters() + output.parameters(), lr=lr)
    x = Tensor(inputs)

    def edugrad_step() -> float:
        edugrad_optimizer.zero_grad()
        logits = output(ops.relu(hidden(x)))                              # [B, 5]
        loss = ops.cross_entropy(logits, labels=labels)
        loss.backward()
        edugrad_optimizer.step()
        return loss.item()

    torch_model = torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.ReLU(),
                                      torch.nn.Linear(sizes[1], sizes[2]))
    with torch.no_grad():  # the same starting point; torch stores Linear weights as [out, in]
        for layer, source in ((torch_model[0], hidden), (torch_model[2], output)):
            layer.weight.copy_(torch.from_numpy(source.weight.value.T.copy()))
            layer.bias.copy_(torch.from_numpy(source.bias.value.copy()))
    torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)
    torch_inputs, torch_labels = torch.from_numpy(inputs), torch.from_numpy(labels)

    def torch_step() -> float:
        torch_optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch_model(torch_inputs), torch_labels)
        loss.backward()
        torch_optimizer.step()
        return loss.item()

    # the two must train the same model: compare their first five losses before timing
    loss_gap = max(abs(edugrad_step() - torch_step()) for _ in range(5))
    sides = {"edugrad": per_call(edugrad_step, ROUND_SECONDS), "torch": per_call(torch_step, ROUND_SECONDS)}
    measured = run_rounds(sides, rounds, threads, progress=False)
    ratio = measured.ratio("edugrad", "torch", target=at_most(MLP_TARGET))
    return {"batch": batch, "sizes": list(sizes), "edugrad_step_us": round(measured.median("edugrad") * 1e6, 1),
            "torch_step_us": round(measured.median("torch") * 1e6, 1), "ratio": ratio,
            "max_loss_difference_first_5_steps": float(loss_gap), "rounds": measured}


# ---- report ---------------------------------------------------------------------------------------


def to_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    env, mlp, w2v = results["environment"], results["mlp"], results.get("word2vec")
    lines = ["# hw3 benchmark: edugrad", "",
             f"`python -m hw3_edugrad.bench --threads {env['threads_per_side']}` on {machine_line(env)}.  ",
             f"Load: {mlp['rounds'].load_line()} (the MLP step's rounds).", "",
             "## Targets", "",
             "| measurement | edugrad | reference |", "|---|---|---|",
             f"| MLP training step, batch {mlp['batch']}, {' -> '.join(map(str, mlp['sizes']))} | "
             f"{mlp['edugrad_step_us']} µs | torch {mlp['torch_step_us']} µs |"]
    ratios: list[tuple[str, Ratio]] = [("MLP training step", mlp["ratio"])]
    if w2v is not None:
        lines += [
            f"| word2vec epoch, PTB first {w2v['sentences']:,} lines ({w2v['tokens']:,} words) | "
            f"{w2v['edugrad_words_per_second']:,} words/s | numpy (hw2) {w2v['numpy_words_per_second']:,} words/s |",
            f"| same, against hw2's gradients unfused (`sgns_loss_and_gradients` + scatter) | "
            f"{w2v['edugrad_words_per_second']:,} words/s | {w2v['numpy_unfused_words_per_second']:,} words/s |"]
        ratios += [("word2vec epoch", w2v["ratio"]), ("word2vec, unfused numpy", w2v["ratio_to_unfused"])]
    lines += ["", *verdict_table(ratios), "",
              "Checks: MLP losses of the first 5 steps differ by at most "
              f"{mlp['max_loss_difference_first_5_steps']:.2g}"
              + (f"; word2vec embeddings after the epoch differ by at most "
                 f"{w2v['max_embedding_difference_after_epoch']:.2g} (float32)." if w2v is not None else "."), "",
              "## Per-operation overhead (float32, times in µs, medians of 5 alternating rounds)", "",
              "| op | shape | numpy fwd | edugrad fwd | ratio | numpy fwd+bwd | edugrad fwd+bwd | ratio |",
              "|---|---|---|---|---|---|---|---|"]
    for row in results["operations"]:
        lines.append(f"| {row['op']} | {row['shape']} | {row['numpy_forward_us']} | {row['edugrad_forward_us']} | "
                     f"{row['forward_ratio']} | {row['numpy_forward_backward_us']} | "
                     f"{row['edugrad_forward_backward_us']} | {row['forward_backward_ratio']} |")
    return "\n".join(lines) + "\n"


def as_json(results: dict[str, Any]) -> dict[str, Any]:
    """The results with every Ratio and Rounds written out as plain data."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value.as_dict() if hasattr(value, "as_dict") else value
    return plain(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="numpy's BLAS and torch threads alike (default 1)")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds of the MLP step")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    results: dict[str, Any] = {"environment": machine(args.threads)}
    with bench_threads(args.threads):
        print("(a) per-operation overhead ...", flush=True)
        results["operations"] = bench_operations(args.threads)
        print("(b) MLP training step, edugrad vs torch ...", flush=True)
        results["mlp"] = bench_mlp(args.threads, args.rounds)
        print(results["mlp"]["ratio"].line(), flush=True)
        if importlib.util.find_spec("hw3_edugrad.bench_word2vec") and importlib.util.find_spec("hw2_word2vec"):
            from hw3_edugrad.bench_word2vec import bench_word2vec  # instructor-only: needs hw2's reference

            print("(c) word2vec, edugrad vs numpy ...", flush=True)
            results["word2vec"] = bench_word2vec(args.threads)
            print(results["word2vec"]["ratio"].line(), flush=True)
        else:
            print("(c) word2vec vs hw2's numpy: skipped (instructor-only, needs hw2's reference solution)", flush=True)
    markdown = to_markdown(results)
    print(markdown)
    write_bench_results("hw3", as_json(results), markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
