"""Points of collected tests, and the grading table of a homework (task -> points -> public / hidden).

A test is worth ``@pytest.mark.points(n)`` (unmarked: 1). A parametrised test's n is split evenly
across its cases: ``points(3)`` with three parameter sets gives 1 point per case, 3 in all, so the
table in the handout is what the test function is worth whatever its parametrisation. A case may
carry its own mark (``pytest.param(x, marks=pytest.mark.points(0))``): it keeps it, and the
function's points are split across the other cases. The autograder's plugin (grading/plugin.py)
uses :func:`split_points`, and the handouts' tables are checked against :func:`grading_table`.

    python -m grading.points hw2_word2vec      # prints the handout's grading table (collects the tests)
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from grading.course import get_homework


def _own_mark(item: pytest.Item):
    """A points mark on the item's parameter set, if any."""
    marks = getattr(getattr(item, "callspec", None), "marks", [])
    return next((m for m in marks if m.name == "points"), None)


def _function_points(item: pytest.Item) -> float:
    """Points of the test function (class and module marks included), parameter marks left out."""
    own = _own_mark(item)
    marks = [m for m in item.iter_markers("points") if m is not own]
    return float(marks[0].args[0]) if marks and marks[0].args else 1.0


def split_points(items: Iterable[pytest.Item]) -> dict[str, float]:
    """Points of every item (node id -> points), a parametrised function's points split across its cases."""
    items = list(items)
    cases: dict[tuple, list[pytest.Item]] = defaultdict(list)
    for item in items:
        function = (str(item.path), item.cls.__name__ if getattr(item, "cls", None) else "",
                    getattr(item, "originalname", item.name))
        cases[function].append(item)
    points: dict[str, float] = {}
    for group in cases.values():
        unmarked = [item for item in group if _own_mark(item) is None]
        for item in group:
            own = _own_mark(item)
            if own is not None:
                points[item.nodeid] = float(own.args[0]) if own.args else 1.0
            else:
                points[item.nodeid] = _function_points(item) / len(unmarked)
    return points


def is_hidden(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("hidden") or item.get_closest_marker("after_due_date"))


@dataclass(frozen=True)
class Row:
    """One row of a grading table: a task marker with its public and hidden points."""

    task: str
    public: float
    hidden: float

    @property
    def total(self) -> float:
        return self.public + self.hidden


def grading_table(tests: list[dict], tasks: list[str]) -> list[Row]:
    """Rows in manifest order (then "(no task)") from collected tests ({"tasks", "points", "hidden"}).

    A test with several task markers counts under the closest one (function before class before module)."""
    public: dict[str, float] = defaultdict(float)
    hidden: dict[str, float] = defaultdict(float)
    for test in tests:
        task = next((t for t in test["tasks"] if t in tasks), "(no task)")
        (hidden if test["hidden"] else public)[task] += test["points"]
    order = [t for t in [*tasks, "(no task)"] if t in public or t in hidden]
    rows = [Row(task, round(public.get(task, 0.0), 2), round(hidden.get(task, 0.0), 2)) for task in order]
    return [row for row in rows if row.total > 0]


def _number(value: float) -> str:
    return f"{value:g}" if abs(value - round(value)) < 1e-9 else f"{value:.2f}"


def to_markdown(rows: list[Row]) -> str:
    """The table as a handout writes it (see parse_markdown)."""
    lines = ["| task | points | public | hidden |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row.task}` | {_number(row.total)} | {_number(row.public)} | {_number(row.hidden)} |")
    total = Row("total", sum(r.public for r in rows), sum(r.hidden for r in rows))
    lines.append(f"| total | {_number(total.total)} | {_number(total.public)} | {_number(total.hidden)} |")
    return "\n".join(lines)


def parse_markdown(handout: str) -> list[Row] | None:
    """The grading table of a handout (the first table under its ``## Grading`` heading), or None.

    Columns are found by their headers: the one naming the task, the public and the hidden points
    (``| task | points | public | hidden |`` as to_markdown writes it, or ``| task | what | public points
    | hidden points |``); rows name a task marker (``task_x``), a total row is skipped.
    """
    lines = handout.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip().lower() == "## grading")
    except StopIteration:
        return None
    rows: list[Row] = []
    columns: dict[str, int] | None = None
    for line in lines[start + 1:]:
        if line.startswith("## ") or (columns is not None and not line.strip().startswith("|")):
            break
        if not line.strip().startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if columns is None:
            headers = [c.lower() for c in cells]
            columns = {name: next((i for i, h in enumerate(headers) if name in h), -1)
                       for name in ("task", "public", "hidden")}
            continue
        task = re.search(r"\btask_\w+|\(no task\)", cells[columns["task"]]) if columns["task"] >= 0 else None
        if task is None or set(cells[0]) <= set("-: "):
            continue
        rows.append(Row(task.group(0), _cell_number(cells, columns["public"]), _cell_number(cells, columns["hidden"])))
    return rows


def _cell_number(cells: list[str], index: int) -> float:
    """The number in a table cell (``3``, ``**3**``); 0 for a missing or empty cell."""
    text = cells[index].strip("*` ") if 0 <= index < len(cells) else ""
    return float(text) if text else 0.0


class TableCollector:
    """A pytest plugin that records, for every collected test, its tasks, points and visibility."""

    def __init__(self) -> None:
        self.tests: list[dict] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        points = split_points(items)
        for item in items:
            self.tests.append({"id": item.nodeid, "points": points[item.nodeid], "hidden": is_hidden(item),
                               "tasks": [m.name for m in item.iter_markers() if m.name.startswith("task_")]})


def collect(root: Path, folders: list[str]) -> list[dict]:
    """Collect the tests of `folders` (public and hidden) in a fresh interpreter; one dict per test."""
    code = ("import json, sys, pytest\nfrom grading.points import TableCollector\n"
            "c = TableCollector()\n"
            "status = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', *sys.argv[1:]], plugins=[c])\n"
            "print('\\nGRADING-TABLE ' + json.dumps(c.tests))\nsys.exit(int(status))\n")
    done = subprocess.run([sys.executable, "-c", code, *folders], cwd=root, capture_output=True, text=True)
    marker = next((line for line in done.stdout.splitlines() if line.startswith("GRADING-TABLE ")), None)
    if done.returncode != 0 or marker is None:
        raise RuntimeError(f"collecting the tests of {folders} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return json.loads(marker.removeprefix("GRADING-TABLE "))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m grading.points hwN_name", file=sys.stderr)
        return 2
    hw = get_homework(Path("."), args[0])
    tests = collect(Path("."), [hw.name])
    print(to_markdown(grading_table(tests, [task for task, _ in hw.tasks])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
