"""Train skip-gram with negative sampling written in edugrad, and evaluate the word vectors like hw2.

    python -m hw3_edugrad.run --config hw3_edugrad/config.quick.yaml
    python -m hw3_edugrad.run --epochs 1 --max_sentences 5000 --probes '[money, stock]'

Writes ``vectors.txt`` (word2vec text format), ``vocab.tsv``, ``loss.png``, ``pca.png`` and
``metrics.json`` (WordSim-353 Spearman, OOV pairs, nearest neighbours, words/s) into
``runs/hw3_edugrad/<run id>/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.data import read_ptb
from common.plots import plot_curves, plot_scatter_labels
from common.run import Run, run_cli, summary_row
from common.skipgram import SkipGramData
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors, pca_2d, wordsim_spearman
from hw3_edugrad.word2vec import EdugradSGNS, train


@dataclass
class Config:
    seed: int = 0
    max_sentences: int | None = None      # keep only the first lines of PTB train (tiny runs and tests)
    min_freq: int = 5                     # word2vec's min_count: rarer words are dropped
    dim: int = 100
    window: int = 5                       # largest window; each position draws its size from 1..window
    negatives: int = 5                    # k
    subsample: float = 1e-3               # Mikolov's t
    epochs: int = 10
    batch_size: int = 1024                # pairs per SGD step
    lr: float = 0.025                     # initial learning rate (per pair: the loss is summed), decays linearly
    min_lr_fraction: float = 1e-4
    probes: list[str] = field(default_factory=lambda: ["money", "president", "stock", "japan", "good", "computer"])
    neighbours: int = 8
    pca_words: list[str] = field(default_factory=lambda: [
        "monday", "friday", "january", "march", "june", "japan", "germany", "france", "britain",
        "dollar", "yen", "buy", "sell", "bought", "sold", "president", "chairman", "director",
    ])

    def __post_init__(self) -> None:
        if self.window < 1 or self.dim < 1 or self.epochs < 1 or self.batch_size < 1 or self.min_freq < 1:
            raise ValueError("window, dim, epochs, batch_size and min_freq must all be >= 1")
        if self.negatives < 1:
            raise ValueError(f"negatives must be >= 1 (one positive needs at least one negative), got {self.negatives}")
        if self.lr <= 0 or self.subsample < 0 or not 0 < self.min_lr_fraction <= 1:
            raise ValueError(f"need lr > 0, subsample >= 0 and 0 < min_lr_fraction <= 1; got lr={self.lr}, "
                             f"subsample={self.subsample}, min_lr_fraction={self.min_lr_fraction}")
        if self.max_sentences is not None and self.max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1 or null (all of PTB train), got {self.max_sentences}")


def main(config: Config, run: Run) -> dict[str, Any]:
    sentences = read_ptb("train")[: config.max_sentences]
    dataset = "PTB train" if config.max_sentences is None else f"PTB train (first {config.max_sentences} lines)"
    vocab = Vocabulary.from_tokens(sentences, specials=(), min_freq=config.min_freq)
    if len(vocab) == 0:
        raise ValueError(f"no word occurs {config.min_freq} times; lower min_freq or use more text")
    vocab.save(run.path("vocab.tsv"))
    for word in config.probes + config.pca_words:
        if word not in vocab:
            raise ValueError(f"probe word {word!r} is not in the vocabulary; choose words that occur at least "
                             f"{config.min_freq} times in {dataset} (--probes / --pca_words) or lower min_freq")
    data = SkipGramData(sentences, vocab, config.window, config.negatives, config.subsample, config.seed)
    run.log(f"{dataset}: {sum(map(len, sentences)):,} tokens, {data.num_tokens:,} in the vocabulary of "
            f"{len(vocab):,} words (min_freq {config.min_freq})")

    model = EdugradSGNS(len(vocab), config.dim, np.random.default_rng(config.seed))
    history = train(model, data, config.epochs, config.batch_size, config.lr, config.min_lr_fraction,
                    progress=lambda it, desc, total: run.progress(it, desc, total=total))
    run.log(f"trained {history.pairs:,} pairs in {history.seconds:.1f} s: {history.words_per_second:,.0f} words/s; "
            f"final loss per pair {history.loss[-1]:.3f}")

    vectors = WordVectors(vocab.tokens, model.target_embeddings)
    vectors.save(run.path("vectors.txt"))
    similarity = wordsim_spearman(vectors)
    run.log(f"WordSim-353: Spearman {similarity.spearman:.3f} on {similarity.pairs_used} pairs "
            f"({similarity.oov_pairs} pairs skipped: a word outside the vocabulary)")
    neighbours = {word: vectors.nearest(word, config.neighbours) for word in config.probes}
    for word, near in neighbours.items():
        run.log(f"  {word}: " + ", ".join(f"{w} ({cos:.2f})" for w, cos in near))

    epochs_axis = [p * config.epochs for p in history.progress]
    plot_curves({"train": (epochs_axis, history.loss)}, run.path("loss.png"), xlabel="epoch",
                ylabel="mean SGNS loss per pair", title=f"SGNS in edugrad on {dataset}")
    plot_scatter_labels(pca_2d(vectors.vectors_of(config.pca_words)), config.pca_words, run.path("pca.png"),
                        title="word vectors, first two principal components")
    return {
        "vocab_size": len(vocab),
        "tokens": data.num_tokens,
        "pairs": history.pairs,
        "train_seconds": round(history.seconds, 2),
        "words_per_second": round(history.words_per_second),
        "final_loss": history.loss[-1],
        "loss_curve": {"epochs": epochs_axis, "loss": history.loss},
        "wordsim353": {"spearman": similarity.spearman, "pairs_used": similarity.pairs_used,
                       "oov_pairs": similarity.oov_pairs},
        "neighbours": {word: [[w, round(c, 4)] for w, c in near] for word, near in neighbours.items()},
        "summary": [
            summary_row(dataset, "WordSim-353 Spearman (edugrad SGNS)", round(similarity.spearman, 4)),
            summary_row(dataset, "WordSim-353 OOV pairs", similarity.oov_pairs),
            summary_row(dataset, "final loss per pair", round(history.loss[-1], 4)),
            summary_row(dataset, "words/s (edugrad)", round(history.words_per_second)),
        ],
    }


if __name__ == "__main__":
    run_cli("hw3_edugrad", Config, main)
