"""The Gradescope autograder zip of one homework.

``python -m grading.gradescope --hw hw1_vocab --out dist/autograder-hw1_vocab.zip``

Zip layout (Gradescope unpacks it into /autograder/source):
  setup.sh         installs Python 3.11+ if needed and requirements.txt into /autograder/venv
  run_autograder   grades /autograder/submission into /autograder/results/results.json
  course/          the grading template: the homework as released (stubs) + its hidden tests, the
                   earlier homeworks it imports as reference code, common/, grading/, top-level files.
The zip holds no solution of the graded homework (checked before it is written) and is reproducible.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.markers import MarkerError, marker_comments
from grading.release import OutFile, write_zip
from grading.template import build_template

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
cd "$(dirname "$0")/course"
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get update && apt-get install -y python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -r requirements.txt
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and PYTHON are for local testing only.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
cd "$(dirname "$0")/course"
exec "$PY" -m grading.autograde --hw {hw} --template . --submission "$ROOT/submission" \\
  --results "$ROOT/results/results.json" {limits}
"""


def build_zip(root: Path, hw_name: str, out: Path, limit_args: str = "") -> list[str]:
    """Write the autograder zip; return the reference homeworks it includes."""
    hw, deps, template = build_template(root, hw_name)
    for rel, item in template.files.items():
        if rel.startswith(hw.name + "/") and rel.endswith(".py") and marker_comments(
                item.data.decode("utf-8"), rel):
            raise MarkerError(f"{rel}: solution markers in the autograder zip of {hw.name}")
    files = {f"course/{rel}": item for rel, item in template.files.items()}
    files["setup.sh"] = OutFile(SETUP.encode(), executable=True)
    files["run_autograder"] = OutFile(RUN.format(hw=hw.name, limits=limit_args).encode(), executable=True)
    write_zip(files, out)
    return deps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Gradescope autograder zip of one homework.")
    parser.add_argument("--hw", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--limits", default="", help="extra grading.autograde options, e.g. '--test-timeout 30'")
    args = parser.parse_args(argv)
    deps = build_zip(args.root, args.hw, args.out, args.limits)
    print(f"{args.out}: autograder for {args.hw} (reference code of: {', '.join(deps) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
