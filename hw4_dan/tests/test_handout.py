"""The handout's grading table equals what the autograder collects: per task, public and hidden points."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from grading.course import get_homework
from grading.plugin import points_and_visibility

pytestmark = pytest.mark.points(0)
HW_DIR = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`(task_\w+)`\s*\|[^|]*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*$")


class _Collector:
    """A pytest plugin that records (task markers, points, visibility) of every collected test."""

    def __init__(self) -> None:
        self.items: list[tuple[list[str], float, str]] = []

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            tasks = [mark.name for mark in item.iter_markers() if mark.name.startswith("task_")]
            self.items.append((tasks, *points_and_visibility(item)))


def collected_points() -> tuple[dict[str, dict[str, float]], bool]:
    """{task: {"visible": points, "after_due_date": points}} over hw4's tests, and whether hidden tests exist."""
    collector = _Collector()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(HW_DIR / "tests")], plugins=[collector])
    assert code == 0, f"collecting {HW_DIR / 'tests'} failed with exit code {code}"
    points: dict[str, dict[str, float]] = defaultdict(lambda: {"visible": 0.0, "after_due_date": 0.0})
    for tasks, value, visibility in collector.items:
        assert len(tasks) <= 1, f"a test has several task markers {tasks}; give each test one task"
        if not tasks:
            assert value == 0, f"a test without a task marker is worth {value} points; mark its task or points(0)"
            continue
        points[tasks[0]][visibility] += value
    hidden_files = list((HW_DIR / "tests").glob("test_hidden_*.py"))
    return dict(points), bool(hidden_files)


def test_grading_table_equals_collected_points():
    rows = {m.group(1): (float(m.group(2)), float(m.group(3)))
            for m in map(ROW.match, (HW_DIR / "README.md").read_text(encoding="utf-8").splitlines()) if m}
    tasks = [marker for marker, _ in get_homework(HW_DIR.parent, HW_DIR.name).tasks]
    assert sorted(rows) == sorted(tasks), (
        f"expected one grading-table row per task of manifest.yaml {tasks}, got {sorted(rows)}")
    points, has_hidden = collected_points()
    for task in tasks:
        public, hidden = points.get(task, {}).get("visible", 0.0), points.get(task, {}).get("after_due_date", 0.0)
        assert rows[task][0] == public, (
            f"{task}: the handout says {rows[task][0]:g} public points, the tests give {public:g}")
        if has_hidden:  # the student release has no hidden tests to count
            assert rows[task][1] == hidden, (
                f"{task}: the handout says {rows[task][1]:g} hidden points, the tests give {hidden:g}")
