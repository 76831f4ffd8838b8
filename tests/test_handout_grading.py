"""Each handout's grading table (task | what | public points | hidden points) equals what the autograder
collects: the points of every test, by task marker and visibility. Checked for every handout that has
such a table."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from common.report import discover_homeworks
from common.run import REPO_ROOT

TABLE_HEADER = "| task | what | public points | hidden points |"
COLLECT = """
import collections, json, sys
import pytest
from grading.plugin import points_and_visibility

class Points:
    def __init__(self):
        self.table = collections.defaultdict(lambda: [0.0, 0.0])
    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            points, visibility = points_and_visibility(item)
            task = next((m.name for m in item.iter_markers() if m.name.startswith("task_")), None)
            if points:
                self.table[task][visibility != "visible"] += points

plugin = Points()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]], plugins=[plugin])
print("POINTS " + json.dumps(plugin.table))
sys.exit(int(code))
"""


def handout_table(hw: str) -> dict[str, list[float]] | None:
    text = (REPO_ROOT / hw / "README.md").read_text(encoding="utf-8")
    if TABLE_HEADER not in text:
        return None
    rows = {}
    for line in text.split(TABLE_HEADER, 1)[1].splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4:
            break
        task = cells[0].strip("`*")
        if task != "total":
            rows[task] = [float(cells[2].strip("*")), float(cells[3].strip("*"))]
    return rows


HANDOUTS = [hw for hw in discover_homeworks() if handout_table(hw) is not None]


@pytest.mark.parametrize("hw", HANDOUTS)
def test_grading_table_equals_the_collected_points(hw):
    result = subprocess.run([sys.executable, "-c", COLLECT, hw], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=240)
    line = next((x for x in result.stdout.splitlines() if x.startswith("POINTS ")), None)
    assert result.returncode == 0 and line, f"collecting {hw}'s tests failed:\n{result.stdout[-2000:]}{result.stderr}"
    collected = {task: points for task, points in json.loads(line[len("POINTS "):]).items()}
    assert "null" not in collected, f"{hw}: tests with points but no task marker: give each a task_* marker"
    table = handout_table(hw)
    assert table == collected, (f"{hw}/README.md's grading table says {table} (public, hidden) but the grader "
                                f"collects {collected}; update the table")
    text = (REPO_ROOT / hw / "README.md").read_text(encoding="utf-8")
    total = re.search(r"\| \*\*total\*\* \|[^|]*\| \*\*([\d.]+)\*\* \| \*\*([\d.]+)\*\* \|", text)
    if total:
        sums = [sum(points[i] for points in collected.values()) for i in (0, 1)]
        assert [float(total.group(1)), float(total.group(2))] == sums, f"{hw}: the total row should be {sums}"
