"""One size for each stub: the size budget a `# TODO` hint states ("About N lines.", "~N lines") is the
size the released stub's NotImplementedError gives, in every homework, and a hint that states two
different budgets is refused with its file and line.

The hints are read here with this file's own pattern, not with grading.markers' parser, so that a
parser that picks the wrong phrase ("each one line. About 3 lines." read as 1) is caught.
"""
import re
import textwrap

import pytest

from grading.course import find_homeworks
from grading.markers import MarkerError, module_name, strip_solutions
from tests.hostile.helpers import REPO

HOMEWORKS = find_homeworks(REPO)
# A stated budget: "about 3 lines", "About one line", "~4 lines" (not a bare "each one line").
STATED = re.compile(r"(?:\babout\s+|~\s*)(\d+|one)\s+lines?\b", re.IGNORECASE)
STUB = re.compile(r'raise NotImplementedError\(".*\(about (\d+) lines?\)"\)')


def stated_budgets(hint: str) -> set[int]:
    return {1 if n.lower() == "one" else int(n) for n in STATED.findall(hint)}


def hint_above(lines: list[str], index: int) -> str:
    """The comment lines right above lines[index], from the nearest one starting with '# TODO'."""
    first = index
    while first > 0 and lines[first - 1].strip().startswith("#"):
        first -= 1
        if lines[first].strip().startswith("# TODO"):
            return " ".join(line.strip().lstrip("#") for line in lines[first:index])
    return ""


@pytest.mark.parametrize("hw", HOMEWORKS, ids=[hw.name for hw in HOMEWORKS])
def test_every_stub_gives_the_budget_its_todo_hint_states(hw):
    differ, stubs = [], 0
    for name in hw.editable:
        rel = f"{hw.name}/{name}"
        if not rel.endswith(".py"):
            continue
        text = strip_solutions((REPO / rel).read_text(encoding="utf-8"), rel, module_name(rel), hw.name).text
        lines = text.splitlines()
        for index, line in enumerate(lines):
            stub = STUB.search(line)
            if stub is None:
                continue
            stubs += 1
            stated = stated_budgets(hint_above(lines, index))
            if stated and stated != {int(stub.group(1))}:
                differ.append(f"{rel}:{index + 1} (release line): the TODO hint says about {sorted(stated)} "
                              f"lines, the stub's error about {stub.group(1)}")
    assert stubs, f"{hw.name}: expected stubs in the release of its editable files but found none"
    assert not differ, f"{hw.name}: expected each stub's error to give its TODO hint's budget; {differ}"


def strip(source: str):
    return strip_solutions(textwrap.dedent(source), "hw9_x/ops.py", "hw9_x.ops", "hw9_x")


def test_the_about_phrase_is_the_budget_whatever_else_the_hint_counts():
    result = strip('''
        def forward(x):
            # TODO: four steps, each one line
            # (~4 lines in all). About 4 lines.
            # BEGIN SOLUTION
            return x
            # END SOLUTION
    ''')
    assert "implement hw9_x.ops.forward (about 4 lines)" in result.text, result.text


def test_a_hint_with_two_different_budgets_is_refused_with_its_file_and_line():
    with pytest.raises(MarkerError, match=r"hw9_x/ops\.py:3: .*about 2 lines.*about 5 lines"):
        strip('''
            def forward(x):
                # TODO: about 2 lines for the mask,
                # then the average; about 5 lines.
                # BEGIN SOLUTION
                return x
                # END SOLUTION
        ''')
