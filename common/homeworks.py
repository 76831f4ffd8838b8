"""The homework registry: what a homework is, read from its manifest (used by the run report,
the root conftest's task markers and the course tooling in grading/).

A homework is a folder ``hw<N>_<name>`` with a ``manifest.yaml``: the files a student edits and submits
(``editable``), files never released (``solution_only``), one pytest marker per task (``tasks``), the
earlier homeworks it builds on (``builds_on``) and the datasets its tests read (``data``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.resources import DATASETS

HW_PATTERN = re.compile(r"^hw(\d+)_[a-z0-9_]+$")
HIDDEN_TEST = re.compile(r"^tests/(.*/)?test_hidden_[^/]*\.py$")


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
        return self.described_tasks(function) or self.described_tasks(rel.rsplit("/", 1)[-1])

    def described_tasks(self, function: str) -> list[str]:
        """The task markers whose manifest description names `function` (``SGNSModel.step``) or, for a
        method, its outermost class (``lookup_rows``)."""
        for wanted in dict.fromkeys((function, function.split(".")[0])):
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
    tasks = data.get("tasks") or {}
    if not isinstance(tasks, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tasks.items()):
        raise CourseError(f"{path}: 'tasks' must map marker names to descriptions, e.g. task_zipf: fit (zipf.py)")
    editable, solution_only = (_relative_paths(path, name, key, data.get(key) or [])
                               for key in ("editable", "solution_only"))
    if not editable:
        raise CourseError(f"{path}: 'editable' is empty; list the files a student submits")
    for rel in editable:
        if not (root / name / rel).is_file():
            raise CourseError(f"{path}: editable file {rel!r} does not exist in {name}/")
    return Homework(name, int(match.group(1)), editable, solution_only, tuple(tasks.items()),
                    _builds_on(root, path, int(match.group(1)), data.get("builds_on") or []),
                    _datasets(path, data.get("data") or []))


def _relative_paths(path: Path, name: str, key: str, value: object) -> tuple[str, ...]:
    """The manifest's `key` list: paths relative to the homework folder, without '..'."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CourseError(f"{path}: '{key}' must be a list of paths relative to {name}/")
    for rel in value:
        if rel.startswith("/") or ".." in rel.split("/"):
            raise CourseError(f"{path}: {key} entry {rel!r} must be relative to {name}/ without '..'")
    return tuple(value)


def _builds_on(root: Path, path: Path, number: int, builds_on: object) -> tuple[str, ...]:
    """The manifest's 'builds_on': earlier homework folders of `root`."""
    if not isinstance(builds_on, list) or not all(isinstance(b, str) and HW_PATTERN.match(b) for b in builds_on):
        raise CourseError(f"{path}: 'builds_on' must list earlier homework folders, e.g. [hw3_edugrad]")
    for earlier in builds_on:
        if int(HW_PATTERN.match(earlier).group(1)) >= number or not (root / earlier).is_dir():
            raise CourseError(f"{path}: builds_on entry {earlier!r} must be an earlier homework folder of {root}")
    return tuple(builds_on)


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
