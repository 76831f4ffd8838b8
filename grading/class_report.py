"""The class report of a graded homework: how the class did overall and per task, and what tripped it.

``make grade-all`` writes it beside scores.csv: ``report.md`` and ``report.html`` (the same as one
self-contained page), ``scores.png`` (the histogram of the scores) and ``task_means.png`` (each task's
mean as a share of its points). Sections: the score distribution; per task the mean, median and share
of full marks; the tests failed most often, one row per test and first failure line (a confusing
paragraph of a handout shows up as one test failing for many students with the same message); the
submissions that failed before their tests ran (import or collection); grading time per submission.
"""
from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

from matplotlib.figure import Figure

from common.fileio import atomic_path
from grading.document import Document, Image, Table, write_html, write_markdown
from grading.failures import first_failure_line, import_failure
from grading.summary import NO_TASK, by_task, points

MOST_FAILED_ROWS = 25


def task_statistics(results: dict[str, dict], tasks: dict[str, str], order: list[str]
                    ) -> list[tuple[str, float, float, float, float]]:
    """(task, points, mean, median, share of submissions with full marks) per task, in manifest order.

    A submission that has no test of a task (grading failed) counts 0 for it."""
    every_test = by_task({"tests": [t for r in results.values() for t in r["tests"]]}, tasks, order)
    per_submission = [by_task(result, tasks, order) for result in results.values()]
    rows = []
    for task in every_test:
        worth = max(points(rows_of.get(task, []))[1] for rows_of in per_submission)
        earned = [points(rows_of.get(task, []))[0] for rows_of in per_submission]
        full = sum(e >= worth for e in earned) / len(earned)
        rows.append((task, worth, statistics.fmean(earned), statistics.median(earned), full))
    return rows


def most_failed(results: dict[str, dict], tasks: dict[str, str]) -> list[tuple[int, str, str, str]]:
    """(submissions, test, task, first failure line), one row per test and distinct first line, most
    frequent first. A hidden test's name carries "(hidden)"."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for result in results.values():
        for test in result["tests"]:
            if test["status"] != "passed":
                name = test["name"].rsplit("/", 1)[-1] + ("" if test["visibility"] == "visible" else " (hidden)")
                counts[(name, tasks.get(test["name"], NO_TASK), first_failure_line(test["output"]))] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(count, name, task, line) for (name, task, line), count in ranked]


def plot_scores(scores: list[float], max_score: float, path: Path) -> Path:
    """Histogram of the scores over [0, max_score] (PNG)."""
    bins = min(20, max(1, round(max_score)))
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"score (of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(fig, path)


def plot_task_means(rows: list[tuple[str, float, float, float, float]], path: Path) -> Path:
    """Each task's mean score as a share of its points (horizontal bars, PNG)."""
    fig = Figure(figsize=(6, 0.4 * len(rows) + 1))
    ax = fig.subplots()
    names = [row[0] for row in rows][::-1]
    shares = [row[2] / row[1] if row[1] else 0.0 for row in rows][::-1]
    ax.barh(names, shares, color="#55a868")
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean score / points of the task")
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    """Write `fig` as a PNG (atomically). A bare Figure draws with Agg: no pyplot, no display."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    return path


def class_report(hw: str, results: dict[str, dict], tasks: dict[str, str], order: list[str], folder: Path
                 ) -> Document:
    """The report of `results` (submission name -> results.json dict); its plots are written to `folder`."""
    scores = [r["score"] for r in results.values()]
    max_score = max((r["max_score"] for r in results.values()), default=0.0)
    doc = Document(f"{hw}: class report")
    doc.add("Scores",
            f"{len(scores)} submissions, out of {max_score:g} points: mean {statistics.fmean(scores):.2f}, median "
            f"{statistics.median(scores):g}, lowest {min(scores):g}, highest {max(scores):g}.",
            Image(plot_scores(scores, max_score, folder / "scores.png"), "histogram of the scores"))
    rows = task_statistics(results, tasks, order)
    doc.add("Tasks",
            Table(("task", "points", "mean", "median", "full marks"),
                  [(task, f"{worth:g}", f"{mean:.2f}", f"{median:g}", f"{full:.0%}")
                   for task, worth, mean, median, full in rows]),
            Image(plot_task_means(rows, folder / "task_means.png"), "mean score of each task"))
    failed = most_failed(results, tasks)
    more = f" ({len(failed) - MOST_FAILED_ROWS} rarer rows left out)" if len(failed) > MOST_FAILED_ROWS else ""
    doc.add("Tests failed most often",
            f"One row per test and first failure line, with the number of submissions it failed in{more}.",
            Table(("submissions", "test", "task", "first failure line"),
                  [(str(n), name, task, line) for n, name, task, line in failed[:MOST_FAILED_ROWS]]))
    broken = [(name, why) for name, result in sorted(results.items()) if (why := import_failure(result))]
    doc.add("Failed at import or collection",
            Table(("submission", "first failure line"), broken) if broken else "None.")
    seconds = [r.get("execution_time", 0.0) for r in results.values()]
    sandboxes = sorted({line for r in results.values() for line in r.get("output", "").splitlines()[:1]
                        if line.startswith(("sandbox:", "WARNING"))})
    doc.add("Grading time",
            f"{sum(seconds):.1f} s of grading in all, {statistics.fmean(seconds):.1f} s per submission on average. "
            + " ".join(sandboxes),
            Table(("submission", "score", "seconds"),
                  [(name, f"{r['score']:g}", f"{r.get('execution_time', 0.0):.1f}")
                   for name, r in sorted(results.items())]))
    return doc


def write_class_report(hw: str, results: dict[str, dict], tasks: dict[str, str], order: list[str],
                       folder: Path) -> Path:
    """Write report.md, report.html and the plots into `folder`; the path of report.md."""
    folder = Path(folder)
    doc = class_report(hw, results, tasks, order, folder)
    write_html(doc, folder / "report.html")
    return write_markdown(doc, folder / "report.md")
