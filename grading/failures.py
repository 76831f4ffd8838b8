"""What a failed test's ``output`` in results.json says, read for the class report and the feedback.

The grader writes a failed test's output as pytest's report (``--tb=short``: the frames with their
source lines, then the ``E   `` lines of the error), sometimes after a line of its own (a test killed,
a session ended, a file that could not be imported). The phrases of those lines live here, so that
the grader that writes them and the report that reads them cannot drift apart.
"""
from __future__ import annotations

import re

IMPORT_FAILED = "the test file could not be imported"
COLLECTION_FAILED = "collection failed"
DIED_IMPORTING = "while importing the tests and the submitted code"
NOTHING_SUBMITTED = "no editable file was submitted"
GRADING_FAILED = "grading failed"

ERROR_LINE = re.compile(r"^E {1,3}(.*)$")
# pytest's assertion introspection: "+  where 3 = f(x)" names sub-expressions of the test's source
INTROSPECTION = re.compile(r"^\s*[+]")
ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b")


def error_lines(output: str) -> list[str]:
    """The ``E`` lines of pytest's report (the exception and its message), without their prefix."""
    return [m.group(1).rstrip() for line in output.splitlines() if (m := ERROR_LINE.match(line))]


def first_failure_line(output: str) -> str:
    """The line that says why a test failed: the first unindented ``E`` line (``NotImplementedError: …``,
    ``SyntaxError: …``), else the first ``E`` line, else the first line that is not empty.

    Memory addresses (``0x7f…``) are blanked so that one failure reads the same in every submission."""
    errors = error_lines(output)
    line = next((e for e in errors if e and not e[0].isspace()), errors[0].strip() if errors else "")
    if not line:
        line = next((raw.strip() for raw in output.splitlines() if raw.strip()), "(no output)")
    return ADDRESS.sub("0x…", line)


def message_only(output: str, max_lines: int = 20) -> str:
    """What a hidden test may show: the grader's own first line when it wrote one, and the error's
    ``E`` lines without pytest's introspection of the assertion; never a frame or a source line."""
    lines = []
    first = next((raw for raw in output.splitlines() if raw.strip()), "")
    if first and not ERROR_LINE.match(first) and not first.startswith(" ") and ".py:" not in first:
        lines.append(first.strip())
    lines += [e for e in error_lines(output) if e.strip() and not INTROSPECTION.match(e)]
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… ({len(lines) - max_lines} more lines)"]
    return "\n".join(lines) or "(no message)"


def import_failure(result: dict) -> str | None:
    """Why the submission's tests failed before they ran (no file submitted, a test file that could not
    be imported, collection failed, the process died while importing; or the grader failed), as one
    line; None if none did."""
    if not result["tests"]:
        return result.get("output", "").splitlines()[0] if result.get("output") else GRADING_FAILED
    for test in result["tests"]:
        output = test["output"]
        if output.startswith((IMPORT_FAILED, COLLECTION_FAILED, NOTHING_SUBMITTED)) or DIED_IMPORTING in output:
            return first_failure_line(output) if error_lines(output) else output.splitlines()[0]
    return None
