"""Feedback for each student of a graded homework: ``feedback/<submission>.md``.

Points per task (with the manifest's description of each task), the failed tests with what they said,
and the grader's notes on the submission (where each editable file was taken from, which were
missing, the sandbox). A visible test shows its output (the student has its source anyway); a hidden
test shows only its name and its error message (:func:`grading.failures.message_only`), never a line
of its source.
"""
from __future__ import annotations

from pathlib import Path

from grading.document import Code, Document, Table, write_markdown
from grading.failures import message_only
from grading.summary import by_task, points

OUTPUT_LINES = 60


def _shown_output(test: dict) -> str:
    if test["visibility"] != "visible":
        return message_only(test["output"])
    lines = test["output"].rstrip().splitlines()
    if len(lines) > OUTPUT_LINES:
        lines = [f"… ({len(lines) - OUTPUT_LINES} lines left out)", *lines[-OUTPUT_LINES:]]
    return "\n".join(lines) or "(no output)"


def feedback(hw: str, name: str, result: dict, tasks: dict[str, str], descriptions: dict[str, str]) -> Document:
    """The feedback of one submission; `descriptions`: task marker -> its manifest description, in order."""
    rows = by_task(result, tasks, list(descriptions))
    graded = [t for tests in rows.values() for t in tests]
    passed = sum(t["status"] == "passed" for t in graded)
    doc = Document(f"{hw}: feedback for {name}")
    doc.add("Score", f"{result['score']:g} / {result['max_score']:g} points; {passed} of {len(graded)} graded "
                     "tests passed.")
    doc.add("Points per task", Table(("task", "points", "what it covers"), [
        (task, "{:g} / {:g}".format(*points(tests)), descriptions.get(task, "")) for task, tests in rows.items()]))
    failed: list = []
    for test in result["tests"]:
        if test["status"] != "passed":
            hidden = "hidden test, its message only; " if test["visibility"] != "visible" else ""
            worth = f"{test['max_score']:.3g} point" + ("" if test["max_score"] == 1 else "s")
            failed.append(f"{test['name'].rsplit('/', 1)[-1]} ({hidden}{tasks.get(test['name'], 'no task')}, {worth})")
            failed.append(Code(_shown_output(test)))
    doc.add("Failed tests", *(failed or ["None: every test passed."]))
    notes = [line for line in result.get("output", "").splitlines() if line.strip()]
    doc.add("Grader notes", "\n".join(f"- {line}" for line in notes) or "None.")
    return doc


def write_feedback(hw: str, results: dict[str, dict], tasks: dict[str, str], descriptions: dict[str, str],
                   folder: Path) -> list[Path]:
    """Write ``<folder>/<submission>.md`` for every submission of `results`; the paths written."""
    return [write_markdown(feedback(hw, name, result, tasks, descriptions), Path(folder) / f"{name}.md")
            for name, result in sorted(results.items())]
