"""The grading template of one homework: what a grading copy holds before the submission is laid over.

- the homework under grading as in the student release (stubs, no solution, no solution-only file),
  plus its hidden tests;
- the earlier homeworks it imports (e.g. hw3_edugrad for hw4), as reference code without their tests;
- ``common/``, ``grading/`` and the top-level files (pyproject.toml, conftest.py, requirements.txt).
Nothing else: no other homework, no repository tests, no notes.
"""
from __future__ import annotations

from pathlib import Path

from grading.course import HW_PATTERN, Homework, course_files, find_homeworks, get_homework, imported_homeworks
from grading.release import OutFile, Release, release_file

SHARED_FOLDERS = ("common", "grading")


def build_template(root: Path, hw_name: str) -> tuple[Homework, list[str], Release]:
    """(homework, names of the reference homeworks it builds on, files of the template)."""
    root = Path(root)
    hw = get_homework(root, hw_name)
    known = [p.name for p in root.iterdir() if p.is_dir() and HW_PATTERN.match(p.name)]
    with_manifest = {h.name: h for h in find_homeworks(root)}
    deps = {name: with_manifest.get(name) for name in imported_homeworks(root, hw, known)}
    template = Release()
    for rel in course_files(root):
        top, _, inner = rel.partition("/")
        if not inner or top in SHARED_FOLDERS:
            template.files[rel] = release_file(root, rel, top, template)
        elif top == hw.name and not hw.is_solution_only(inner):
            template.files[rel] = release_file(root, rel, top, template)
        elif top in deps and not inner.startswith("tests/") and not (deps[top] and deps[top].is_solution_only(inner)):
            template.files[rel] = OutFile((root / rel).read_bytes())
    return hw, sorted(deps), template
