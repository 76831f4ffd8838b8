"""Grade a folder of submissions in parallel into a CSV of scores.

``python -m grading.grade_all --hw hw1_vocab --submissions DIR --csv scores.csv``

Every entry of DIR (a folder or a .zip, one per student) is graded by ``grading.autograde.grade`` in
its own worker process (at most os.cpu_count() at once), against one trusted test collection. The
grading template is held in memory: each worker writes its own copies from it, and each submission's
tests run in a sandbox with their own temp folder, so no submission can change what another one sees.
Each submission's results.json goes to ``<csv stem>_results/<entry>.json`` (each test tagged with its
task marker). Beside the CSV it writes the class report (``report.md``, ``report.html`` and their plots:
grading/class_report.py) and ``feedback/<entry>.md`` for each student (grading/feedback.py).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common.fileio import atomic_path, atomic_write_json
from grading.autograde import (
    Expected,
    Limits,
    add_limit_arguments,
    collect_expected,
    find_data,
    grade,
    limits_from,
    prepare_template,
    read_template,
    sandbox_from,
    write_copy,
)
from grading.class_report import write_class_report
from grading.course import get_homework
from grading.failures import GRADING_FAILED
from grading.feedback import write_feedback
from grading.sandbox import Sandbox, choose
from grading.summary import tag_tests, tasks_by_test

_template: dict[str, bytes] = {}  # the grading template, in each worker's memory


def _hold_template(files: dict[str, bytes]) -> None:
    _template.update(files)


def _grade_one(args: tuple[str, Path, Limits, list[Expected], Sandbox]) -> dict:
    hw, submission, limits, expected, sandbox = args
    try:
        return grade(_template, hw, submission, limits, expected, sandbox)
    except Exception as err:  # one broken submission must not stop the others
        return {"score": 0.0, "max_score": sum(e.points for e in expected), "execution_time": 0.0, "tests": [],
                "output": f"{GRADING_FAILED}: {type(err).__name__}: {err}"}


def grade_all(template: Path | Mapping[str, bytes], hw: str, submissions: list[Path], limits: Limits,
              workers: int | None = None, sandbox: Sandbox | None = None) -> dict[str, dict]:
    """Grade every submission; results.json dicts by submission name (file or folder name)."""
    files = dict(template) if isinstance(template, Mapping) else read_template(template)
    sandbox = sandbox or choose()
    with tempfile.TemporaryDirectory(prefix="grading-collect-") as tmp:
        copy = write_copy(files, Path(tmp) / "course")
        homework = get_homework(copy, hw)
        expected = collect_expected(copy, homework.name, limits, sandbox, find_data(homework)[0])
    workers = max(1, min(workers or os.cpu_count() or 1, len(submissions)))
    jobs = [(hw, s, limits, expected, sandbox) for s in submissions]
    with ProcessPoolExecutor(max_workers=workers, initializer=_hold_template, initargs=(files,)) as pool:
        results = list(pool.map(_grade_one, jobs))
    return {s.name: r for s, r in zip(submissions, results, strict=True)}


def find_submissions(folder: Path) -> list[Path]:
    """The submissions in `folder`: every folder or .zip, hidden names left out, sorted by name."""
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip"))


def write_csv(results: dict[str, dict], path: Path) -> None:
    """One row per submission: name, score, max_score, tests passed, then one column per test."""
    names = []
    for result in results.values():
        for test in result["tests"]:
            if test["name"] not in names:
                names.append(test["name"])
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "score", "max_score", "passed", "tests", *names])
        for name, result in sorted(results.items()):
            scores = {t["name"]: t["score"] for t in result["tests"]}
            writer.writerow([name, f"{result['score']:g}", f"{result['max_score']:g}",
                             sum(t["status"] == "passed" for t in result["tests"]), len(result["tests"]),
                             *(f"{scores[n]:g}" if n in scores else "" for n in names)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade a folder of submissions into a CSV.")
    parser.add_argument("--hw", required=True)
    parser.add_argument("--submissions", required=True, type=Path, help="one folder or .zip per student")
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--template", type=Path, help="a prebuilt grading template")
    parser.add_argument("--workers", type=int, default=None, help="default: os.cpu_count()")
    add_limit_arguments(parser)
    args = parser.parse_args(argv)
    submissions = find_submissions(args.submissions)
    if not submissions:
        print(f"no submission (folder or .zip) in {args.submissions}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grading-template-") as tmp:
        template = args.template or prepare_template(args.root, args.hw, Path(tmp) / "course")
        results = grade_all(read_template(template), args.hw, submissions, limits_from(args), args.workers,
                            sandbox_from(args))
        homework = get_homework(template, args.hw)
        tasks = tasks_by_test(template, homework.name)
    out_dir = args.csv.with_name(args.csv.stem + "_results")
    for name, result in results.items():
        tag_tests(result, tasks)
        atomic_write_json(out_dir / f"{name}.json", result)
    write_csv(results, args.csv)
    report = write_class_report(homework.name, results, tasks, [task for task, _ in homework.tasks], args.csv.parent)
    feedback = write_feedback(homework.name, results, tasks, dict(homework.tasks), args.csv.parent / "feedback")
    print(f"{homework.name}: graded {len(results)} submissions in {time.perf_counter() - start:.1f} s -> "
          f"{args.csv}, {out_dir}/, {report} (+ .html) and {len(feedback)} files in {feedback[0].parent}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
