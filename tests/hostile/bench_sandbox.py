"""The grader's defences and its sandbox's cost, measured: ``python -m tests.hostile.bench_sandbox``.

1. Every hostile submission of tests/hostile graded through the command line (``grading.autograde``,
   as ``make grade`` does; the poisoning one through ``grading.grade_all`` before two honest ones),
   with each sandbox mode this machine has; ``--grader PATH`` grades with the grading/ and common/ of
   another checkout instead (e.g. an older grader, which has no --sandbox). results.json is read 3 s
   after the grader returned.
2. The sandbox's time overhead: a child that starts the interpreter, with and without each tool
   (interleaved, median of --repeats), and hw1's reference graded once per mode.

Writes bench/results/grading.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.fileio import atomic_write_json, atomic_write_text
from grading.sandbox import Layout, SandboxError, choose
from tests.hostile.helpers import HOSTILE, REPO

# submission -> (points earned of 10, what it tries)
CASES = {
    "daemon": (9, "a setsid + double-fork daemon rewrites results.json 0.2 s after the grader returned"),
    "interrupts": (9, "KeyboardInterrupt in one stub (mul)"),
    "exits_pytest": (9, "pytest.exit(returncode=0) in one stub (count)"),
    "raises_system_exit": (7, "SystemExit in one stub (square)"),
    "reads_hidden": (9, "a visible test shows the hidden tests' source in its output"),
    "edits_test": (6, "submits edited test files"),
    "conftest_pass": (1, "submits conftest.py files that mark every test passed"),
    "writes_results": (9, "writes a perfect results.json where it guesses the grader writes it"),
    "exit_at_import": (0, "os._exit(0) while imported"),
    "exit_in_test": (9, "os._exit(0) inside one test"),
    "loops": (9, "an endless loop that swallows the timeout"),
    "memory": (9, "allocates 20 GB"),
    "searches_disk": (6, "looks for the reference solution around its copy"),
    "forges_events": (1, "writes forged 'passed' lines into every pipe it holds"),
}
MODES = ("bwrap", "unshare", "none")


def fake_course(dest: Path, grader: Path) -> Path:
    shutil.copytree(HOSTILE / "fake_course", dest)
    for package in ("grading", "common"):
        shutil.copytree(grader / package, dest / package, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _private_env(work: Path) -> dict[str, str]:
    """The grader's environment with a temp folder deep inside `work`: the poisoning submission looks a
    few folders up from its copy, and must not reach another grader running on this machine."""
    tmp = work / "t" / "m" / "p"
    tmp.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


def grade_one(course: Path, name: str, mode: str | None, work: Path) -> tuple[float, str]:
    """(score in results.json 3 s after the grader returned, note)."""
    results = work / f"{name}-{mode}.json"
    env = {**_private_env(work), "HOSTILE_RESULTS_TARGET": str(results)}
    command = [sys.executable, "-m", "grading.autograde", "--hw", "hw1_fake", "--submission",
               str(HOSTILE / "submissions" / name), "--results", str(results), "--test-timeout", "2"]
    subprocess.run(command + (["--sandbox", mode] if mode else []), cwd=course, env=env, capture_output=True,
                   check=True)
    time.sleep(3)
    data = json.loads(results.read_text())
    note = ""
    if name == "reads_hidden":
        shown = " ".join(t.get("output", "") for t in data["tests"] if t.get("visibility") != "after_due_date")
        note = "hidden tests shown" if "def test_add_negative" in shown else "hidden tests not shown"
    return float(data["score"]), note


def grade_poisoned_batch(course: Path, mode: str | None, work: Path) -> tuple[list[float], bool]:
    """(scores of two honest submissions graded after the poisoning one, was the checkout changed)."""
    folder = work / f"batch-{mode}"
    folder.mkdir()
    shutil.copytree(HOSTILE / "submissions" / "poisons", folder / "a_poisons")
    for name in ("b_honest", "c_honest"):
        (folder / name).mkdir()
        (folder / name / "calc.py").write_bytes((REPO / "tests/hostile/fake_course/hw1_fake/calc.py").read_bytes())
    before = {p: p.read_bytes() for p in course.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    command = [sys.executable, "-m", "grading.grade_all", "--hw", "hw1_fake", "--submissions", str(folder),
               "--csv", str(work / f"batch-{mode}.csv"), "--workers", "1", "--test-timeout", "2"]
    subprocess.run(command + (["--sandbox", mode] if mode else []), cwd=course, env=_private_env(work),
                   capture_output=True, check=True)
    changed = any(p.read_bytes() != data for p, data in before.items())
    scores = [json.loads((work / f"batch-{mode}_results" / f"{n}.json").read_text())["score"]
              for n in ("b_honest", "c_honest")]
    return scores, changed


def attack_table(grader: Path, modes: list[str | None]) -> dict:
    table: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        tmp = str(Path(tmp, "a", "b", "c"))  # so that three folders up is still this run's
        for mode in modes:
            label = mode or "given grader"
            course = fake_course(Path(tmp) / label / "course", grader)
            work = Path(tmp) / label / "work"
            work.mkdir(parents=True)
            for name in CASES:
                score, note = grade_one(course, name, mode, work)
                table.setdefault(name, {})[label] = f"{score:g}" + (f" ({note})" if note else "")
                print(f"{label:12} {name:20} {table[name][label]} (earned {CASES[name][0]})", flush=True)
            scores, changed = grade_poisoned_batch(course, mode, work)
            table.setdefault("poisons", {})[label] = (f"{'/'.join(f'{s:g}' for s in scores)}"
                                                      f"{' (checkout changed)' if changed else ''}")
            print(f"{label:12} poisons              {table['poisons'][label]}", flush=True)
    return table


def startup_overhead(repeats: int, modes: list[str]) -> dict[str, float]:
    """Median seconds to run `python -c pass` in each mode (the child's start and end in its sandbox)."""
    times: dict[str, list[float]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for _ in range(repeats):
            for mode in modes:
                layout = Layout(Path(tmp, "course"), Path(tmp, "tmp"))
                layout.course.mkdir(exist_ok=True)
                layout.tmp.mkdir(exist_ok=True)
                command, cwd = choose(mode).command([sys.executable, "-c", "pass"], layout)
                start = time.perf_counter()
                subprocess.run(command, cwd=cwd, check=True)
                times[mode].append(time.perf_counter() - start)
    return {m: statistics.median(t) for m, t in times.items()}


def hw1_grades(modes: list[str]) -> dict[str, float]:
    """Seconds to grade hw1's reference solution (make grade) in each mode."""
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="bench-hw1-") as tmp:
        submission = Path(tmp, "submission")
        submission.mkdir()
        for rel in ("counting.py", "coverage.py", "oov.py", "zipf.py"):
            shutil.copy(REPO / "hw1_vocab" / rel, submission / rel)
        for mode in modes:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grading.autograde", "--hw", "hw1_vocab", "--submission",
                            str(submission), "--results", str(Path(tmp, f"{mode}.json")), "--sandbox", mode],
                           cwd=REPO, check=True, capture_output=True)
            seconds[mode] = time.perf_counter() - start
            score = json.loads(Path(tmp, f"{mode}.json").read_text())
            assert score["score"] == score["max_score"], f"{mode}: the reference lost points"
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grader", type=Path, help="grade with the grading/ and common/ of this checkout "
                                                    "(it needs no --sandbox option)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "grading")
    args = parser.parse_args(argv)
    modes = []
    for mode in MODES:
        try:
            choose(mode)
            modes.append(mode)
        except SandboxError as error:
            print(f"{mode}: cannot run here ({error})")
    if args.grader:
        table = attack_table(args.grader.resolve(), [None])
        print(json.dumps(table, indent=1))
        return 0
    table = attack_table(REPO, list(modes))
    startup = startup_overhead(args.repeats, modes)
    grades = hw1_grades(modes)
    results = {"machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end",
               "attacks": table, "earned": {k: v[0] for k, v in CASES.items()},
               "child_start_seconds": startup, "hw1_grade_seconds": grades}
    atomic_write_json(args.out.with_suffix(".json"), results)
    lines = ["# Grader: attacks and sandbox cost", "", f"Machine: {results['machine']}.", "",
             "| submission | tries | earned | " + " | ".join(modes) + " |", "|---|---|---|" + "---|" * len(modes)]
    for name, cells in table.items():
        earned, what = CASES.get(name, ("10/10", "poisons the template and the checkout; two honest ones after it"))
        lines.append(f"| {name} | {what} | {earned} | " + " | ".join(cells[m] for m in modes) + " |")
    lines += ["", "| mode | child start (median s) | hw1 reference graded (s) |", "|---|---|---|"]
    lines += [f"| {m} | {startup[m]:.3f} | {grades[m]:.1f} |" for m in modes]
    atomic_write_text(args.out.with_suffix(".md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
