"""Our numpy SGNS against gensim's Word2Vec (``make bench-hw2``): training speed and WordSim-353.

Both train on the same corpus (PTB train) with the same vocabulary cut-off, dimension, window,
negatives, subsampling threshold, initial learning rate and epochs; gensim runs skip-gram
(``sg=1``). Speed is in-vocabulary corpus tokens x epochs / training seconds for both (vocabulary
building excluded for both). Targets: ours >= 0.5x gensim's speed, and a WordSim-353 Spearman
within 0.03 of gensim's.

One thread per side by default: numpy's BLAS on `--threads` threads, gensim with `--threads`
workers. The two trainers alternate for `--rounds` rounds (common/bench_results.py); the ratio is
the median of the per-round ratios, with their range, and there is no speed verdict when the
machine was loaded.

    python -m hw2_word2vec.bench                  # writes bench/results/hw2.json and hw2.md
    python -m hw2_word2vec.bench --epochs 1 --rounds 3 --threads 2
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from common.bench_results import (
    at_least,
    bench_threads,
    machine,
    machine_line,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from common.data import read_ptb
from common.skipgram import SkipGramData
from common.skipgram_run import train_skipgram
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors, wordsim_spearman
from hw2_word2vec.sgns import SGNSModel

SPEED_TARGET = 0.5        # ours / gensim words per second
SPEARMAN_TOLERANCE = 0.03
SETTINGS = ("epochs", "rounds", "threads", "dim", "window", "negatives", "subsample", "min_freq", "batch_size", "lr",
            "seed")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Train ours and gensim's in alternating rounds; the speed ratio and both Spearman correlations."""
    from gensim.models import Word2Vec

    sentences = read_ptb("train")
    vocab = Vocabulary.from_tokens(sentences, specials=(), min_freq=args.min_freq)
    data = SkipGramData(sentences, vocab, args.window, args.negatives, args.subsample, args.seed)
    spearman = {}

    def ours() -> float:
        model = SGNSModel(len(vocab), args.dim, np.random.default_rng(args.seed))
        seconds = train_skipgram(model, data, args.epochs, args.batch_size, args.lr).seconds
        spearman["ours"] = wordsim_spearman(WordVectors(vocab.tokens, model.target_embeddings)).spearman
        return seconds

    def gensim() -> float:
        reference = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_freq, sg=1,
                             negative=args.negatives, sample=args.subsample, alpha=args.lr, min_alpha=args.lr * 1e-4,
                             workers=args.threads, seed=args.seed)
        reference.build_vocab(sentences)
        start = time.perf_counter()
        reference.train(sentences, total_examples=len(sentences), epochs=args.epochs)
        seconds = time.perf_counter() - start
        spearman["gensim"] = wordsim_spearman(WordVectors(list(reference.wv.index_to_key),
                                                          reference.wv.vectors)).spearman
        return seconds

    with bench_threads(args.threads):
        rounds = run_rounds({"ours": ours, "gensim": gensim}, args.rounds, args.threads)
    words = data.num_tokens * args.epochs
    return {"rounds": rounds, "words": words,
            "speed": rounds.ratio("ours", "gensim", of="speed", target=at_least(SPEED_TARGET)),
            "words_per_second": {side: words / rounds.median(side) for side in ("ours", "gensim")},
            "spearman": spearman}


def write_results(args: argparse.Namespace, measured: dict[str, Any]) -> None:
    settings = {key: getattr(args, key) for key in SETTINGS}
    command = "python -m hw2_word2vec.bench " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in settings.items())
    env, rounds, speed, spearman = machine(args.threads), measured["rounds"], measured["speed"], measured["spearman"]
    gap = abs(spearman["ours"] - spearman["gensim"])
    spearman_verdict = "met" if gap <= SPEARMAN_TOLERANCE else "not met"
    payload = {"benchmark": "hw2 SGNS (numpy) vs gensim Word2Vec sg=1 on PTB train", "command": command,
               "machine": env, "settings": settings, "words_per_round": measured["words"],
               "median_words_per_second": {k: round(v) for k, v in measured["words_per_second"].items()},
               "speed_ratio": speed.as_dict(), "spearman": spearman, "spearman_tolerance": SPEARMAN_TOLERANCE,
               "spearman_verdict": spearman_verdict, "rounds": rounds.as_dict()}
    wps = measured["words_per_second"]
    lines = ["# hw2: SGNS in numpy vs gensim Word2Vec (sg=1)", "",
             f"Command: `{command}`  ", f"Machine: {machine_line(env)}  ", f"Load: {rounds.load_line()}", "",
             "| | ours | gensim |", "|---|---|---|",
             f"| words/s (median of {args.rounds} rounds) | {wps['ours']:,.0f} | {wps['gensim']:,.0f} |",
             f"| WordSim-353 Spearman | {spearman['ours']:.3f} | {spearman['gensim']:.3f} |", "",
             *verdict_table([("training speed", speed)]),
             f"| WordSim-353 Spearman: ours - gensim | {spearman['ours'] - spearman['gensim']:+.3f} | "
             f"within {SPEARMAN_TOLERANCE} | {spearman_verdict} |", "",
             "Words/s = in-vocabulary PTB train tokens x epochs / training seconds (vocabulary building excluded for "
             f"both). numpy's BLAS on {args.threads} thread(s), gensim with {args.threads} worker(s); the two "
             "alternate round by round.", ""]
    print("\n".join(lines))
    write_bench_results("hw2", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw2_word2vec.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="numpy's BLAS threads and gensim's workers (default 1)")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negatives", type=int, default=5)
    parser.add_argument("--subsample", type=float, default=1e-3)
    parser.add_argument("--min-freq", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    measured = measure(args)
    print(measured["speed"].line())
    write_results(args, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
