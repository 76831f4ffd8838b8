"""Plots for run reports (matplotlib, Agg backend, files written atomically).

Plots that read at a glance: a series with few points is drawn with markers (a line through four
evaluations hides where they were), an axis whose values are all whole numbers (epochs, updates, k)
gets whole-number ticks, a legend goes where matplotlib finds room only if it covers no data there
(otherwise outside the axes, to the right), and the numbers written on a heat map are dark on light
cells and light on dark ones, whatever the colour map.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from common.fileio import atomic_path  # noqa: E402

FEW_POINTS = 30           # a series with at most this many points gets markers
LEGEND_MARGIN_PX = 4.0    # data this close to a legend counts as covered by it


def save_figure(fig, path: str | Path) -> Path:
    """Write `fig` to `path` (format from the suffix, PNG by default) atomically and close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def place_legend(ax) -> None:
    """A legend for `ax` at matplotlib's 'best' spot if no plotted line passes under it there, else
    outside the axes to the right (the saved figure grows to hold it)."""
    legend = ax.legend(loc="best", fontsize="small")
    if _covers_lines(ax, legend):
        legend.remove()
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")


def _covers_lines(ax, legend) -> bool:
    """Whether any line of `ax` (its points, or the segments between them) runs under `legend`."""
    ax.figure.canvas.draw()  # settles the axis limits and the legend's 'best' spot
    box = legend.get_window_extent().padded(LEGEND_MARGIN_PX)
    for line in ax.get_lines():
        points = ax.transData.transform(np.asarray(line.get_xydata(), dtype=float))  # (n, 2) in pixels
        points = points[np.isfinite(points).all(axis=1)]
        if len(points) == 0:
            continue
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])  # (n,) arc length
        samples = np.arange(0.0, along[-1] + 1.0, 1.0)  # every pixel along the drawn line
        xs = np.concatenate([points[:, 0], np.interp(samples, along, points[:, 0])])
        ys = np.concatenate([points[:, 1], np.interp(samples, along, points[:, 1])])
        if np.any((xs >= box.x0) & (xs <= box.x1) & (ys >= box.y0) & (ys <= box.y1)):
            return True
    return False


def plot_curves(
    series: Mapping[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str = "",
    logx: bool = False,
    logy: bool = False,
) -> Path:
    """Line plot of named series; each value is ``ys`` (x = 1..n) or an ``(xs, ys)`` pair.

    Series of at most `FEW_POINTS` points get markers; when every x is a whole number (epochs, updates)
    the x ticks are whole numbers; the legend (two or more series) is kept clear of the lines.
    """
    if not series:
        raise ValueError("plot_curves needs at least one series")
    fig, ax = plt.subplots(figsize=(6, 4))
    every_x = []
    for label, values in series.items():
        if isinstance(values, tuple):
            xs, ys = values
        else:
            ys = values
            xs = np.arange(1, len(ys) + 1)
        xs = np.asarray(xs, dtype=float)
        every_x.append(xs)
        ax.plot(xs, ys, label=label, marker="o" if len(xs) <= FEW_POINTS else None, markersize=4)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logx:
        ax.set_xscale("log")
    elif np.all(np.mod(np.concatenate(every_x), 1.0) == 0.0):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(series) > 1:
        place_legend(ax)
    return save_figure(fig, path)


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
        for (i, j), value in np.ndenumerate(matrix):
            text = f"{value:d}" if np.issubdtype(matrix.dtype, np.integer) else f"{value:.2f}"
            red, green, blue, _ = image.cmap(image.norm(value))           # the cell's colour
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5           # perceived brightness
            ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return save_figure(fig, path)


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
    return save_figure(fig, path)
