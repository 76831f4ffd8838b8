"""Plots for run reports (matplotlib, Agg backend, files written atomically)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.fileio import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_curves(
    series: Mapping[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str = "",
    logx: bool = False,
    logy: bool = False,
) -> Path:
    """Line plot of named series; each value is ``ys`` (x = 1..n) or an ``(xs, ys)`` pair."""
    if not series:
        raise ValueError("plot_curves needs at least one series")
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        if isinstance(values, tuple):
            xs, ys = values
        else:
            ys = values
            xs = np.arange(1, len(ys) + 1)
        ax.plot(xs, ys, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    return _save(fig, path)


def plot_heatmap(
    matrix: np.ndarray,
    path: str | Path,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    annotate: bool = False,
    cmap: str = "viridis",
) -> Path:
    """Heat map of a ``[rows, cols]`` matrix (attention weights, confusion counts, ...)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"plot_heatmap expects a 2-D matrix, got shape {matrix.shape}")
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * cols + 2), max(3, 0.5 * rows + 1.5)))
    image = ax.imshow(matrix, cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax)
    if col_labels is not None:
        ax.set_xticks(range(cols), labels=list(col_labels), rotation=60, ha="right")
    if row_labels is not None:
        ax.set_yticks(range(rows), labels=list(row_labels))
    if annotate:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (i, j), value in np.ndenumerate(matrix):
            text = f"{value:d}" if np.issubdtype(matrix.dtype, np.integer) else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", color="white" if value < threshold else "black")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return _save(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Confusion matrix ``[num_classes, num_classes]`` (rows: gold, columns: predicted), counts annotated."""
    return plot_heatmap(matrix, path, labels, labels, title=title, xlabel="predicted", ylabel="gold",
                        annotate=True, cmap="Blues")


def plot_scatter_labels(points: np.ndarray, labels: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Scatter of ``[n, 2]`` points, each annotated with its label (e.g. a 2-D PCA of word vectors)."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
        raise ValueError(f"expected points [n, 2] and n labels, got {points.shape} and {len(labels)} labels")
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(points[:, 0], points[:, 1], s=12)
    for (x, y), label in zip(points, labels, strict=True):
        ax.annotate(label, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set(title=title)
    return _save(fig, path)
