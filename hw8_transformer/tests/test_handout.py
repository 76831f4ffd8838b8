"""The handout's grading table equals the points the autograder collects, task by task."""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|[^|]*\|\s*`(task_\w+)`\s*\|\s*([\d.]+)\s*\|\s*(public|hidden)\s*\|\s*$")


def _marks(node: ast.AST) -> list[tuple[str, list]]:
    """(name, literal args) of every ``pytest.mark.<name>(...)`` or ``pytest.mark.<name>`` in `node`."""
    found = []
    for item in node.elts if isinstance(node, ast.List | ast.Tuple) else [node]:
        call = item if isinstance(item, ast.Call) else None
        target = call.func if call else item
        if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "pytest.mark":
            args = [ast.literal_eval(a) for a in call.args] if call and target.attr == "points" else []
            found.append((target.attr, args))
    return found


def collected_points() -> dict[tuple[str, str], float]:
    """Points per (task marker, public|hidden), read from the test files' decorators."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for path in sorted((FOLDER / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marks = [m for node in tree.body if isinstance(node, ast.Assign)
                        and any(getattr(t, "id", "") == "pytestmark" for t in node.targets) for m in _marks(node.value)]
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            marks = module_marks + [m for d in node.decorator_list for m in _marks(d)]
            names = {name for name, _ in marks}
            points = next((args[0] for name, args in reversed(marks) if name == "points"), 1)
            tasks = [name for name in names if name.startswith("task_")]
            hidden = "hidden" in names or path.name.startswith("test_hidden_")
            if points:
                assert len(tasks) == 1, f"{path.name}::{node.name} is worth {points} points but has tasks {tasks}"
                totals[(tasks[0], "hidden" if hidden else "public")] += points
    return dict(totals)


@pytest.mark.points(0)
def test_grading_table_equals_collected_points():
    handout = (FOLDER / "README.md").read_text(encoding="utf-8")
    table = {}
    for line in handout.splitlines():
        match = ROW.match(line.strip())
        if match:
            table[(match.group(1), match.group(3))] = float(match.group(2))
    collected = collected_points()
    assert table == collected, f"README grading table {table} but the tests give {collected}"
    tasks_in_manifest = set(re.findall(r"^\s+(task_\w+):", (FOLDER / "manifest.yaml").read_text(), re.M))
    assert {task for task, _ in collected} == tasks_in_manifest, "every manifest task has graded tests"
    assert "make submit HW=hw8_transformer" in handout and "make grade HW=hw8_transformer" in handout
