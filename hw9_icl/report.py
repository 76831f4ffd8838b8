"""What a run reports (given code): the declared headline cell, ``accuracy.md`` (every cell uncalibrated,
calibrated and batch-calibrated with its p_cf; random labels; generation; ensembles), ``accuracy_vs_k.png``
and the metrics with their summary rows."""
from __future__ import annotations

from typing import Any

import numpy as np

from common.fileio import atomic_write_text
from common.run import Run, summary_row
from hw9_icl.config import CALIBRATIONS, Config, Headline
from hw9_icl.grid import GridResults
from hw9_icl.plots import plot_accuracy_vs_k


def declared_headlines(headline: Headline, rows: list[dict], multiple: bool) -> list[dict]:
    """The declared headline cell of each model, where the grid holds it: {model, cell, calibration, accuracy}."""
    found = []
    for row in rows:
        if row["k"] == headline.k and (headline.k == 0 or row["strategy"] == headline.strategy):
            cell = f"{row['model']}: {headline.describe()}" if multiple else headline.describe()
            found.append({"model": row["model"], "cell": cell, "k": headline.k, "strategy": row["strategy"],
                          "calibration": headline.calibration, "accuracy": row[CALIBRATIONS[headline.calibration][0]],
                          "chosen": "declared in the config before the run (headline), not picked from the grid"})
    return found


def write_report(run: Run, config: Config, results: GridResults, label_names: list[str]) -> None:
    """``accuracy.md`` and ``accuracy_vs_k.png`` in the run folder."""
    bias = f"p_cf ({' / '.join(label_names)})"
    lines = [f"SST-2 {config.split}, template `{config.template}`; headline cell, declared in the config: "
             f"{config.headline.describe()}. p_cf: the label distribution of the content-free inputs "
             "(the bias that calibration divides out).", "",
             f"| model | k | strategy | accuracy | calibrated | batch-calibrated | {bias} | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['k']} | {r['strategy']} | {r['accuracy']:.3f} | {r['calibrated']:.3f} | "
              f"{r['batch_calibrated']:.3f} | {_proportions(r['p_cf'])} | "
              f"{'cached' if r['seconds'] is None else r['seconds']} |" for r in results.rows]
    lines += _random_labels_table(results, bias) + _generation_table(results.generation)
    for e in results.ensembles:
        lines += ["", f"Ensemble of {len(e['members'])} prompts ({e['model']}: k={e['k']} class-balanced, templates "
                  f"{', '.join(e['templates'])}, seeds {', '.join(map(str, e['seeds']))}; log-probabilities averaged):",
                  "", "| members | accuracy | calibrated | batch-calibrated |", "|---|---|---|---|"]
        lines += [f"| {m['template']}, seed {m['seed']} | {m['accuracy']:.3f} | {m['calibrated']:.3f} | "
                  f"{m['batch_calibrated']:.3f} |" for m in e["members"]]
        lines.append(f"| **the ensemble** | {e['accuracy']:.3f} | {e['calibrated']:.3f} | "
                     f"{e['batch_calibrated']:.3f} |")
    atomic_write_text(run.path("accuracy.md"), "\n".join(lines) + "\n")
    plot_accuracy_vs_k(results.rows + results.random_labels, run.path("accuracy_vs_k.png"),
                       title=f"SST-2 {config.split} ({config.template} template)")


def _random_labels_table(results: GridResults, bias: str) -> list[str]:
    """Each random-label cell beside the gold-label cell with the same model, k and balanced demonstrations."""
    if not results.random_labels:
        return []
    lines = ["", "Random labels (balanced demonstrations):", "",
             f"| model | k | gold labels | random labels | gold, calibrated | random, calibrated | {bias}, random |",
             "|---|---|---|---|---|---|---|"]
    for r in results.random_labels:
        twin = next((g for g in results.rows if g["model"] == r["model"] and g["k"] == r["k"]
                     and g["strategy"] == "balanced"), None)
        gold_text = f"{twin['accuracy']:.3f} | " if twin else "n/a | "
        gold_cal = f"{twin['calibrated']:.3f} | " if twin else "n/a | "
        lines.append(f"| {r['model']} | {r['k']} | {gold_text}{r['accuracy']:.3f} | {gold_cal}"
                     f"{r['calibrated']:.3f} | {_proportions(r['p_cf'])} |")
    return lines


def _generation_table(generation: list[dict]) -> list[str]:
    if not generation:
        return []
    return ["", "Generation (balanced demonstrations):", "",
            "| model | decoding | k | accuracy | unparseable |", "|---|---|---|---|---|"] + [
        f"| {g['model']} | {g['decoding']} | {g['k']} | {g['accuracy']:.3f} | {g['unparseable']} of {g['n']} |"
        for g in generation]


def _proportions(values: list[float]) -> str:
    return " / ".join(f"{value:.3f}" for value in values)


def metrics(results: GridResults, headlines: list[dict], num_dev: int, split: str, calibration: str) -> dict[str, Any]:
    """The metrics; the summary holds declared figures only. Its keys name the first model's figures in
    reference.yaml (``headline_accuracy``, ...; ``test_headline_accuracy``, ... on the test split)."""
    rows, dataset = results.rows, f"SST-2 {split} ({num_dev})"
    first = rows[0]["model"] if rows else None

    def key(name: str, model: str) -> str | None:
        return (f"test_{name}" if split == "test" else name) if model == first else None

    summary = [summary_row(dataset, f"accuracy, {h['cell']} (declared in the config)", round(h["accuracy"], 4),
                           key=key("headline_accuracy", h["model"])) for h in headlines]
    for zero in (r for r in rows if r["k"] == 0):
        name = f"{zero['model']}: " if len({r["model"] for r in rows}) > 1 else ""
        summary += [summary_row(dataset, f"{name}k=0 accuracy", round(zero["accuracy"], 4),
                                key=key("zero_shot_accuracy", zero["model"])),
                    summary_row(dataset, f"{name}k=0 accuracy, calibrated on the content-free inputs",
                                round(zero["calibrated"], 4), key=key("zero_shot_calibrated", zero["model"]))]
    column, variant = CALIBRATIONS[calibration]
    summary += [summary_row(dataset, f"{e['model']}: ensemble of {len(e['members'])} prompts (k={e['k']}), {variant} "
                            "(declared in the config)", round(e[column], 4), key=key("ensemble_accuracy", e["model"]))
                for e in results.ensembles]
    return {"grid": rows, "random_labels": results.random_labels, "generation": results.generation,
            "ensembles": results.ensembles, "headline": headlines, "summary": summary,
            "accuracy_table": np.round([[r["k"], r["accuracy"], r["calibrated"], r["batch_calibrated"]] for r in rows],
                                       4).tolist()}
