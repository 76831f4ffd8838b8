"""Train deep averaging networks on SST-2 and SST-5 in edugrad; pick the epoch on dev; report test.

    python -m hw4_dan.run --config hw4_dan/config.quick.yaml
    python -m hw4_dan.run --views '[sst2]' --word_dropout 0 --depth 1
    python -m hw4_dan.run --ensemble 4                          # four DANs, probabilities averaged
    python -m hw4_dan.run --resume runs/hw4_dan/<run id>      # continue an interrupted run

Config (config.py) -> for each view: data (data.py: SST sentences or phrases, vocabulary, indices)
-> fit (train.py: the epochs of one DAN, or of an ensemble side by side; best.ckpt at the best dev
epoch; last.ckpt to resume) -> evaluate (evaluate.py: dev and test metrics, confusion matrix,
curves, the most confidently wrong dev sentences). The run folder ``runs/hw4_dan/<run id>/`` gets,
per view, ``<view>.best.ckpt`` (member i > 0 of an ensemble: ``<view>.member<i>.best.ckpt``),
``<view>.last.ckpt``, ``<view>_curves.png``, ``<view>_confusion.png``, ``vocab_<view>.tsv``, and
``metrics.json`` with the dev and test accuracy and macro-F1 of the best dev epoch and the ten most
confidently wrong dev sentences (also in the log).
"""
from __future__ import annotations

from typing import Any

from threadpoolctl import threadpool_limits

from common.run import Run, run_cli, summary_row
from hw4_dan.config import Config
from hw4_dan.data import ViewData, load_view
from hw4_dan.evaluate import evaluate_view
from hw4_dan.train import fit


def main(config: Config, run: Run) -> dict[str, Any]:
    metrics: dict[str, Any] = {"views": {}}
    summary = []
    for view in config.views:
        with threadpool_limits(limits=config.threads):
            data = load_view(config, view)
            data.vocab.save(run.path(f"vocab_{view}.tsv"))
            run.log(describe(data, config))
            models, history, seconds = fit(config, data, run)
            results = evaluate_view(models, data, history, run)
        metrics["views"][view] = {"best_epoch": history.best_epoch, "train_seconds": round(seconds, 2),
                                  "train_examples": len(data.splits["train"]), "vocab_size": len(data.vocab),
                                  **results}
        summary += summary_rows(data, results)
    metrics["summary"] = summary
    return metrics


def describe(data: ViewData, config: Config) -> str:
    """The log's line about a view's data: sizes, vocabulary, unknown words."""
    dev, test = data.splits["dev"], data.splits["test"]
    kind = "phrases" if config.train_phrases else "sentences"
    return (f"{data.name}: {len(data.splits['train']):,} training {kind}, {len(dev):,} dev and {len(test):,} test "
            f"sentences; vocabulary {len(data.vocab):,}; unknown tokens: dev {dev.unknown:,}, test {test.unknown:,}; "
            f"sentences with only unknown words: dev {dev.all_unknown}, test {test.all_unknown}")


def summary_rows(data: ViewData, results: dict[str, Any]) -> list[dict[str, Any]]:
    """The make-run table's rows of a view: test accuracy; and macro-F1 where there are more than two classes."""
    rows = [summary_row(f"{data.name} test", "DAN accuracy (best dev epoch)", round(results["test"]["accuracy"], 4),
                        key=f"{data.view}_test_accuracy")]
    if data.num_classes > 2:
        rows.append(summary_row(f"{data.name} test", "DAN macro-F1 (best dev epoch)",
                                round(results["test"]["macro_f1"], 4), key=f"{data.view}_test_macro_f1"))
    return rows


if __name__ == "__main__":
    run_cli("hw4_dan", Config, main,
            description="Train deep averaging networks (edugrad) on SST-2 and SST-5, keep the best dev epoch, "
                        "report dev and test accuracy and macro-F1; --ensemble N averages N DANs.")
