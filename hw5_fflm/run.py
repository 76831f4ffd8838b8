"""Train Bengio's feed-forward language model in edugrad and compare it with Kneser–Ney.

    python -m hw5_fflm.run --config hw5_fflm/config.quick.yaml
    python -m hw5_fflm.run --epochs 2 --hidden_dim 200 --direct true
    python -m hw5_fflm.run --resume runs/hw5_fflm/<id>          # continue a killed run

Config (config.py) -> corpus and windows (data.py) -> the Kneser–Ney baseline counted and scored
(compare.py) -> fit (train.py: epochs, plateau schedule, samples, best.ckpt) -> the feed-forward
model, Kneser–Ney and their interpolation on dev and test (compare.py). Writes into
``runs/hw5_fflm/<run id>/``: ``vocab.tsv``, ``best.ckpt`` (the weights with the best development
perplexity, tested), ``last.ckpt`` (for --resume), ``curves.png`` (training and development
perplexity per epoch), ``log.txt`` (with sampled text after every epoch) and ``metrics.json``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from common.run import Run, run_cli, summary_row
from hw5_fflm.compare import KneserNeyScores, Perplexities, compare, plot_learning_curves, score_kneser_ney
from hw5_fflm.config import Config
from hw5_fflm.data import Corpus, load_corpus
from hw5_fflm.evaluate import perplexity_of, token_log_probs
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.train import History, fit


def main(config: Config, run: Run) -> dict[str, Any]:
    corpus = load_corpus(config)
    corpus.vocab.save(run.path("vocab.tsv"))
    train_w, dev_w, test_w = (corpus.windows(split, config.context_size)
                              for split in (corpus.train, corpus.dev, corpus.test))
    run.log(f"{corpus.name}: vocabulary {len(corpus.vocab):,} (with <unk>, </s>, <s>); windows train "
            f"{len(train_w):,}, {corpus.dev} {len(dev_w):,}, {corpus.test} {len(test_w):,} (context "
            f"{config.context_size} words)")

    kn = score_kneser_ney(corpus, config.kn_order)
    run.log(f"Kneser-Ney {kn.order}-gram: {corpus.dev} perplexity {perplexity_of(kn.dev):.1f}, {corpus.test} "
            f"{perplexity_of(kn.test):.1f} ({kn.seconds:.1f} s to count and score)")

    rng = np.random.default_rng(config.seed)
    model = FeedForwardLM(len(corpus.vocab), config.context_size, config.embedding_dim, config.hidden_dim,
                          direct=config.direct, dropout=config.dropout, embedding_std=config.embedding_std,
                          tie_embeddings=config.tie_embeddings, rng=rng)
    num_parameters = sum(p.size for p in model.parameters())
    run.log(f"feed-forward model: {num_parameters:,} parameters; {config.optimizer} lr {config.lr:g}, "
            f"batch {config.batch_size}, {config.epochs} epochs")
    history = fit(model, rng, corpus, train_w, dev_w, config, run)

    nn_dev, nn_test = (token_log_probs(model, windows, config.eval_batch_size) for windows in (dev_w, test_w))
    results, weight = compare(nn_dev, nn_test, kn)
    for name, (dev, test) in results.items():
        run.log(f"{name}: {corpus.dev} perplexity {dev:.1f}, {corpus.test} {test:.1f}")
    kn_test, mixed_test = results[kn.name][1], results["interpolated"][1]
    run.log(f"interpolation weight of the feed-forward model (tuned on {corpus.dev}): {weight:.2f}; "
            f"{corpus.test} perplexity {100 * (1 - mixed_test / kn_test):.1f} % below {kn.name}")
    plot_learning_curves(history, results[kn.name][0], kn.name, corpus, run.path("curves.png"))
    return metrics(results, weight, history, kn, corpus, num_parameters)


def metrics(results: Perplexities, weight: float, history: History, kn: KneserNeyScores, corpus: Corpus,
            num_parameters: int) -> dict[str, Any]:
    """metrics.json: the three models' perplexities, the interpolation weight, the history, the table's rows."""
    test_label = f"{corpus.name} {corpus.test}"
    return {
        "vocab_size": len(corpus.vocab),
        "parameters": num_parameters,
        "perplexity": {name: {corpus.dev: dev, corpus.test: test} for name, (dev, test) in results.items()},
        "interpolation_weight": weight,
        "history": {"train_perplexity": history.train_perplexity, "dev_perplexity": history.dev_perplexity,
                    "lr": history.lr, "epoch_seconds": [round(s, 2) for s in history.seconds]},
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.dev_perplexity),
        "kn_seconds": round(kn.seconds, 2),
        "train_seconds": round(sum(history.seconds), 2),
        "summary": [
            summary_row(test_label, "perplexity, feed-forward LM (edugrad)", round(results["feed-forward"][1], 2),
                        key="test_perplexity_fflm"),
            summary_row(test_label, f"perplexity, Kneser-Ney {kn.order}-gram", round(results[kn.name][1], 2),
                        key="test_perplexity_kn"),
            summary_row(test_label, f"perplexity, interpolated (weight {weight:.2f})",
                        round(results["interpolated"][1], 2), key="test_perplexity_interpolated"),
        ],
    }


if __name__ == "__main__":
    run_cli("hw5_fflm", Config, main, description="Train Bengio's feed-forward language model (edugrad) on PTB, "
            "count a Kneser-Ney baseline, and report both models' and their interpolation's perplexities.")
