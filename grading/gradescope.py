"""The Gradescope autograder zip of one homework.

``python -m grading.gradescope --hw hw1_vocab --out dist/autograder-hw1_vocab.zip``

Zip layout (Gradescope unpacks it into /autograder/source):
  setup.sh         run once when the image is built (as root, with internet): installs bubblewrap (the
                   grader's sandbox), Python 3.11+ if needed, and into /autograder/venv only the packages
                   this homework imports (grading/needs.py), torch from the CPU wheel index; then
                   fetch_data.sh
  fetch_data.sh    downloads the datasets the homework's manifest lists (``data``) into
                   /autograder/data, verified by files and line counts (common/resources.py;
                   COURSE_DATA_MIRROR replaces the official hosts)
  run_autograder   grades /autograder/submission into /autograder/results/results.json
  course/          the grading template: the homework as released (stubs) + its hidden tests, the
                   earlier homeworks it imports as reference code, common/, grading/, top-level files.
``AUTOGRADER_ROOT`` (default /autograder) and ``PYTHON`` let the scripts run in another folder, for a
local check. The zip holds no solution of the graded homework (checked before it is written) and is
reproducible.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from grading.markers import MarkerError, marker_comments
from grading.needs import TORCH_CPU_INDEX, requirements_of
from grading.release import OutFile, write_zip
from grading.template import build_template

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built (as root, with internet).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
apt-get update -qq
apt-get install -y -qq bubblewrap  # the sandbox of the grader (it falls back, and says so, where it cannot run)
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv "$ROOT/venv"
{torch}
"$ROOT/venv/bin/pip" install --quiet {requirements}
bash "$HERE/fetch_data.sh"
"""

TORCH = '"$ROOT/venv/bin/pip" install --quiet --index-url {index} {torch}  # the CPU build, not the CUDA one'

FETCH = """#!/usr/bin/env bash
# The datasets {hw}'s tests read, into $AUTOGRADER_ROOT/data (run by setup.sh).
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{PYTHON:-$ROOT/venv/bin/python}}"
cd "$(dirname "$0")/course"
{downloads}
"""
DOWNLOAD = '"$PY" -m common.resources download {name} --dest "$ROOT/data"'

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
if [ -d "$ROOT/data" ]; then export COURSE_DATA="$ROOT/data"; fi
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
    torch, requirements = requirements_of({rel: item.data for rel, item in template.files.items()}, hw)
    torch_line = TORCH.format(index=TORCH_CPU_INDEX, torch=shlex.quote(torch)) if torch else "# (no torch)"
    files["setup.sh"] = OutFile(SETUP.format(torch=torch_line, requirements=shlex.join(requirements)).encode(),
                                executable=True)
    downloads = "\n".join(DOWNLOAD.format(name=name) for name in hw.data) or "# (no dataset)"
    files["fetch_data.sh"] = OutFile(FETCH.format(hw=hw.name, downloads=downloads).encode(), executable=True)
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
