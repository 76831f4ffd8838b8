"""The grading template of one homework: what a grading copy holds before the submission is laid over.

- the homework under grading as in the student release (stubs, no solution, no solution-only file),
  plus its hidden tests;
- the earlier homeworks its manifest says it builds on (``builds_on: [hw3_edugrad]``, transitively), as
  reference code without their tests and solution-only files;
- ``common/``, ``grading/`` (but its instructor-only files: the new-homework skeleton holds a solution)
  and the top-level files (pyproject.toml, conftest.py, requirements.txt).
Nothing else: no other homework, no repository tests, no notes.
"""
from __future__ import annotations

from pathlib import Path

from grading.course import Homework, builds_on_closure, course_files, get_homework, instructor_only, load_homework
from grading.release import OutFile, Release, release_file

SHARED_FOLDERS = ("common", "grading")


def build_template(root: Path, hw_name: str) -> tuple[Homework, list[str], Release]:
    """(homework, names of the reference homeworks it builds on, files of the template)."""
    root = Path(root)
    hw = get_homework(root, hw_name)
    deps = {name: load_homework(root, name) for name in builds_on_closure(root, hw)}
    template = Release()
    for rel in course_files(root):
        top, _, inner = rel.partition("/")
        if not inner or (top in SHARED_FOLDERS and instructor_only(rel) is None):
            template.files[rel] = release_file(root, rel, top, template)
        elif top == hw.name and not hw.is_solution_only(inner):
            template.files[rel] = release_file(root, rel, top, template, hw)
        elif top in deps and not inner.startswith("tests/") and not deps[top].is_solution_only(inner):
            template.files[rel] = OutFile((root / rel).read_bytes())
    return hw, sorted(deps), template
