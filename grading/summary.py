"""The console summary of a graded submission: points per task, and the tests that failed.

``make grade`` prints it after writing results.json; each test of results.json also gets its task
marker as a Gradescope tag (``"tags": ["task_gradients"]``; Gradescope's results format allows tags
per test). Tests worth 0 points (checks of given code) are counted apart.
"""
from __future__ import annotations

from pathlib import Path

from grading.course import get_homework
from grading.points import collect

NO_TASK = "(no task)"


def tasks_by_test(template: Path, hw_name: str) -> dict[str, str]:
    """Test id -> its task marker, collected on the grading template (no submitted code); {} if that fails."""
    try:
        tests = collect(Path(template), [hw_name])
    except RuntimeError:
        return {}
    return {t["id"]: t["tasks"][0] for t in tests if t["tasks"]}


def tag_tests(results: dict, tasks: dict[str, str]) -> None:
    """Give each test of `results` its task marker as a Gradescope tag."""
    for test in results["tests"]:
        if test["name"] in tasks:
            test["tags"] = [tasks[test["name"]]]


def by_task(results: dict, tasks: dict[str, str], order: list[str]) -> dict[str, list[dict]]:
    """The graded tests (worth points) of `results` by task marker: the tasks in `order` (the manifest's)
    first, then any other, then the tests of no task under NO_TASK."""
    rows: dict[str, list[dict]] = {}
    for test in results["tests"]:
        if test["max_score"] > 0:
            rows.setdefault(tasks.get(test["name"], NO_TASK), []).append(test)
    return {task: rows[task] for task in sorted(rows, key=lambda t: order.index(t) if t in order else len(order))}


def points(tests: list[dict]) -> tuple[float, float]:
    """(points earned, points worth) of `tests`, rounded (a parametrised test's cases share fractions)."""
    return round(sum(t["score"] for t in tests), 6), round(sum(t["max_score"] for t in tests), 6)


def summary(hw_name: str, results: dict, tasks: dict[str, str], order: list[str]) -> str:
    """Total, then one line per task: points earned / max and the names of its failed and skipped
    tests; then the grader's notes on the submission and the machine (e.g. a dataset not found)."""
    rows = by_task(results, tasks, order)
    graded = [t for tests in rows.values() for t in tests]
    free = len(results["tests"]) - len(graded)
    passed = sum(t["status"] == "passed" for t in graded)
    note = f"; {free} checks of given code worth 0 points not counted" if free else ""
    lines = [f"{hw_name}: {results['score']:g} / {results['max_score']:g} points "
             f"({passed}/{len(graded)} graded tests passed{note}) in {results['execution_time']:.1f} s"]
    width = max((len(task) for task in rows), default=0)
    for task, tests in rows.items():
        earned, worth = points(tests)
        tail = "".join(f"  {label}: {', '.join(names)}" for label, names in _not_passed(tests) if names)
        lines.append(f"  {task:<{width}}  {earned:g} / {worth:g}{tail}")
    lines += [f"note: {line}" for line in results.get("output", "").splitlines()[1:] if line.strip()]
    return "\n".join(lines)


def _not_passed(tests: list[dict]) -> list[tuple[str, list[str]]]:
    """[("failed", names), ("skipped", names)]: a skipped test (its output starts "skipped") earns nothing."""
    names = {"failed": [], "skipped": []}
    for test in tests:
        if test["status"] != "passed":
            kind = "skipped" if test.get("output", "").startswith("skipped") else "failed"
            names[kind].append(test["name"].split("::", 1)[-1])
    return list(names.items())


def homework_tasks(template: Path, hw_name: str) -> list[str]:
    """The task markers of the homework, in manifest order."""
    return [task for task, _ in get_homework(Path(template), hw_name).tasks]
