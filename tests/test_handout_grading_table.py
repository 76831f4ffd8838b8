"""A handout's grading table (task marker -> points -> public / hidden) equals the points its tests
carry. Applies to every handout whose "## Grading" section holds such a table. Points are read
from the test files' syntax trees: `@pytest.mark.points(n)` on the test or its module (default 1;
a parametrised test's points are split across its cases, so the function counts n), a `task_*`
marker on the test or its module, hidden when the file is `tests/test_hidden_*.py` or marked hidden.
In a student release the hidden test files are absent and only the public rows are compared."""
from __future__ import annotations

import ast
import re
from collections import Counter

import pytest

from common.report import discover_homeworks
from common.run import REPO_ROOT

ROW = re.compile(r"^\|\s*`?(task_\w+)`?\s*\|[^|]*?\|?\s*(\d+(?:\.\d+)?)\s*\|\s*(public|hidden)\s*\|", re.MULTILINE)


def handout_table(hw: str) -> Counter | None:
    """(task, visibility) -> points from the handout's grading table; None if it has none."""
    text = (REPO_ROOT / hw / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Grading", 1)
    if len(section) < 2:
        return None
    table = Counter()
    for task, points, visibility in ROW.findall(section[1].split("\n## ", 1)[0]):
        table[task, visibility] += float(points)
    return table or None


def _marks(decorators: list[ast.expr]) -> dict[str, object]:
    """Marker name -> first argument (or True) of pytest.mark.* expressions."""
    found: dict[str, object] = {}
    for node in decorators:
        call = node if isinstance(node, ast.Call) else None
        target = call.func if call else node
        is_mark = isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute)
        if is_mark and target.value.attr == "mark":
            found[target.attr] = ast.literal_eval(call.args[0]) if call and call.args else True
    return found


def collected_points(hw: str) -> tuple[Counter, bool]:
    """(task, visibility) -> points carried by the tests of `hw`, and whether hidden test files exist."""
    points, has_hidden = Counter(), False
    for path in sorted((REPO_ROOT / hw / "tests").rglob("test_*.py")):
        hidden_file = path.name.startswith("test_hidden_")
        has_hidden |= hidden_file
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marks: dict[str, object] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
                values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
                module_marks = _marks(values)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                marks = {**module_marks, **_marks(node.decorator_list)}
                value = float(marks.get("points", 1))
                task = next((name for name in marks if name.startswith("task_")), "(no task)")
                visibility = "hidden" if hidden_file or "hidden" in marks else "public"
                if value:
                    points[task, visibility] += value
    return points, has_hidden


HANDOUTS = [hw for hw in discover_homeworks() if handout_table(hw) is not None]


@pytest.mark.parametrize("hw", HANDOUTS)
def test_grading_table_equals_the_points_of_the_tests(hw):
    table, (collected, has_hidden) = handout_table(hw), collected_points(hw)
    if not has_hidden:
        table = Counter({key: value for key, value in table.items() if key[1] == "public"})
    assert table == collected, (
        f"{hw}/README.md grading table {dict(sorted(table.items()))} does not match the points the tests "
        f"carry {dict(sorted(collected.items()))}: update the table (or the tests' points)")
