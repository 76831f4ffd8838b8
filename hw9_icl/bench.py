"""Scoring speed (``make bench-hw9``): three ways to get the label log-probabilities of the same prompts.

* naive: one ``model.generate(max_new_tokens=1)`` call per review per label word, reading the first
  step's logits (how one might score with a generation API);
* batched: full prompts left-padded in batches, only the last position's logits (``logits_to_keep=1``);
* cached: the shared demonstrations encoded once, their key/value cache reused for every batch.

Same model (Gemma 3 270M unless ``--model-path``), template ``review``, class-balanced demonstrations
with seed 0, the first SST-2 dev reviews; one run per method and k. Reviews per second, and the largest
difference between the methods' log-probabilities. Targets: cached >= 5x naive, and at k = 8 cached >=
3x batched.

    python -m hw9_icl.bench                       # writes bench/results/hw9.json and hw9.md
    python -m hw9_icl.bench --num-dev 16 --naive-num-dev 4 --ks 0 8
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from functools import partial
from typing import Any

import torch

from common.bench_results import write_bench_results
from hw9_icl.evaluate import Cell, demonstrations, load_data
from hw9_icl.models import encode_prompt, label_token_ids, load_language_model
from hw9_icl.prompts import build_prompt, load_template
from hw9_icl.scoring import label_log_probs, score_batched, score_with_prefix_cache

NAIVE_TARGET = 5.0
BATCHED_TARGET_AT_K8 = 3.0


@torch.no_grad()
def score_by_generate(model, prompts: list[list[int]], labels: list[list[int]], pad_id: int) -> torch.Tensor:
    """[N, L]: one generate call per prompt and (single-token) label word, its first step's log-softmax."""
    scores = torch.empty(len(prompts), len(labels))
    for i, prompt in enumerate(prompts):
        for j, label in enumerate(labels):
            output = model.generate(input_ids=torch.tensor([prompt]), max_new_tokens=1, do_sample=False,
                                    output_logits=True, return_dict_in_generate=True, pad_token_id=pad_id,
                                    temperature=None, top_k=None, top_p=None)
            first_step = output.logits[0][:, None, :]                      # (1, 1, V)
            scores[i, j] = label_log_probs(first_step, torch.tensor(label))[0]
    return scores


def measure(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str]:
    """One row per k: reviews per second of each method, their ratios and largest score differences."""
    lm = load_language_model(args.model_path)
    template = load_template("review")
    pool, dev = load_data(None, args.num_dev, 6, 30, 4000, 0)
    labels = label_token_ids(lm, template.labels)
    if any(len(label) != 1 for label in labels):
        raise ValueError(f"the benchmark's generate baseline needs single-token label words, got {labels}")
    rows = []
    for k in args.ks:
        demos = demonstrations(Cell(k, "balanced", seed=0), pool)
        encoded = [encode_prompt(lm, build_prompt(template, demos, item.sentence)) for item in dev]
        prompts = [prefix + query for prefix, query in encoded]
        timings, scores = {}, {}
        methods = {
            "cached": partial(score_with_prefix_cache, lm.model, encoded[0][0], [q for _, q in encoded], labels,
                              lm.pad_id, args.batch_size),
            "batched": partial(score_batched, lm.model, prompts, labels, lm.pad_id, args.batch_size),
            "naive": partial(score_by_generate, lm.model, prompts[:args.naive_num_dev], labels, lm.pad_id),
        }
        for name, method in methods.items():
            if name == "naive" and k not in args.naive_ks:
                continue
            started = time.perf_counter()
            scores[name] = method()
            timings[name] = len(scores[name]) / (time.perf_counter() - started)
        row = {"k": k, "prompt_tokens_mean": sum(map(len, prompts)) / len(prompts),
               "prefix_tokens": len(encoded[0][0]),
               **{f"{name}_per_second": value for name, value in timings.items()},
               "cached_over_batched": timings["cached"] / timings["batched"],
               "max_abs_difference_batched": (scores["batched"] - scores["cached"]).abs().max().item()}
        if "naive" in timings:
            row["cached_over_naive"] = timings["cached"] / timings["naive"]
            naive_part = scores["cached"][:len(scores["naive"])]
            row["max_abs_difference_naive"] = (scores["naive"] - naive_part).abs().max().item()
        print(row, flush=True)
        rows.append(row)
    return rows, lm.name


def write_results(args: argparse.Namespace, rows: list[dict[str, Any]], model_name: str) -> None:
    command = (f"python -m hw9_icl.bench --num-dev {args.num_dev} --naive-num-dev {args.naive_num_dev} "
               f"--ks {' '.join(map(str, args.ks))} --naive-ks {' '.join(map(str, args.naive_ks))} "
               f"--batch-size {args.batch_size}")
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
               f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} at the end")
    payload = {"benchmark": "hw9 label scoring: prefix KV cache vs batched full prompts vs one generate per label",
               "command": command, "machine": machine, "model": model_name, "targets":
               {"cached_over_naive": NAIVE_TARGET, "cached_over_batched_at_k8": BATCHED_TARGET_AT_K8}, "results": rows}
    lines = ["# hw9: scoring SST-2 reviews with a causal LM", "", f"Command: `{command}`  ", f"Machine: {machine}  ",
             f"Model: {model_name}, template `review`, class-balanced demonstrations (seed 0), float32", "",
             "| k | mean prompt tokens | cached reviews/s | batched reviews/s | naive reviews/s "
             "| cached / batched | cached / naive | max abs diff (batched, naive) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        naive = f"{r['naive_per_second']:.2f}" if "naive_per_second" in r else "-"
        ratio = f"{r['cached_over_naive']:.1f}" if "cached_over_naive" in r else "-"
        difference = f"{r['max_abs_difference_batched']:.1e}, " + (
            f"{r['max_abs_difference_naive']:.1e}" if "max_abs_difference_naive" in r else "-")
        lines.append(f"| {r['k']} | {r['prompt_tokens_mean']:.0f} | {r['cached_per_second']:.2f} | "
                     f"{r['batched_per_second']:.2f} | {naive} | {r['cached_over_batched']:.1f} | {ratio} | "
                     f"{difference} |")
    lines += ["", f"Targets: cached / naive >= {NAIVE_TARGET}; at k = 8 cached / batched >= {BATCHED_TARGET_AT_K8}. "
              "One run per method; the machine is shared, so compare ratios rather than absolute speeds.", ""]
    print("\n".join(lines))
    write_bench_results("hw9", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hw9_icl.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-path", default=None, help="a causal LM folder (default: Gemma 3 270M)")
    parser.add_argument("--num-dev", type=int, default=32, help="dev reviews for the batched and cached paths")
    parser.add_argument("--naive-num-dev", type=int, default=4, help="dev reviews for the naive path")
    parser.add_argument("--ks", type=int, nargs="+", default=[0, 4, 8])
    parser.add_argument("--naive-ks", type=int, nargs="+", default=[8], help="k values that also run the naive path")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)
    rows, model_name = measure(args)
    write_results(args, rows, model_name)


if __name__ == "__main__":
    main()
