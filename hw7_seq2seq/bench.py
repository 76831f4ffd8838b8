"""hw7 benchmark (``make bench-hw7``): decoding speed, batched against one sentence at a time.

Greedy search and beam search (beam 5) translate the first `--sentences` Multi30k test sentences
twice with the same model: in batches of `--batch-size` sentences (one tensor of B x beam
hypotheses) and one sentence at a time. Sentences per second are timed in one process, one torch
thread per side by default, the two sides alternating for `--rounds` rounds
(common/bench_results.py): the speed-up is the median of the per-round speed-ups, shown with their
range, with no verdict when the machine was loaded; the outputs must be identical. Target: batched
beam-5 >= 5x one at a time with two threads per side (6.5x measured on 2 idle cores), >= 3.5x with
one (3.9x measured idle): one sentence's five hypotheses already share each weight read, so the
batched side gains most from the second core.

The model is a run's checkpoint (`--checkpoint`, default: the newest ``runs/hw7_seq2seq/*/best.ckpt``).
Without one it is the quick config's architecture with random weights, which rarely emits ``</s>``:
every hypothesis then runs to `--max-len` tokens (stated in the results).

    python -m hw7_seq2seq.bench                   # writes bench/results/hw7.json and hw7.md
    python -m hw7_seq2seq.bench --sentences 100 --rounds 3 --threads 2
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.bench_results import (
    at_least,
    bench_threads,
    machine,
    machine_line,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from common.config import load_config
from common.run import REPO_ROOT
from common.seed import seed_everything
from hw7_seq2seq.config import Config
from hw7_seq2seq.data import build_vocabularies, encode_source, read_multi30k
from hw7_seq2seq.evaluate import translate_sources
from hw7_seq2seq.model import Seq2Seq
from hw7_seq2seq.text import tokenize_sentence
from hw7_seq2seq.translate import Translator

SPEED_TARGETS = {1: 3.5, 2: 5.0}   # threads per side -> batched beam-5 speed-up wanted


def load_model(checkpoint: Path | None, max_len: int) -> tuple[Seq2Seq, Any, str]:
    """(model, source vocabulary, description): a trained checkpoint, or the quick architecture at random."""
    if checkpoint is None:
        found = sorted(REPO_ROOT.glob("runs/hw7_seq2seq/*/best.ckpt"), key=lambda p: p.stat().st_mtime)
        checkpoint = found[-1] if found else None
    if checkpoint is not None:
        translator = Translator.load(checkpoint, device="cpu")
        return translator.model, translator.src_vocab, f"trained checkpoint {checkpoint}"
    config = load_config(Config, REPO_ROOT / "hw7_seq2seq" / "config.quick.yaml")
    seed_everything(0)
    pairs = [(tokenize_sentence(s), tokenize_sentence(t)) for s, t in read_multi30k("train")[:2000]]
    src_vocab, tgt_vocab = build_vocabularies(pairs, config.data.min_freq)
    model = Seq2Seq(config.model, len(src_vocab), len(tgt_vocab)).eval()
    return model, src_vocab, (f"random weights, quick architecture (no checkpoint found; outputs run to {max_len} "
                              "tokens)")


def bench_decoder(model: Seq2Seq, sources: list[list[int]], beam_size: int, batch_size: int, max_len: int,
                  rounds: int, threads: int) -> dict[str, Any]:
    outputs = {}

    def timed(name: str, decode) -> Callable[[], float]:
        def side() -> float:
            start = time.perf_counter()
            outputs[name] = decode()
            return time.perf_counter() - start
        return side

    measured = run_rounds({
        "batched": timed("batched", lambda: translate_sources(model, sources, beam_size, max_len, 1.0, batch_size)),
        "one at a time": timed("one at a time", lambda: [translate_sources(model, [s], beam_size, max_len, 1.0, 1)[0]
                                                         for s in sources]),
    }, rounds, threads)
    differing = sum(a.tokens != b.tokens for a, b in zip(outputs["batched"], outputs["one at a time"], strict=True))
    target = at_least(SPEED_TARGETS[min(threads, 2)]) if beam_size == 5 else None
    return {"beam_size": beam_size, "rounds": measured,
            "batched_sentences_per_s": round(len(sources) / measured.median("batched"), 1),
            "single_sentences_per_s": round(len(sources) / measured.median("one at a time"), 1),
            "speedup": measured.ratio("batched", "one at a time", of="speed", target=target),
            "differing_outputs": differing,
            "mean_output_tokens": round(sum(len(h.tokens) for h in outputs["batched"]) / len(sources), 2)}


def write_results(args: argparse.Namespace, env: dict[str, Any], description: str, rows: list[dict[str, Any]]) -> None:
    command = f"python -m hw7_seq2seq.bench --sentences {args.sentences} --batch-size {args.batch_size} " \
              f"--max-len {args.max_len} --rounds {args.rounds} --threads {args.threads}"
    payload = {"command": command, "machine": env, "model": description,
               "sentences": args.sentences, "batch_size": args.batch_size, "max_len": args.max_len,
               "results": [{**row, "rounds": row["rounds"].as_dict(), "speedup": row["speedup"].as_dict()}
                           for row in rows],
               "target_speedup_beam5": SPEED_TARGETS[min(args.threads, 2)]}
    lines = ["# hw7: decoding speed, batched vs one sentence at a time", "",
             f"Command: `{command}`  ", f"Machine: {machine_line(env)}  ", f"Load: {rows[-1]['rounds'].load_line()}  ",
             f"Model: {description}; the first {args.sentences} test_2016 sentences, batches of {args.batch_size}, "
             f"max_len {args.max_len}", "",
             "| search | batched sentences/s | one at a time sentences/s | differing outputs | mean tokens |",
             "|---|---|---|---|---|"]
    names = {row["beam_size"]: "greedy" if row["beam_size"] == 1 else f"beam {row['beam_size']}" for row in rows}
    for row in rows:
        lines.append(f"| {names[row['beam_size']]} | {row['batched_sentences_per_s']} | "
                     f"{row['single_sentences_per_s']} | {row['differing_outputs']} | {row['mean_output_tokens']} |")
    lines += ["", *verdict_table([(f"{names[row['beam_size']]} speed-up", row["speedup"]) for row in rows]), "",
              f"Sentences/s are medians of {args.rounds} alternating rounds. Target: batched beam 5 >= "
              f"{payload['target_speedup_beam5']}x one sentence at a time with {args.threads} thread(s) per side, "
              "with identical outputs."]
    print("\n".join(lines))
    write_bench_results("hw7", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="a run's best.ckpt (default: the newest)")
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-len", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for each side (default 1)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    env = machine(args.threads)
    model, src_vocab, description = load_model(args.checkpoint, args.max_len)
    sources = [encode_source(tokenize_sentence(s), src_vocab) for s, _ in read_multi30k("test")[: args.sentences]]
    rows = []
    with bench_threads(args.threads):
        for beam_size in (1, 5):
            rows.append(bench_decoder(model, sources, beam_size, args.batch_size, args.max_len, args.rounds,
                                      args.threads))
            row = rows[-1]
            print(f"beam {beam_size}: batched {row['batched_sentences_per_s']} sentences/s, one at a time "
                  f"{row['single_sentences_per_s']} sentences/s; {row['speedup'].line()}; "
                  f"{row['differing_outputs']} differing outputs", flush=True)
    write_results(args, env, description, rows)
    return 0 if all(row["differing_outputs"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
