"""Grade a folder of submissions in parallel into a CSV of scores.

``python -m grading.grade_all --hw hw1_vocab --submissions DIR --csv scores.csv``

Every entry of DIR (a folder or a .zip, one per student) is graded by ``grading.autograde.grade`` in
its own worker process (at most os.cpu_count() at once), against one grading template and one trusted
test collection. Each submission's results.json goes to ``<csv stem>_results/<entry>.json``.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common.fileio import atomic_path, atomic_write_json
from grading.autograde import (
    Expected,
    Limits,
    add_limit_arguments,
    collect_expected,
    grade,
    limits_from,
    prepare_template,
)


def _grade_one(args: tuple[Path, str, Path, Limits, list[Expected]]) -> dict:
    template, hw, submission, limits, expected = args
    try:
        return grade(template, hw, submission, limits, expected)
    except Exception as err:  # one broken submission must not stop the others
        return {"score": 0.0, "max_score": sum(e.points for e in expected), "tests": [],
                "output": f"grading failed: {type(err).__name__}: {err}"}


def grade_all(template: Path, hw: str, submissions: list[Path], limits: Limits,
              workers: int | None = None) -> dict[str, dict]:
    """Grade every submission; results.json dicts by submission name (file or folder name)."""
    with tempfile.TemporaryDirectory(prefix="grading-collect-") as tmp:
        copy = Path(tmp) / "course"
        shutil.copytree(template, copy)
        expected = collect_expected(copy, hw, limits)
    workers = max(1, min(workers or os.cpu_count() or 1, len(submissions)))
    jobs = [(template, hw, s, limits, expected) for s in submissions]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_grade_one, jobs))
    return {s.name: r for s, r in zip(submissions, results, strict=True)}


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
    submissions = sorted(p for p in args.submissions.iterdir()
                         if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip"))
    if not submissions:
        print(f"no submission (folder or .zip) in {args.submissions}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grading-template-") as tmp:
        template = args.template or prepare_template(args.root, args.hw, Path(tmp) / "course")
        results = grade_all(template, args.hw, submissions, limits_from(args), args.workers)
    out_dir = args.csv.with_name(args.csv.stem + "_results")
    for name, result in results.items():
        atomic_write_json(out_dir / f"{name}.json", result)
    write_csv(results, args.csv)
    print(f"{args.hw}: graded {len(results)} submissions in {time.perf_counter() - start:.1f} s -> "
          f"{args.csv} and {out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
