"""The hw2-from-hw3 leak, reproduced on the old layout and shown gone from every release.

Before releases were per homework, hw3 gave ``scatter_add_rows`` (word2vec.py) and
``UnfusedNumpySGNS.step`` (bench.py) while hw2 was stubbed beside it: pasted into hw2's sgns.py (with
three lines of glue for scatter_add's signature) they pass every public and hidden test of hw2's
task_scatter and task_model. The syntax-tree check of tests/test_release_roundtrip.py does not see
this (the code is written differently, not copied), so this test runs the paste itself: on the old
given code (tests/fixtures/old_layout/hw3_given_code.py) it passes hw2's tests; on the given code of
every release today the pieces are gone or stubs, and the same paste fails.
"""
import ast
import textwrap
import time

import pytest

from grading.autograde import Limits, run_child
from grading.leaks import Fingerprints, SolutionCode
from grading.markers import BEGIN, END
from grading.release import build_release, write_tree
from grading.template import build_template
from tests.hostile.helpers import REPO

OLD_GIVEN = REPO / "tests" / "fixtures" / "old_layout" / "hw3_given_code.py"
LIMITS = Limits(test_timeout=60, collect_timeout=120, total_timeout=240)
GLUE = """
weights = np.ones(rows.shape, dtype=vectors.dtype) if weights is None else weights
updates = weights.reshape(len(vectors), -1)[:, :, None] * vectors[:, None, :]   # [B, m, d]
scatter_add_rows(matrix, rows, updates, scale=scale)
"""


def definitions(source: str) -> dict[str, str]:
    """Source of every top-level function and method (``Class.method``) of a module."""
    found = {}
    tree = ast.parse(source)
    for node in tree.body:
        for child in [node, *(node.body if isinstance(node, ast.ClassDef) else [])]:
            if isinstance(child, ast.FunctionDef):
                name = child.name if child is node else f"{node.name}.{child.name}"
                found[name] = ast.get_source_segment(source, child)
    return found


def replace_block(source: str, function: str, body: str) -> str:
    """Replace the solution block of `function` (``SGNSModel.step``) in reference `source` by `body`."""
    lines = source.splitlines(keepends=True)
    owner, _, name = function.rpartition(".")
    tree = ast.parse(source)
    scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner).body if owner else tree.body
    node = next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)
    span = range(node.lineno - 1, node.end_lineno)
    begin = next(i for i in span if lines[i].strip() == BEGIN)
    end = next(i for i in range(begin, len(lines)) if lines[i].strip() == END)  # may follow the last statement
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    return "".join(lines[:begin]) + textwrap.indent(textwrap.dedent(body).strip() + "\n", indent) + \
        "".join(lines[end + 1:])


def pasted_hw2(given: dict[str, str]) -> str:
    """hw2's reference sgns.py with scatter_add (and SGNSModel.step, when given) taken from hw3's given code."""
    reference = (REPO / "hw2_word2vec" / "sgns.py").read_text(encoding="utf-8")
    text = replace_block(reference, "scatter_add", GLUE)
    if "UnfusedNumpySGNS.step" in given:
        step = given["UnfusedNumpySGNS.step"]
        body = step.split(":\n", 1)[1] if ") -> float:\n" in step else step
        text = replace_block(text, "SGNSModel.step", body)
    helpers = [given[name] for name in ("used_rows", "scatter_add_rows") if name in given]
    return text + "\n\n" + "\n\n\n".join(helpers) + "\n"


@pytest.fixture(scope="module")
def hw2_copy(tmp_path_factory):
    """hw2's grading template (release + hidden tests), written once."""
    _, _, template = build_template(REPO, "hw2_word2vec")
    folder = tmp_path_factory.mktemp("leak") / "course"
    write_tree(template.files, folder, REPO)
    return folder


def run_hw2_tasks(folder, sgns_text: str) -> dict[str, bool]:
    """Run hw2's task_scatter and task_model tests (public and hidden) with `sgns_text` as sgns.py."""
    (folder / "hw2_word2vec" / "sgns.py").write_text(sgns_text, encoding="utf-8")
    targets = ["hw2_word2vec/tests/test_sgns.py", "hw2_word2vec/tests/test_hidden_sgns.py"]
    run = run_child(folder, targets, "run", LIMITS, time.monotonic() + LIMITS.total_timeout,
                    no_shrink=True, extra_args=("-m", "task_scatter or task_model", "--tb=line"))
    assert run.finished and not run.collect_errors, f"the hw2 run failed: {run.collect_errors}\n{run.log_tail}"
    return {test: all(outcome == "passed" for outcome, _ in phases.values()) for test, phases in run.phases.items()}


def test_old_layout_gave_away_hw2_scatter_add_and_step(hw2_copy):
    given = definitions(OLD_GIVEN.read_text(encoding="utf-8"))
    assert {"used_rows", "scatter_add_rows", "UnfusedNumpySGNS.step"} <= set(given)
    outcomes = run_hw2_tasks(hw2_copy, pasted_hw2(given))
    assert any("test_hidden" in test for test in outcomes) and len(outcomes) >= 5, outcomes
    failed = [test for test, passed in outcomes.items() if not passed]
    assert not failed, f"the old hw3 given code should pass hw2's scatter and model tests, but {failed} failed"


@pytest.mark.parametrize("name", ["course", "hw3_edugrad"])
def test_no_release_gives_them_any_more(hw2_copy, name):
    release = build_release(REPO, None if name == "course" else name)
    given = {}
    for rel, item in release.files.items():
        if rel.startswith("hw3_edugrad/") and rel.endswith(".py") and "/tests/" not in rel:
            given.update(definitions(item.data.decode("utf-8")))
    assert "UnfusedNumpySGNS.step" not in given, "the unfused numpy SGNS step is instructor-only benchmark code"
    assert "raise NotImplementedError" in given["scatter_add_rows"], "scatter_add_rows must be a hw3 task (a stub)"
    outcomes = run_hw2_tasks(hw2_copy, pasted_hw2(given)) if name == "course" else {}
    scatter_tests = [test for test in outcomes if "scatter" in test]
    assert all(not outcomes[test] for test in scatter_tests), f"a pasted release helper passes {scatter_tests}"


def test_the_syntax_tree_check_sees_a_renamed_copy():
    solution = SolutionCode("hw2_word2vec", "sgns.py::scatter_add", textwrap.dedent("""
        values = np.full(rows.size, scale, dtype=vectors.dtype)
        if weights is not None:
            values *= weights.reshape(-1)
        matrix += make_selector(values, rows) @ vectors
    """))
    renamed = textwrap.dedent("""
        def helper(table, idx, vecs, w, s):
            vals = np.full(idx.size, s, dtype=vecs.dtype)
            if w is not None:
                vals *= w.reshape(-1)
            table += make_selector(vals, idx) @ vecs
    """)
    leaks = Fingerprints([solution], {}).search("hw3_edugrad/helpers.py", renamed)
    assert [leak.what for leak in leaks][:1] == ["a whole solution block"], leaks
    different = renamed.replace("vals *= w.reshape(-1)", "vals += w.reshape(-1)")
    assert not [leak for leak in Fingerprints([solution], {}).search("x.py", different)
                if leak.what == "a whole solution block"]
