"""The course checkout as the tooling sees it: the one place that knows what a homework is.

A homework is a folder ``hw<N>_<name>`` with a ``manifest.yaml`` (editable files, solution-only files,
task markers, the earlier homeworks it builds on). The report (``make run``), the layout test, the
root conftest (task markers), the Makefile (``python -m grading.course folder hw3``), the release and
the grader all ask this module. It also says which files of the checkout are instructor-only.

    python -m grading.course list          # every homework folder, in course order
    python -m grading.course folder hw3    # hw3 -> hw3_edugrad (exit 2 with the list if unknown)
"""
from __future__ import annotations

import ast
import fnmatch
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.resources import DATASETS

HW_PATTERN = re.compile(r"^hw(\d+)_[a-z0-9_]+$")
HIDDEN_TEST = re.compile(r"^tests/(.*/)?test_hidden_[^/]*\.py$")
# Never part of a release or a grading copy, whatever git says.
JUNK_PARTS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
              "runs", "dist", "data", "node_modules"}
# Instructor-only files of the checkout (fnmatch patterns on repo-relative paths), with the reason they
# never reach students. Besides these, each homework's hidden tests and manifest `solution_only` files
# stay behind. grading/ itself ships (it holds no solution): students package and self-grade with it.
INSTRUCTOR_ONLY = {
    "README.md": "the instructor README; the release writes the student README (grading/student_readme.md)",
    ".ci/*": "continuous integration of this repository",
    "tests/*": "tests of common/ and grading/ (they need the reference solutions) and hostile submissions",
    "grading/README.md": "the grader's own documentation, including what it does not defend against",
    "grading/student_readme.md": "the template of the student README (shipped as README.md)",
    "bench/*": "benchmark results measured on the reference solutions",
    "notes/*": "instructor notes",
    "DESIGN.md": "design notes",
}


class CourseError(ValueError):
    """A problem with the course layout (manifest, homework name); the message names the fix."""


@dataclass(frozen=True)
class Homework:
    """One homework folder ``hwN_name`` with its manifest.

    editable: paths relative to the folder that a student submits; solution_only: paths (files or
    folders) left out of the release; tasks: (pytest marker, description) pairs, one per task;
    builds_on: earlier homeworks whose code this one imports (shipped as reference code);
    data: the datasets its tests read (names of common.resources.DATASETS), given to the grader.
    """

    name: str
    number: int
    editable: tuple[str, ...]
    solution_only: tuple[str, ...]
    tasks: tuple[tuple[str, str], ...] = ()
    builds_on: tuple[str, ...] = ()
    data: tuple[str, ...] = ()

    def is_solution_only(self, rel: str) -> bool:
        """Is `rel` (relative to the homework folder) solution-only?"""
        return any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in self.solution_only)

    def tasks_of(self, function: str, rel: str) -> list[str]:
        """The task markers of the function `function` (``lookup_rows.backward``) of the file `rel`.

        A task owns the function when its manifest description names it (``SGNSModel.step``), else its
        outermost class or function (``lookup_rows``); failing both, the tasks that name the file.
        """
        parts = function.split(".")
        file_name = rel.rsplit("/", 1)[-1]
        for wanted in (function, parts[0], file_name):
            pattern = re.compile(rf"(?<![\w.]){re.escape(wanted)}(?![\w])")
            found = [marker for marker, description in self.tasks if pattern.search(description)]
            if found:
                return found
        return []

    @staticmethod
    def is_hidden_test(rel: str) -> bool:
        """Is `rel` (relative to the homework folder) a hidden test file?"""
        return bool(HIDDEN_TEST.match(rel))


def load_homework(root: Path, name: str) -> Homework:
    """Read ``<root>/<name>/manifest.yaml``; raise CourseError with the fix if it is malformed."""
    match = HW_PATTERN.match(name)
    if not match:
        raise CourseError(f"{name!r} is not a homework folder name (expected hw<N>_<name>)")
    path = root / name / "manifest.yaml"
    if not path.is_file():
        raise CourseError(f"{path} is missing; every homework lists its editable files there")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise CourseError(f"{path}: expected a mapping with 'editable' and optional 'solution_only', 'tasks'")
    unknown = set(data) - {"editable", "solution_only", "tasks", "builds_on", "data"}
    if unknown:
        raise CourseError(f"{path}: unknown keys {sorted(unknown)}; "
                          "allowed: editable, solution_only, tasks, builds_on, data")
    datasets = _datasets(path, data.get("data") or [])
    builds_on = data.get("builds_on") or []
    if not isinstance(builds_on, list) or not all(isinstance(b, str) and HW_PATTERN.match(b) for b in builds_on):
        raise CourseError(f"{path}: 'builds_on' must list earlier homework folders, e.g. [hw3_edugrad]")
    for earlier in builds_on:
        earlier_number = int(HW_PATTERN.match(earlier).group(1))
        if earlier_number >= int(match.group(1)) or not (root / earlier).is_dir():
            raise CourseError(f"{path}: builds_on entry {earlier!r} must be an earlier homework folder of {root}")
    tasks = data.get("tasks") or {}
    if not isinstance(tasks, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tasks.items()):
        raise CourseError(f"{path}: 'tasks' must map marker names to descriptions, e.g. task_zipf: fit (zipf.py)")
    editable = data.get("editable") or []
    solution_only = data.get("solution_only") or []
    for key, value in (("editable", editable), ("solution_only", solution_only)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CourseError(f"{path}: '{key}' must be a list of paths relative to {name}/")
        for rel in value:
            if rel.startswith("/") or ".." in rel.split("/"):
                raise CourseError(f"{path}: {key} entry {rel!r} must be relative to {name}/ "
                                  "without '..'")
    if not editable:
        raise CourseError(f"{path}: 'editable' is empty; list the files a student submits")
    for rel in editable:
        if not (root / name / rel).is_file():
            raise CourseError(f"{path}: editable file {rel!r} does not exist in {name}/")
    return Homework(name, int(match.group(1)), tuple(editable), tuple(solution_only), tuple(tasks.items()),
                    tuple(builds_on), datasets)


def _datasets(path: Path, names: object) -> tuple[str, ...]:
    """The manifest's 'data': the datasets the homework's tests read, which the grader provides."""
    if not isinstance(names, list) or not all(n in DATASETS for n in names):
        raise CourseError(f"{path}: 'data' must list datasets the tests read, among {list(DATASETS)}; got {names!r}")
    return tuple(names)


def find_homeworks(root: Path) -> list[Homework]:
    """Every ``hw<N>_<name>`` folder of `root` that has a manifest.yaml, ordered by N."""
    found = [load_homework(root, p.name) for p in root.iterdir()
             if p.is_dir() and HW_PATTERN.match(p.name) and (p / "manifest.yaml").is_file()]
    return sorted(found, key=lambda hw: (hw.number, hw.name))


def get_homework(root: Path, name: str) -> Homework:
    """The homework called `name` (``hw1_vocab``; ``hw1`` works too when unambiguous)."""
    homeworks = find_homeworks(root)
    for hw in homeworks:
        if hw.name == name:
            return hw
    prefix = [hw for hw in homeworks if hw.name.split("_")[0] == name]
    if len(prefix) == 1:
        return prefix[0]
    raise CourseError(f"no homework {name!r} with a manifest.yaml in {root}; "
                      f"found: {', '.join(hw.name for hw in homeworks) or 'none'}")


def course_files(root: Path) -> list[str]:
    """Sorted repo-relative paths of the files that make up the course.

    In a git checkout: the files git tracks (``git ls-files``; a new file counts once it is
    ``git add``-ed), so an untracked results.json or notes file never ships. Outside git (an unpacked
    release): every file under `root`. Junk folders are always skipped.
    """
    root = Path(root)
    names: list[str] = []
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached"],
                             cwd=root, check=True, capture_output=True).stdout
        names = [n for n in out.decode("utf-8").split("\0") if n]
    if not names:  # not a checkout (an unpacked release), or a fresh `git init` with nothing added
        names = [str(Path(d, f).relative_to(root)).replace(os.sep, "/")
                 for d, _, files in os.walk(root) for f in files]
    keep = []
    for name in names:
        path = root / name
        if set(name.split("/")) & JUNK_PARTS or name.endswith(".pyc"):
            continue
        if path.is_file() and not path.is_symlink():
            keep.append(name)
    return sorted(set(keep))


def imported_homeworks(root: Path, hw: Homework, known: list[str]) -> list[str]:
    """Names of the other homeworks in `known` that `hw` imports, transitively, in course order."""
    seen: set[str] = set()
    todo = [hw.name]
    while todo:
        current = todo.pop()
        for py in sorted((root / current).rglob("*.py")):
            try:
                tree = ast.parse(py.read_text(encoding="utf-8"))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in known and top != hw.name and top not in seen:
                        seen.add(top)
                        todo.append(top)
    return sorted(seen, key=lambda n: int(HW_PATTERN.match(n).group(1)))


def instructor_only(rel: str) -> str | None:
    """Why the repo-relative path `rel` is instructor-only (INSTRUCTOR_ONLY), or None."""
    for pattern, reason in INSTRUCTOR_ONLY.items():
        if fnmatch.fnmatchcase(rel, pattern):
            return reason
    return None


def builds_on_closure(root: Path, hw: Homework) -> list[str]:
    """The earlier homeworks `hw` builds on, transitively (manifest ``builds_on``), in course order."""
    seen: dict[str, Homework] = {}
    todo = list(hw.builds_on)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen[name] = load_homework(root, name)
            todo.extend(seen[name].builds_on)
    return sorted(seen, key=lambda n: int(HW_PATTERN.match(n).group(1)))


def main(argv: list[str] | None = None) -> int:
    """``list``: every homework folder; ``folder NAME``: the folder of hw3 / hw3_edugrad (for the Makefile)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(".")
    try:
        if args == ["list"]:
            print("\n".join(hw.name for hw in find_homeworks(root)))
            return 0
        if len(args) == 2 and args[0] == "folder":
            print(get_homework(root, args[1]).name)
            return 0
    except CourseError as err:
        print(f"course: {err}", file=sys.stderr)
        return 2
    print("usage: python -m grading.course list | folder hwN", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
