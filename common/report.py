"""`make run`: run every homework's quick (or full) config, print one table, write runs/REPORT.md.

A homework registers itself by existing: a folder ``hwN_name/`` with ``run.py`` and
``config.quick.yaml`` / ``config.yaml``. Each runs in its own process, so one failure does not stop
the others; the table shows it and the command exits non-zero at the end. A second table puts each
figure beside the homework's reference figure (``reference.yaml``, see common/reference.py): within
its tolerance, or outside with where to look.

    python -m common.report                 # every homework, quick configs
    python -m common.report --config full   # the configs that reproduce the reported numbers
    python -m common.report --only hw1_vocab
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common.fileio import atomic_write_text
from common.homeworks import find_homeworks
from common.reference import compare, format_value, load_references
from common.run import REPO_ROOT

CONFIG_FILES = {"quick": "config.quick.yaml", "full": "config.yaml"}
COLUMNS = ("homework", "dataset", "metric", "value", "seconds")
CHECK_COLUMNS = ("homework", "figure", "this run", "reference", "check")


def discover_homeworks(root: Path = REPO_ROOT) -> list[str]:
    """Homework folders with a run.py, in course order."""
    return [hw.name for hw in find_homeworks(root) if (root / hw.name / "run.py").is_file()]


def run_homework(hw: str, config: str, run_id: str, runs_root: Path) -> tuple[dict | None, float]:
    """Run one homework in a subprocess; return (metrics or None on failure, wall seconds)."""
    config_path = REPO_ROOT / hw / CONFIG_FILES[config]
    command = [sys.executable, "-m", f"{hw}.run", "--config", str(config_path),
               "--run-id", run_id, "--runs-root", str(runs_root)]
    print(f"\n=== {hw} ({config_path.name}) ===", flush=True)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - start
    metrics_file = runs_root / hw / run_id / "metrics.json"
    if result.returncode != 0 or not metrics_file.is_file():
        return None, seconds
    return json.loads(metrics_file.read_text(encoding="utf-8")), seconds


def table_rows(hw: str, metrics: dict | None, seconds: float) -> list[tuple[str, ...]]:
    """The table rows for one homework (one per summary entry, or one saying it failed)."""
    if metrics is None:
        return [(hw, "-", "FAILED (see output above)", "-", f"{seconds:.0f}")]
    rows = metrics.get("summary") or [{"dataset": "-", "metric": "(no summary)", "value": "-"}]
    return [(hw, r["dataset"], r["metric"], format_value(r["value"]), f"{metrics['seconds']:.0f}") for r in rows]


def check_rows(hw: str, metrics: dict | None, config: str, root: Path = REPO_ROOT) -> list[tuple[str, ...]]:
    """This run's figures beside the homework's `config` reference figures (none when the run failed)."""
    if metrics is None:
        return []
    try:
        references = load_references(root / hw, config)
    except (FileNotFoundError, ValueError) as error:   # the run's own figures are still worth showing
        return [(hw, "-", "-", "-", f"no reference figures: {error}")]
    return [(hw, *row) for row in compare(metrics.get("summary") or [], references)]


def format_table(rows: list[tuple[str, ...]], markdown: bool, columns: tuple[str, ...] = COLUMNS) -> str:
    """Rows as an aligned text table, or as a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(str(x)) for x in column) for column in zip(columns, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*columns), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows])


def write_report(path: Path, rows: list, run_dirs: dict[str, Path], config: str, checks: list | None = None) -> None:
    """runs/REPORT.md: the table, the reference checks, then each homework's plots (linked relative to the report)."""
    parts = [f"# Results ({config} configs)", "", f"Generated {time.strftime('%Y-%m-%d %H:%M')}.", "",
             format_table(rows, markdown=True), ""]
    if checks:
        checked = format_table(checks, markdown=True, columns=CHECK_COLUMNS)
        parts += ["## Against the reference figures", "", checked, ""]
    for hw, run_dir in run_dirs.items():
        plots = sorted(run_dir.glob("*.png"))
        if plots:
            parts += [f"## {hw}", ""]
            parts += [f"![{p.stem}]({p.relative_to(path.parent).as_posix()})" for p in plots] + [""]
    atomic_write_text(path, "\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(CONFIG_FILES), default="quick")
    parser.add_argument("--only", nargs="*", default=None, help="homework folders to run (default: all)")
    parser.add_argument("--runs-root", type=Path, default=REPO_ROOT / "runs")
    args = parser.parse_args(argv)
    homeworks = discover_homeworks()
    if args.only:
        unknown = sorted(set(args.only) - set(homeworks))
        if unknown:
            parser.error(f"unknown homework {unknown}; choose from {homeworks}")
        homeworks = [hw for hw in homeworks if hw in args.only]
    run_id = f"{args.config}-{time.strftime('%Y%m%d-%H%M%S')}"
    rows, checks, run_dirs, failed = [], [], {}, []
    for hw in homeworks:
        metrics, seconds = run_homework(hw, args.config, run_id, args.runs_root)
        rows += table_rows(hw, metrics, seconds)
        checks += check_rows(hw, metrics, args.config)
        run_dirs[hw] = args.runs_root / hw / run_id
        if metrics is None:
            failed.append(hw)
    report = args.runs_root / "REPORT.md"
    write_report(report, rows, run_dirs, args.config, checks)
    print("\n" + format_table(rows, markdown=False))
    if checks:
        print("\n" + format_table(checks, markdown=False, columns=CHECK_COLUMNS))
    print(f"\nReport with plots: {report}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
