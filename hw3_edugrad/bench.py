"""How fast is edugrad? Three measurements in one run on one machine (``make bench-hw3``):

(a) per-operation overhead: an edugrad operation vs the same numpy expression, forward only and
    forward + backward (numpy: the hand-written gradient), on a small and a medium input;
(b) one training step of a 2-layer MLP (batch 64, 300 -> 200 -> 5, ReLU, float32, cross-entropy,
    plain SGD) in edugrad vs the same model in PyTorch on the CPU, with torch using as many threads
    as numpy's BLAS; target: edugrad / torch <= 1.0;
(c) word2vec (SGNS): hw3's edugrad model vs hw2's hand-written numpy model (instructor-only:
    ``bench_word2vec.py`` needs hw2's reference solution; skipped where it is absent).

    python -m hw3_edugrad.bench              # writes bench/results/hw3.json and bench/results/hw3.md
    python -m hw3_edugrad.bench --threads 1  # numpy's BLAS and torch both on one thread

Times are medians of interleaved rounds (word2vec: the best of alternating rounds), so another
process on the machine disturbs both sides of a ratio alike; ratios are taken within this one run.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import importlib.util
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.bench_results import write_bench_results
from hw3_edugrad.edugrad import Tensor, nn, ops, optim

MLP_TARGET = 1.0        # edugrad step time / torch step time


def _openblas():
    """numpy's bundled OpenBLAS library (ctypes), or None where numpy uses another BLAS."""
    pattern = str(Path(np.__file__).parent.parent / "numpy.libs" / "libscipy_openblas*.so")
    for path in glob.glob(pattern):
        library = ctypes.CDLL(path)
        if hasattr(library, "scipy_openblas_get_num_threads64_"):
            return library
    return None


def blas_threads() -> int:
    """Threads numpy's OpenBLAS uses (asked from the library itself; else the usual variables)."""
    library = _openblas()
    if library is not None:
        return int(library.scipy_openblas_get_num_threads64_())
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(variable, "").isdigit():
            return int(os.environ[variable])
    return os.cpu_count() or 1


def set_blas_threads(threads: int) -> None:
    """Make numpy's OpenBLAS use `threads` threads (an error where that cannot be done)."""
    library = _openblas()
    if library is None:
        raise RuntimeError("cannot set numpy's BLAS threads here; set OPENBLAS_NUM_THREADS before starting instead")
    library.scipy_openblas_set_num_threads64_(ctypes.c_int(threads))


def median_seconds(fns: dict[str, Callable[[], Any]], repeats: int = 9, min_time: float = 0.03) -> dict[str, float]:
    """Median time of one call of each function. The functions are timed in interleaved rounds
    (f1, f2, ..., f1, f2, ...), so a change in the machine's load affects them alike; each round loops
    long enough (about `min_time` seconds) for the clock to resolve it."""
    numbers = {}
    for name, fn in fns.items():
        fn()  # warm up (first-call allocations, lazy imports)
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < min_time / 4:
            fn()
            calls += 1
        numbers[name] = max(1, calls * 4)
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            rounds[name].append((time.perf_counter() - start) / numbers[name])
    return {name: float(np.median(times)) for name, times in rounds.items()}


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


def bench_operations(sizes: tuple[int, ...] = (16, 256)) -> list[dict[str, Any]]:
    """Per-operation times (microseconds) for n x n float32 inputs."""
    rows = []
    for n in sizes:
        for name, (np_fwd, np_both, edu_fwd, edu_both) in _operation_cases(n, np.random.default_rng(0)).items():
            seconds = median_seconds({"numpy_forward_us": np_fwd, "edugrad_forward_us": edu_fwd,
                                      "numpy_forward_backward_us": np_both, "edugrad_forward_backward_us": edu_both},
                                     repeats=5)
            times = {key: value * 1e6 for key, value in seconds.items()}
            rows.append({"op": name, "shape": f"{n}x{n}", **{k: round(v, 2) for k, v in times.items()},
                         "forward_ratio": round(times["edugrad_forward_us"] / times["numpy_forward_us"], 2),
                         "forward_backward_ratio": round(
                             times["edugrad_forward_backward_us"] / times["numpy_forward_backward_us"], 2)})
    return rows


# ---- (b) a 2-layer MLP training step: edugrad vs PyTorch ------------------------------------------


def bench_mlp(batch: int = 64, sizes: tuple[int, int, int] = (300, 200, 5), lr: float = 0.1) -> dict[str, Any]:
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
    seconds = median_seconds({"edugrad": edugrad_step, "torch": torch_step}, repeats=15)
    edugrad_seconds, torch_seconds = seconds["edugrad"], seconds["torch"]
    return {"batch": batch, "sizes": list(sizes), "edugrad_step_us": round(edugrad_seconds * 1e6, 1),
            "torch_step_us": round(torch_seconds * 1e6, 1), "ratio": round(edugrad_seconds / torch_seconds, 3),
            "target": MLP_TARGET, "met": bool(edugrad_seconds / torch_seconds <= MLP_TARGET),
            "max_loss_difference_first_5_steps": float(loss_gap)}


# ---- report ---------------------------------------------------------------------------------------


def to_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    env, mlp, w2v = results["environment"], results["mlp"], results.get("word2vec")
    lines = ["# hw3 benchmark: edugrad", "",
             f"`python -m hw3_edugrad.bench` on {env['machine']} ({env['cpu_count']} CPUs), Python {env['python']}, "
             f"numpy {env['numpy']} (BLAS threads {env['blas_threads']}), torch {env['torch']} "
             f"(threads {env['torch_threads']}); load average {env['load_average_1min']} at the start. "
             f"{env['date']}.", "",
             "## Targets", "",
             "| measurement | edugrad | reference | ratio | target | met |", "|---|---|---|---|---|---|",
             f"| MLP training step, batch {mlp['batch']}, {' -> '.join(map(str, mlp['sizes']))} | "
             f"{mlp['edugrad_step_us']} µs | torch {mlp['torch_step_us']} µs | {mlp['ratio']} (edugrad / torch) | "
             f"<= {mlp['target']} | {'yes' if mlp['met'] else 'NO'} |"]
    if w2v is not None:
        lines += [
            f"| word2vec epoch, PTB first {w2v['sentences']:,} lines ({w2v['tokens']:,} words) | "
            f"{w2v['edugrad_words_per_second']:,} words/s | numpy (hw2) {w2v['numpy_words_per_second']:,} words/s | "
            f"{w2v['ratio']} (numpy / edugrad) | <= {w2v['target']} | {'yes' if w2v['met'] else 'NO'} |",
            f"| same, against hw2's gradients unfused (`sgns_loss_and_gradients` + scatter) | "
            f"{w2v['edugrad_words_per_second']:,} words/s | {w2v['numpy_unfused_words_per_second']:,} words/s | "
            f"{w2v['ratio_to_unfused']} | - | - |"]
    lines += ["", f"Checks: MLP losses of the first 5 steps differ by at most "
              f"{mlp['max_loss_difference_first_5_steps']:.2g}"
              + (f"; word2vec embeddings after the epoch differ by at most "
                 f"{w2v['max_embedding_difference_after_epoch']:.2g} (float32)." if w2v is not None else "."), "",
              "## Per-operation overhead (float32, times in µs, median)", "",
              "| op | shape | numpy fwd | edugrad fwd | ratio | numpy fwd+bwd | edugrad fwd+bwd | ratio |",
              "|---|---|---|---|---|---|---|---|"]
    for row in results["operations"]:
        lines.append(f"| {row['op']} | {row['shape']} | {row['numpy_forward_us']} | {row['edugrad_forward_us']} | "
                     f"{row['forward_ratio']} | {row['numpy_forward_backward_us']} | "
                     f"{row['edugrad_forward_backward_us']} | {row['forward_backward_ratio']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and for torch alike (default: numpy's current setting)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be >= 1, got {args.threads}")
        set_blas_threads(args.threads)
    threads = blas_threads()
    torch.set_num_threads(threads)
    results: dict[str, Any] = {"environment": {
        "machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
        "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
        "blas_threads": threads, "torch_threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }}
    if results["environment"]["load_average_1min"] > 0.5 * (os.cpu_count() or 1):
        print(f"warning: the machine is busy (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); "
              "the timings will be noisy", flush=True)
    print(f"numpy BLAS threads {threads}, torch threads {torch.get_num_threads()}", flush=True)
    print("(a) per-operation overhead ...", flush=True)
    results["operations"] = bench_operations()
    print("(b) MLP training step, edugrad vs torch ...", flush=True)
    results["mlp"] = bench_mlp()
    if importlib.util.find_spec("hw3_edugrad.bench_word2vec") and importlib.util.find_spec("hw2_word2vec"):
        from hw3_edugrad.bench_word2vec import bench_word2vec  # instructor-only: needs hw2's reference

        print("(c) word2vec, edugrad vs numpy ...", flush=True)
        results["word2vec"] = bench_word2vec()
    else:
        print("(c) word2vec vs hw2's numpy: skipped (instructor-only, needs hw2's reference solution)", flush=True)
    markdown = to_markdown(results)
    print(markdown)
    write_bench_results("hw3", results, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
