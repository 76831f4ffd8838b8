"""common/plots.py: every plot writes a PNG file; bad shapes are rejected."""
from __future__ import annotations

import numpy as np
import pytest

from common import plots
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


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions would save, kept open for inspection instead."""
    figures = []

    def keep(fig, path):
        fig.canvas.draw()
        figures.append(fig)
        return path

    monkeypatch.setattr(plots, "save_figure", keep)
    return figures


def test_few_points_get_markers_and_counted_axes_whole_number_ticks(drawn, tmp_path):
    plot_curves({"dev accuracy": ([30, 60, 90, 94], [0.78, 0.79, 0.82, 0.82])}, tmp_path / "few.png", xlabel="update")
    plot_curves({"loss": list(np.linspace(3, 1, 200))}, tmp_path / "many.png")
    plot_curves({"loss": ([0.25, 0.5, 0.75, 1.0], [3, 2, 1.5, 1.2])}, tmp_path / "fractional.png", xlabel="epoch")
    plot_curves({"train loss": [3.0, 2.0, 1.5]}, tmp_path / "epochs.png", xlabel="epoch")
    few, many, fractional, epochs = (fig.axes[0] for fig in drawn)
    assert few.get_lines()[0].get_marker() == "o", "four evaluations must show as four markers"
    assert many.get_lines()[0].get_marker() in (None, "None", ""), "a long curve needs no markers"
    for ax in (few, many, epochs):
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), f"expected whole-number ticks, got {ticks}"
    assert any(not float(t).is_integer() for t in fractional.get_xticks()), "fractional epochs keep finer ticks"


def test_the_legend_never_covers_a_line(drawn, tmp_path):
    xs = np.arange(1, 11)
    crowded = {f"series {i}": (xs, 0.1 * i + 0.02 * xs) for i in range(9)}   # lines fill the whole frame
    plot_curves(crowded, tmp_path / "crowded.png")
    plot_curves({"train": [3, 2, 1.5, 1.2, 1.1], "dev": [3.2, 2.4, 2.0, 1.9, 1.9]}, tmp_path / "two.png")
    for fig in drawn:
        ax = fig.axes[0]
        legend = ax.get_legend()
        assert legend is not None and not plots._covers_lines(ax, legend), "the legend sits on a line"
    crowded_legend = drawn[0].axes[0].get_legend().get_window_extent()
    assert crowded_legend.x0 >= drawn[0].axes[0].get_window_extent().x1, "no room inside: the legend goes outside"
    inside = drawn[1].axes[0].get_legend().get_window_extent()
    assert inside.x1 <= drawn[1].axes[0].get_window_extent().x1, "with room inside, the legend stays there"


@pytest.mark.parametrize("cmap, low, high", [("Blues", "black", "white"), ("viridis", "white", "black")])
def test_heat_map_numbers_contrast_with_their_cells(drawn, tmp_path, cmap, low, high):
    # Blues runs from near-white to dark blue, viridis from dark purple to yellow
    plot_heatmap(np.array([[363, 65], [93, 351]]), tmp_path / "confusion.png", annotate=True, cmap=cmap)
    colours = {int(text.get_text()): text.get_color() for text in drawn[0].axes[0].texts}
    assert colours == {363: high, 65: low, 93: low, 351: high}, f"{cmap}: numbers unreadable on their cells"
