"""common/report.py: the make-run table and runs/REPORT.md from fake metrics."""
from __future__ import annotations

from common.plots import plot_curves
from common.report import CHECK_COLUMNS, check_rows, format_table, table_rows, write_report


def _metrics(**extra):
    return {"hw": "hw1_vocab", "seconds": 12.4,
            "summary": [{"dataset": "sst", "metric": "vocab size", "value": 16582},
                        {"dataset": "sst", "metric": "coverage", "value": 0.9877}], **extra}


def test_table_rows_format_values_and_failures():
    assert table_rows("hw1_vocab", _metrics(), 13.0) == [
        ("hw1_vocab", "sst", "vocab size", "16,582", "12"),
        ("hw1_vocab", "sst", "coverage", "0.9877", "12"),
    ]
    assert table_rows("hw2_x", None, 3.2) == [("hw2_x", "-", "FAILED (see output above)", "-", "3")]
    assert table_rows("hw3_y", {"seconds": 1.0}, 1.0)[0][2] == "(no summary)"


def test_format_table_text_and_markdown():
    rows = table_rows("hw1_vocab", _metrics(), 1.0)
    text = format_table(rows, markdown=False).splitlines()
    assert text[0].split() == ["homework", "dataset", "metric", "value", "seconds"]
    assert len({len(line.rstrip()) for line in text[:2]}) == 1, "header and rule are aligned"
    markdown = format_table(rows, markdown=True).splitlines()
    assert markdown[0] == "| homework | dataset | metric | value | seconds |"
    assert markdown[2] == "| hw1_vocab | sst | vocab size | 16,582 | 12 |"


def test_write_report_links_plots(tmp_path):
    run_dir = tmp_path / "hw1_vocab" / "quick-1"
    plot_curves({"loss": [3.0, 2.0, 1.5]}, run_dir / "loss.png")
    report = tmp_path / "REPORT.md"
    write_report(report, table_rows("hw1_vocab", _metrics(), 1.0), {"hw1_vocab": run_dir}, "quick")
    text = report.read_text()
    assert text.startswith("# Results (quick configs)")
    assert "| hw1_vocab | sst | coverage | 0.9877 | 12 |" in text
    assert "![loss](hw1_vocab/quick-1/loss.png)" in text


def test_check_rows_put_each_figure_beside_its_reference(tmp_path):
    (tmp_path / "hw1_vocab").mkdir()
    (tmp_path / "hw1_vocab" / "reference.yaml").write_text(
        "quick:\n"
        "  - {key: size, dataset: sst, metric: vocab size, value: 16500, tolerance: 100, why: seeds, look_at: task_a}\n"
        "  - {key: cover, dataset: sst, metric: coverage, value: 0.95, tolerance: 0.01, why: seeds, look_at: task_b}\n"
        "  - {key: zipf, dataset: sst, metric: exponent, value: 1.0, tolerance: 0.1, why: seeds, look_at: task_c}\n")
    metrics = _metrics()
    metrics["summary"][0]["key"], metrics["summary"][1]["key"] = "size", "cover"
    rows = check_rows("hw1_vocab", metrics, "quick", root=tmp_path)
    assert rows == [("hw1_vocab", "sst: vocab size", "16,582", "16,500 ± 100", "within"),
                    ("hw1_vocab", "sst: coverage", "0.9877", "0.95 ± 0.01", "outside: look at task_b"),
                    ("hw1_vocab", "sst: exponent", "-", "1 ± 0.1", "missing: the run reported no figure 'zipf'")]
    assert check_rows("hw1_vocab", None, "quick", root=tmp_path) == [], "a failed run has no figures to check"
    (missing,) = check_rows("hw2_x", metrics, "quick", root=tmp_path)
    assert missing[-1].startswith("no reference figures:") and "reference.yaml is missing" in missing[-1]
    assert format_table(rows, markdown=True, columns=CHECK_COLUMNS).splitlines()[0].startswith("| homework | figure |")
