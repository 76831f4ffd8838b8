"""The run's accuracy-vs-k figure: a grid of a handful of cells, drawn so that it reads at a glance.

One panel per calibration variant (uncalibrated, content-free, batch), one row of panels per model; in
each panel one colour per demonstration strategy, a point per k (k on whole-number ticks, equally
spaced: the grid doubles k), points of one k set side by side, and the zero-shot accuracy as a dashed
line. The legend sits under the panels, clear of the data.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from common.plots import save_figure

VARIANTS = {"accuracy": "uncalibrated", "calibrated": "content-free calibration",
            "batch_calibrated": "batch calibration"}
SPREAD = 0.5  # the width, in k columns, over which one k's strategies are set side by side


def plot_accuracy_vs_k(rows: Sequence[dict], path: str | Path, title: str) -> Path | None:
    """Draw `rows` (grid rows: model, k, strategy, labels, accuracy, calibrated, batch_calibrated; random-label
    rows included) into `path`; None (nothing written) when no row has k > 0."""
    ks = sorted({row["k"] for row in rows if row["k"] > 0})
    if not ks:
        return None
    models = list(dict.fromkeys(row["model"] for row in rows))
    series = list(dict.fromkeys(_series(row) for row in rows if row["k"] > 0))
    column = {k: i for i, k in enumerate(ks)}
    fig, axes = plt.subplots(len(models), len(VARIANTS), figsize=(3.2 * len(VARIANTS), 2.9 * len(models) + 0.6),
                             sharey=True, squeeze=False, layout="constrained")
    for model, panel_row in zip(models, axes, strict=True):
        for (key, variant), ax in zip(VARIANTS.items(), panel_row, strict=True):
            zero = next((row for row in rows if row["model"] == model and row["k"] == 0), None)
            if zero is not None:
                ax.axhline(zero[key], color="grey", linestyle="--", linewidth=1, label="k = 0 (no demonstrations)")
            for j, name in enumerate(series):
                points = sorted((row for row in rows if row["model"] == model and row["k"] > 0
                                 and _series(row) == name), key=lambda row: row["k"])
                offset = (j - (len(series) - 1) / 2) * SPREAD / max(1, len(series) - 1)
                ax.plot([column[row["k"]] + offset for row in points], [row[key] for row in points],
                        marker="x" if "random labels" in name else "o", linestyle="-" if len(ks) > 1 else "none",
                        color=f"C{j}", label=name)
            ax.set_xticks(range(len(ks)), labels=[str(k) for k in ks])
            ax.set_xlim(-0.6, len(ks) - 0.4)
            ax.set(title=variant if len(models) == 1 else f"{model}: {variant}", xlabel="k (demonstrations)")
            ax.grid(alpha=0.3, axis="y")
        panel_row[0].set_ylabel("accuracy")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3), fontsize="small")
    fig.suptitle(title)
    return save_figure(fig, path)


def _series(row: dict) -> str:
    return f"{row['strategy']}, random labels" if row.get("labels") == "random" else row["strategy"]
