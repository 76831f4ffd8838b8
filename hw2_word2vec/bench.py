"""Our numpy SGNS against gensim's Word2Vec (``make bench-hw2``): training speed and WordSim-353.

Both train on the same corpus (PTB train) with the same vocabulary cut-off, dimension, window,
negatives, subsampling threshold, initial learning rate and epochs; gensim runs skip-gram
(``sg=1``) with one worker thread. Speed is in-vocabulary corpus tokens x epochs / training
seconds for both (vocabulary building excluded for both). Target: ours >= 0.5x gensim, and a
WordSim-353 Spearman within 0.03 of gensim's.

numpy's BLAS may use several threads while gensim uses one, so the comparison runs twice, each in
a fresh process: with OPENBLAS/OMP/MKL threads = 1 and with the default. Within each process the
two trainers alternate for `--rounds` rounds and the fastest round of each counts, so another
program on the machine disturbs the ratio less.

    python -m hw2_word2vec.bench                  # writes bench/results/hw2.json and hw2.md
    python -m hw2_word2vec.bench --epochs 1 --rounds 1
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np

from common.bench_results import write_bench_results
from common.data import read_ptb
from common.run import REPO_ROOT
from common.skipgram import SkipGramData
from common.skipgram_run import train_skipgram
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors, wordsim_spearman
from hw2_word2vec.sgns import SGNSModel

SPEED_TARGET = 0.5        # ours / gensim words per second
SPEARMAN_TOLERANCE = 0.03
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Train ours and gensim's alternately in this process; the best round's speed of each."""
    from gensim.models import Word2Vec

    sentences = read_ptb("train")
    vocab = Vocabulary.from_tokens(sentences, specials=(), min_freq=args.min_freq)
    data = SkipGramData(sentences, vocab, args.window, args.negatives, args.subsample, args.seed)
    ours_speed, gensim_speed = [], []
    for _ in range(args.rounds):
        model = SGNSModel(len(vocab), args.dim, np.random.default_rng(args.seed))
        history = train_skipgram(model, data, args.epochs, args.batch_size, args.lr)
        ours_speed.append(history.words_per_second)
        ours_spearman = wordsim_spearman(WordVectors(vocab.tokens, model.target_embeddings)).spearman

        reference = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_freq, sg=1,
                             negative=args.negatives, sample=args.subsample, alpha=args.lr, min_alpha=args.lr * 1e-4,
                             workers=1, seed=args.seed)
        reference.build_vocab(sentences)
        start = time.perf_counter()
        reference.train(sentences, total_examples=len(sentences), epochs=args.epochs)
        seconds = time.perf_counter() - start
        gensim_speed.append(data.num_tokens * args.epochs / seconds)
        wv = reference.wv
        gensim_spearman = wordsim_spearman(WordVectors(list(wv.index_to_key), wv.vectors)).spearman
    return {
        "blas_threads_setting": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "ours_words_per_second": max(ours_speed),
        "gensim_words_per_second": max(gensim_speed),
        "ratio": max(ours_speed) / max(gensim_speed),
        "ours_spearman": ours_spearman,
        "gensim_spearman": gensim_spearman,
        "all_rounds": {"ours": ours_speed, "gensim": gensim_speed},
    }


def run_worker(args: argparse.Namespace, threads: str) -> dict[str, Any]:
    """One measurement in a fresh process with the given BLAS thread setting."""
    env = dict(os.environ)
    for variable in THREAD_VARIABLES:
        env.pop(variable, None)
        if threads != "default":
            env[variable] = threads
    command = [sys.executable, "-m", "hw2_word2vec.bench", "--worker", *_forward(args)]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark worker (threads={threads}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _forward(args: argparse.Namespace) -> list[str]:
    keys = ("epochs", "rounds", "dim", "window", "negatives", "subsample", "min_freq", "batch_size", "lr", "seed")
    return [item for key in keys for item in (f"--{key.replace('_', '-')}", str(getattr(args, key)))]


def write_results(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    settings = {key: getattr(args, key) for key in
                ("epochs", "rounds", "dim", "window", "negatives", "subsample", "min_freq", "batch_size", "lr", "seed")}
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
    payload = {"benchmark": "hw2 SGNS (numpy) vs gensim Word2Vec sg=1 workers=1 on PTB train",
               "command": "python -m hw2_word2vec.bench " + " ".join(_forward(args)), "machine": machine,
               "settings": settings, "speed_target": SPEED_TARGET, "spearman_tolerance": SPEARMAN_TOLERANCE,
               "results": results}
    lines = ["# hw2: SGNS in numpy vs gensim Word2Vec (sg=1, workers=1)", "",
             f"Command: `{payload['command']}`  ", f"Machine: {machine}  ",
             f"Settings: {settings}", "",
             "| BLAS threads | ours words/s | gensim words/s | ours / gensim | Spearman ours | Spearman gensim |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['blas_threads_setting']} | {r['ours_words_per_second']:,.0f} | "
                     f"{r['gensim_words_per_second']:,.0f} | {r['ratio']:.2f} | {r['ours_spearman']:.3f} | "
                     f"{r['gensim_spearman']:.3f} |")
    lines += ["", f"Targets: ours / gensim >= {SPEED_TARGET}; |Spearman ours - gensim| <= {SPEARMAN_TOLERANCE}. "
              "Words/s = in-vocabulary PTB train tokens x epochs / training seconds (vocabulary building excluded "
              "for both); the best of the alternating rounds.", ""]
    print("\n".join(lines))
    write_bench_results("hw2", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw2_word2vec.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negatives", type=int, default=5)
    parser.add_argument("--subsample", type=float, default=1e-3)
    parser.add_argument("--min-freq", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", choices=["both", "1", "default"], default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args)))
        return 0
    settings = ["1", "default"] if args.threads == "both" else [args.threads]
    results = []
    for threads in settings:
        print(f"measuring with BLAS threads = {threads} ...", flush=True)
        results.append(run_worker(args, threads))
    write_results(args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
