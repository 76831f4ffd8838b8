"""Package a submission: a zip of exactly the homework's editable files, checked first.

``python -m grading.submit --hw hw2_word2vec`` (``make submit HW=hw2_word2vec``) writes
``dist/submission-hw2_word2vec.zip`` holding ``hw2_word2vec/<editable file>`` for every file the
manifest lists as editable, after checking that each one is present, not too large, and (for Python
files) imports. Functions still left as stubs are listed as a warning, not an error: a partial
submission is allowed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from grading.course import CourseError, get_homework
from grading.markers import module_name
from grading.release import OutFile, write_zip

MAX_FILE_BYTES = 5 * 2**20  # the grader ignores larger files
STUB = re.compile(r'raise NotImplementedError\("(hw\d+_\w+[^"]*: implement [^"]+)"\)')


class SubmissionError(ValueError):
    """A submission that would not grade; the message names the file and the fix."""


def check_and_pack(root: Path, hw_name: str, out: Path) -> list[str]:
    """Check the editable files of `hw_name` under `root` and write the zip `out`; return the warnings."""
    root = Path(root)
    hw = get_homework(root, hw_name)
    files: dict[str, OutFile] = {}
    problems, warnings = [], []
    for rel in hw.editable:
        path = root / hw.name / rel
        if not path.is_file():
            problems.append(f"{hw.name}/{rel} is missing; restore it from the release and redo your changes")
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{hw.name}/{rel} is {path.stat().st_size / 2**20:.1f} MB; the grader takes files up to "
                            f"{MAX_FILE_BYTES // 2**20} MB (remove data or outputs written into it)")
            continue
        data = path.read_bytes()
        files[f"{hw.name}/{rel}"] = OutFile(data)
        if rel.endswith(".py"):
            warnings += [f"still a stub: {m}" for m in STUB.findall(data.decode("utf-8", errors="replace"))]
    modules = [module_name(f"{hw.name}/{rel}") for rel in hw.editable if rel.endswith(".py")
               and f"{hw.name}/{rel}" in files]
    if modules and not problems:
        problems += _import_errors(root, modules)
    if problems:
        raise SubmissionError("not packed:\n  " + "\n  ".join(problems))
    write_zip(files, out)
    return warnings


def _import_errors(root: Path, modules: list[str]) -> list[str]:
    """Import every module in a fresh interpreter (as the grader will); the errors, last line each."""
    code = ("import importlib, sys, traceback\nbad = 0\nfor name in sys.argv[1:]:\n    try:\n"
            "        importlib.import_module(name)\n    except SyntaxError as err:\n        bad += 1\n"
            "        print(f'{name} does not import: SyntaxError: {err.msg} ({err.filename}, line {err.lineno})', "
            "flush=True)\n"
            "    except BaseException:\n        bad += 1\n"
            "        lines = traceback.format_exc().strip().splitlines()\n"
            "        print(f'{name} does not import: {lines[-1]}', flush=True)\nsys.exit(1 if bad else 0)\n")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code, *modules], cwd=root, capture_output=True, text=True,
                          env=env, timeout=300)
    if done.returncode == 0:
        return []
    return [line for line in done.stdout.splitlines() if line.strip()] or [done.stderr.strip()[-500:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check and zip the editable files of one homework.")
    parser.add_argument("--hw", required=True, help="homework folder, e.g. hw2_word2vec")
    parser.add_argument("--out", type=Path, help="the zip to write (default: dist/submission-<hw>.zip)")
    parser.add_argument("--root", type=Path, default=Path("."), help="the course folder (default: here)")
    args = parser.parse_args(argv)
    try:
        hw = get_homework(args.root, args.hw)
        out = args.out or args.root / "dist" / f"submission-{hw.name}.zip"
        warnings = check_and_pack(args.root, hw.name, out)
    except CourseError as err:
        print(f"submit: {err}", file=sys.stderr)
        return 1
    except SubmissionError as err:
        stale = out.is_file()
        out.unlink(missing_ok=True)
        print(f"submit: {err}" + (f"\n(the earlier {out} was removed, so that it cannot be uploaded by mistake)"
                                  if stale else ""), file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}")
    stubs = f"{len(warnings)} function still a stub" if len(warnings) == 1 else f"{len(warnings)} functions still stubs"
    print(f"{out}: {', '.join(hw.editable)} of {hw.name} ({stubs}). "
          f"Self-grade: make grade HW={hw.name} SUBMISSION={out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
