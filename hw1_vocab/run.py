"""Build a vocabulary and describe a corpus: counts, top-k coverage, dev OOV rates, Zipf plot.

    python -m hw1_vocab.run                                  # SST train, case kept (config.yaml)
    python -m hw1_vocab.run --lowercase true --vocab_min_freq 3
    python -m hw1_vocab.run --corpus ptb                     # or sst2 (GLUE-style tsv)

Config (config.py) -> corpus (corpora.py) -> counts, coverage, OOV rates and the Zipf fit (the
student's counting.py, coverage.py, oov.py, zipf.py). Nothing is trained, so there is nothing to resume.
Writes ``vocab.tsv`` (common.vocabulary format), ``zipf.png``, ``coverage.png`` and ``metrics.json``
into ``runs/hw1_vocab/<run id>/``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from common.plots import plot_curves
from common.run import Run, run_cli, summary_row
from common.vocabulary import Vocabulary
from hw1_vocab.config import Config
from hw1_vocab.corpora import corpus_label, load_corpus
from hw1_vocab.counting import count_tokens, type_token_counts
from hw1_vocab.coverage import top_k_coverage, types_for_coverage
from hw1_vocab.oov import oov_rate
from hw1_vocab.zipf import fit_zipf_exponent, rank_frequency


def main(config: Config, run: Run) -> dict[str, Any]:
    train_label = corpus_label(config.corpus, "train", config.lowercase)
    dev_label = corpus_label(config.corpus, "dev", config.lowercase)
    train = load_corpus(config.corpus, "train", config.lowercase, config.data)
    dev = load_corpus(config.corpus, "dev", config.lowercase, config.data)

    counts = count_tokens(train)
    num_types, num_tokens = type_token_counts(counts)
    ranks, frequencies = rank_frequency(counts)  # [num_types] each, most frequent first
    hapaxes = int(np.sum(frequencies == 1))
    run.log(f"{train_label}: {len(train):,} examples (sentences; rows for sst2), {num_tokens:,} tokens, "
            f"{num_types:,} types (type/token ratio {num_types / num_tokens:.4f}; {hapaxes:,} types occur once)")

    vocab = Vocabulary(counts, specials=config.specials, min_freq=config.vocab_min_freq,
                       max_size=config.vocab_max_size)
    vocab.save(run.path("vocab.tsv"))
    vocab_oov = oov_rate(dev, vocab)
    run.log(f"vocabulary (min_freq={config.vocab_min_freq}, max_size={config.vocab_max_size}): {len(vocab):,} "
            f"entries -> {run.path('vocab.tsv')}; {dev_label} OOV rate {vocab_oov:.4f}")

    coverage = {k: top_k_coverage(counts, k) for k in config.coverage_k}
    types_needed = {share: types_for_coverage(counts, share) for share in config.coverage_shares}
    run.log("top-k coverage of training tokens: " + ", ".join(f"k={k}: {c:.4f}" for k, c in coverage.items()))
    run.log("types needed to cover a share of training tokens: "
            + ", ".join(f"{share:.0%}: {k:,}" for share, k in types_needed.items()))

    oov_rows = [_oov_row(counts, dev, config.specials, min_freq=m) for m in config.oov_min_freq]
    oov_rows += [_oov_row(counts, dev, config.specials, max_size=s) for s in config.oov_max_size]
    run.log(f"{dev_label} OOV rate by vocabulary setting:")
    for row in oov_rows:
        run.log(f"  min_freq={row['min_freq']:<3} max_size={row['max_size']!s:<6} size={row['size']:>7,}  "
                f"OOV rate {row['oov_rate']:.4f}")

    stop = config.zipf_max_rank or num_types
    in_range = (ranks >= config.zipf_min_rank) & (ranks <= stop)
    fit = fit_zipf_exponent(ranks[in_range], frequencies[in_range])
    run.log(f"Zipf fit on ranks {config.zipf_min_rank}..{min(stop, num_types)}: exponent s = {fit.exponent:.4f}, "
            f"C = {np.exp(fit.log_constant):,.1f}")
    plot_curves({train_label: (ranks, frequencies),
                 f"fit: {np.exp(fit.log_constant):,.0f} / r^{fit.exponent:.2f}": (ranks, fit.predict(ranks))},
                run.path("zipf.png"), xlabel="rank", ylabel="frequency", logx=True, logy=True,
                title=f"Zipf plot, {train_label}")
    cumulative = np.cumsum(frequencies) / num_tokens  # [num_types]: coverage of the top-k types, k = 1..
    plot_curves({train_label: (ranks, cumulative)}, run.path("coverage.png"), xlabel="k (most frequent types kept)",
                ylabel="share of training tokens covered", logx=True, title="Top-k coverage")

    oov_name = f"OOV rate (min_freq={config.vocab_min_freq}"
    oov_name += f", max_size={config.vocab_max_size})" if config.vocab_max_size else ")"
    return {
        "corpus": config.corpus, "lowercase": config.lowercase,
        "train_examples": len(train), "dev_examples": len(dev),
        "types": num_types, "tokens": num_tokens, "hapaxes": hapaxes,
        "vocab_size": len(vocab), "vocab_oov_rate": vocab_oov,
        "top_k_coverage": {str(k): c for k, c in coverage.items()},
        "types_for_coverage": {str(share): k for share, k in types_needed.items()},
        "oov": oov_rows,
        "zipf": {"exponent": fit.exponent, "log_constant": fit.log_constant,
                 "min_rank": config.zipf_min_rank, "max_rank": int(min(stop, num_types))},
        "summary": [
            summary_row(train_label, "types", num_types, key="train_types"),
            summary_row(train_label, "tokens", num_tokens, key="train_tokens"),
            summary_row(dev_label, oov_name, round(vocab_oov, 4), key="dev_oov_rate"),
            summary_row(train_label, "Zipf exponent", round(fit.exponent, 4), key="zipf_exponent"),
        ],
    }


def _oov_row(counts, dev: list[list[str]], specials: list[str], min_freq: int = 1,
             max_size: int | None = None) -> dict[str, Any]:
    vocab = Vocabulary(counts, specials=specials, min_freq=min_freq, max_size=max_size)
    return {"min_freq": min_freq, "max_size": max_size, "size": len(vocab), "oov_rate": oov_rate(dev, vocab)}


if __name__ == "__main__":
    run_cli("hw1_vocab", Config, main, description="Count a corpus's words (SST by default; no training): types "
            "and tokens, top-k coverage, dev OOV rates by vocabulary setting, and Zipf's law fitted and plotted.")
