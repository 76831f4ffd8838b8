"""common/plots.py: every plot writes a PNG file; bad shapes are rejected."""
from __future__ import annotations

import numpy as np
import pytest

from common.plots import plot_confusion_matrix, plot_curves, plot_heatmap, plot_scatter_labels

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def test_every_plot_writes_a_png(tmp_path):
    written = [
        plot_curves({"train": [3, 2, 1], "dev": ([1, 2, 3], [3.5, 2.5, 2.0])}, tmp_path / "curves.png", logy=True),
        plot_heatmap(np.random.default_rng(0).random((3, 4)), tmp_path / "heat.png", ["a", "b", "c"],
                     ["w", "x", "y", "z"], annotate=True),
        plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["neg", "pos"], tmp_path / "sub" / "confusion.png"),
        plot_scatter_labels(np.array([[0.0, 1.0], [1.0, 0.0]]), ["king", "queen"], tmp_path / "scatter.png"),
    ]
    assert all(_is_png(path) for path in written)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "confusion.png", "curves.png", "heat.png", "scatter.png"], "no temporary files left behind"


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="at least one series"):
        plot_curves({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="2-D"):
        plot_heatmap(np.zeros(3), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"points \[n, 2\]"):
        plot_scatter_labels(np.zeros((2, 3)), ["a", "b"], tmp_path / "x.png")
    assert not list(tmp_path.iterdir())
