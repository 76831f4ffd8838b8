"""The course checkout as the tooling sees it: its homeworks and files, and which files are instructor-only.

What a homework is (a folder ``hw<N>_<name>`` with a ``manifest.yaml``) is common/homeworks.py's to
say, which this module passes on to the release and the grader; the Makefile asks it
(``python -m grading.course folder hw3``).

    python -m grading.course list          # every homework folder, in course order
    python -m grading.course folder hw3    # hw3 -> hw3_edugrad (exit 2 with the list if unknown)
"""
from __future__ import annotations

import ast
import fnmatch
import os
import subprocess
import sys
from pathlib import Path

from common.homeworks import (  # noqa: F401  (the registry; grading's modules ask grading.course for it)
    HIDDEN_TEST,
    HW_PATTERN,
    CourseError,
    Homework,
    builds_on_closure,
    find_homeworks,
    get_homework,
    load_homework,
)

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
    "grading/homework_template/*": "the skeleton `make new-homework` writes: its task's solution is inline",
    "grading/new_homework.py": "`make new-homework`, which writes a homework from that skeleton",
    "bench/*": "benchmark results measured on the reference solutions",
    "notes/*": "instructor notes",
    "docs/*": "documentation for TAs (docs/homework-shape.md: the shape of a homework, adding one)",
    "DESIGN.md": "design notes",
}


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


def untracked_files(root: Path, folder: str) -> list[str]:
    """Files under `folder` that git neither tracks nor ignores ([] outside a git checkout)."""
    if not (Path(root) / ".git").exists():
        return []
    out = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z", "--", folder],
                         cwd=root, check=True, capture_output=True).stdout
    return sorted(name for name in out.decode("utf-8").split("\0") if name)


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
