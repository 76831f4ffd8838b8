"""Scoring speed (``make bench-hw9``): three ways to get the label log-probabilities of the same prompts.

* naive: one ``model.generate(max_new_tokens=1)`` call per review per label word, reading the first
  step's logits (how one might score with a generation API);
* batched: full prompts left-padded in batches, only the last position's logits (``logits_to_keep=1``);
* cached: the shared demonstrations encoded once, their key/value cache reused for every batch.

Same model (Gemma 3 270M unless ``--model-path``), template ``review``, class-balanced demonstrations
with seed 0, the first SST-2 dev reviews. Reviews per second, and the largest difference between the
methods' log-probabilities. The methods alternate round by round (common/bench_results.py), one torch
thread by default: a ratio is the median of the per-round ratios, shown with their range, with no
verdict when the machine was loaded. Targets: cached >= 5x naive, and at k = 8 cached >= 3x batched.

    python -m hw9_icl.bench                       # writes bench/results/hw9.json and hw9.md
    python -m hw9_icl.bench --num-dev 16 --naive-num-dev 4 --ks 0 8 --threads 2
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import torch

from common.bench_results import (
    at_least,
    bench_threads,
    machine,
    machine_line,
    run_rounds,
    verdict_table,
    write_bench_results,
)
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


def per_review(method: Callable[[], torch.Tensor], scores: dict[str, torch.Tensor], name: str
               ) -> Callable[[], float]:
    """`method` as a benchmark side: each call returns the seconds per review scored and keeps its
    scores [N, L] in ``scores[name]``."""
    def side() -> float:
        started = time.perf_counter()
        scores[name] = method()
        return (time.perf_counter() - started) / len(scores[name])
    return side


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
        scores = {}
        methods = {
            "cached": partial(score_with_prefix_cache, lm.model, encoded[0][0], [q for _, q in encoded], labels,
                              lm.pad_id, args.batch_size),
            "batched": partial(score_batched, lm.model, prompts, labels, lm.pad_id, args.batch_size),
        }
        if k in args.naive_ks:
            methods["naive"] = partial(score_by_generate, lm.model, prompts[:args.naive_num_dev], labels, lm.pad_id)

        print(f"k = {k} ...", flush=True)
        measured = run_rounds({name: per_review(method, scores, name) for name, method in methods.items()},
                              args.rounds, args.threads)
        row = {"k": k, "prompt_tokens_mean": sum(map(len, prompts)) / len(prompts),
               "prefix_tokens": len(encoded[0][0]), "rounds": measured,
               **{f"{name}_per_second": 1 / measured.median(name) for name in methods},
               "cached_over_batched": measured.ratio("cached", "batched", of="speed",
                                                     target=at_least(BATCHED_TARGET_AT_K8) if k == 8 else None),
               "max_abs_difference_batched": (scores["batched"] - scores["cached"]).abs().max().item()}
        if "naive" in methods:
            row["cached_over_naive"] = measured.ratio("cached", "naive", of="speed", target=at_least(NAIVE_TARGET))
            naive_part = scores["cached"][:len(scores["naive"])]
            row["max_abs_difference_naive"] = (scores["naive"] - naive_part).abs().max().item()
        for key in ("cached_over_batched", "cached_over_naive"):
            if key in row:
                print(row[key].line(), flush=True)
        rows.append(row)
    return rows, lm.name


def write_results(args: argparse.Namespace, env: dict[str, Any], rows: list[dict[str, Any]], model_name: str) -> None:
    command = (f"python -m hw9_icl.bench --num-dev {args.num_dev} --naive-num-dev {args.naive_num_dev} "
               f"--ks {' '.join(map(str, args.ks))} --naive-ks {' '.join(map(str, args.naive_ks))} "
               f"--batch-size {args.batch_size} --rounds {args.rounds} --threads {args.threads}")
    ratio_keys = ("cached_over_batched", "cached_over_naive")
    payload = {"benchmark": "hw9 label scoring: prefix KV cache vs batched full prompts vs one generate per label",
               "command": command, "machine": env, "model": model_name, "targets":
               {"cached_over_naive": NAIVE_TARGET, "cached_over_batched_at_k8": BATCHED_TARGET_AT_K8},
               "results": [{**r, "rounds": r["rounds"].as_dict(),
                            **{key: r[key].as_dict() for key in ratio_keys if key in r}} for r in rows]}
    lines = ["# hw9: scoring SST-2 reviews with a causal LM", "", f"Command: `{command}`  ",
             f"Machine: {machine_line(env)}  ", f"Load: {rows[-1]['rounds'].load_line()} (last k)  ",
             f"Model: {model_name}, template `review`, class-balanced demonstrations (seed 0), float32", "",
             "| k | mean prompt tokens | cached reviews/s | batched reviews/s | naive reviews/s "
             "| max abs diff (batched, naive) |", "|---|---|---|---|---|---|"]
    for r in rows:
        naive = f"{r['naive_per_second']:.2f}" if "naive_per_second" in r else "-"
        difference = f"{r['max_abs_difference_batched']:.1e}, " + (
            f"{r['max_abs_difference_naive']:.1e}" if "max_abs_difference_naive" in r else "-")
        lines.append(f"| {r['k']} | {r['prompt_tokens_mean']:.0f} | {r['cached_per_second']:.2f} | "
                     f"{r['batched_per_second']:.2f} | {naive} | {difference} |")
    names = {"cached_over_batched": "cached vs batched", "cached_over_naive": "cached vs naive"}
    lines += ["", *verdict_table([(f"k = {r['k']}, {names[key]}", r[key]) for r in rows for key in ratio_keys
                                  if key in r]), "",
              f"Targets: cached / naive >= {NAIVE_TARGET}; at k = 8 cached / batched >= {BATCHED_TARGET_AT_K8}. "
              f"Reviews/s are medians of {args.rounds} alternating rounds.", ""]
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
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the methods at each k")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    env = machine(args.threads)
    with bench_threads(args.threads):
        rows, model_name = measure(args)
    write_results(args, env, rows, model_name)


if __name__ == "__main__":
    main()
