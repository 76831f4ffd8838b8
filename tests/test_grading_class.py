"""A class of five hw7_seq2seq submissions through ``grade-all`` and ``similarity``, end to end.

The class: the reference solution; an independent solution (tests/fixtures/hw7_class/independent.yaml,
written apart from the reference, put into the current release's stubs); a copy of the
reference disguised here (locals renamed, comments dropped, functions reordered:
:func:`tests.hostile.helpers.disguise`); the release's stubs untouched; half the reference (its
model.py, the stub decode.py). Grading takes about a minute on two cores, hence ``slow``; the same
logic on synthetic results is tests/test_grading_report.py.
"""
import ast
import csv
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from grading import grade_all
from grading.release import build_release
from tests.hostile.helpers import REPO, disguise

HW = "hw7_seq2seq"
EDITABLE = ("model.py", "decode.py")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # about 2 minutes on a busy 2-core machine


def solve_stubs(stub: str, bodies: dict[str, str]) -> str:
    """`stub` (a released module) with each stubbed function's ``raise NotImplementedError(...)`` replaced
    by its body from `bodies` (qualified name -> code), and ``bodies["append"]`` (if any) added at the end."""
    found = []

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef) and f"{prefix}{node.name}" in bodies:
                found.append((f"{prefix}{node.name}", next(
                    n for n in ast.walk(node) if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)
                    and getattr(n.exc.func, "id", "") == "NotImplementedError")))

    visit(ast.parse(stub).body, "")
    missing = set(bodies) - {"append"} - {name for name, _ in found}
    assert not missing, f"no stub in the release for {sorted(missing)}"
    lines = stub.splitlines()
    for name, stub_raise in sorted(found, key=lambda item: -item[1].lineno):  # bottom up: line numbers hold
        body = textwrap.indent(bodies[name], " " * stub_raise.col_offset).rstrip("\n")
        lines[stub_raise.lineno - 1:stub_raise.end_lineno] = body.splitlines()
    return "\n".join(lines) + "\n" + ("\n\n" + bodies["append"] if "append" in bodies else "")


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The five submissions, one folder each."""
    folder = tmp_path_factory.mktemp("class")
    reference = {rel: (REPO / HW / rel).read_text(encoding="utf-8") for rel in EDITABLE}
    release = build_release(REPO, HW).files
    stubs = {rel: release[f"{HW}/{rel}"].data.decode("utf-8") for rel in EDITABLE}
    bodies = yaml.safe_load((REPO / "tests" / "fixtures" / "hw7_class" / "independent.yaml").read_text())
    independent = {rel: solve_stubs(stubs[rel], bodies[rel]) for rel in EDITABLE}
    members = {"reference": reference, "independent": independent, "stubs": stubs,
               "disguised": {rel: disguise(text) for rel, text in reference.items()},
               "half": {"model.py": reference["model.py"], "decode.py": stubs["decode.py"]}}
    for name, files in members.items():
        (folder / name).mkdir()
        for rel, text in files.items():
            (folder / name / rel).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    """grade-all's output folder (scores.csv, report, feedback) for the class."""
    out = tmp_path_factory.mktemp("grades")
    assert grade_all.main(["--hw", HW, "--submissions", str(klass), "--csv", str(out / "scores.csv"),
                           "--root", str(REPO)]) == 0
    return out


def test_grade_all_writes_the_class_report(graded):
    rows = csv.DictReader((graded / "scores.csv").read_text().splitlines())
    scores = {row["submission"]: float(row["score"]) for row in rows}
    top = scores["reference"]
    assert scores["independent"] == scores["disguised"] == top, f"the other two full solutions work: {scores}"
    assert 0 < scores["half"] < top and scores["stubs"] < scores["half"], scores
    report = (graded / "report.md").read_text()
    assert "![histogram of the scores](scores.png)" in report
    assert (graded / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (graded / "report.html").read_text()
    assert "data:image/png;base64," in html and "src='scores.png'" not in html, "the HTML page must hold its images"
    # the stubs and half the reference fail every beam-search test with the stub's message: rows counted twice
    beam_rows = [line for line in report.splitlines()
                 if line.startswith("| 2 | ") and "| task_beam | NotImplementedError: hw7_seq2seq, task_beam" in line]
    assert beam_rows, f"expected rows of task_beam tests failed twice with the beam stub's message:\n{report}"
    # four of five submissions (not the stubs) hold model.py's solution: the encoder's full marks are 80 %
    encoder = next(line for line in report.splitlines() if line.startswith("| task_encoder |"))
    assert encoder.endswith("| 80% |"), encoder


def test_feedback_for_each_student_holds_no_hidden_test_source(graded, klass):
    public = "\n".join(out.data.decode("utf-8", "replace") for out in build_release(REPO, HW).files.values())
    hidden_source = (REPO / HW / "tests" / "test_hidden_seq2seq.py").read_text()
    secret = [line.strip() for line in hidden_source.splitlines() if len(line.strip()) >= 12 and line.strip()
              not in public]
    assert len(secret) > 10, "the check needs lines of the hidden tests that students never saw"
    for name in sorted(p.name for p in klass.iterdir()):
        text = (graded / "feedback" / f"{name}.md").read_text()
        assert "## Points per task" in text and "## Grader notes" in text and "model.py: taken from" in text, text
        shown = [line for line in secret if line in text]
        assert not shown, f"{name}'s feedback shows hidden test source: {shown}"
    stubs = (graded / "feedback" / "stubs.md").read_text()
    assert "test_hidden_seq2seq.py::test_general_attention_by_hand (hidden test" in stubs
    assert "NotImplementedError: hw7_seq2seq, task_attention" in stubs, "a hidden test's message is shown"


def test_similarity_flags_the_disguised_copy_and_never_the_stubs(klass, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-m", "grading.similarity", "--hw", HW, "--submissions", str(klass),
                           "--out", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "pairs.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["a", "b", "similarity", "flagged"]
    pairs = {frozenset(row[:2]): (float(row[2]), row[3]) for row in rows[1:]}
    assert len(pairs) == 10
    copy, honest = pairs[frozenset({"disguised", "reference"})], pairs[frozenset({"independent", "reference"})]
    assert copy[1] == "yes" and copy[0] > honest[0] + 0.4, f"copy {copy}, independent {honest}"
    for pair, (similarity, flagged) in pairs.items():
        if "stubs" in pair:
            assert flagged == "no" and similarity < 0.05, f"{sorted(pair)}: {similarity} {flagged}"
        if "independent" in pair:
            assert flagged == "no", f"an honest solution is flagged: {sorted(pair)} {similarity}"
    page = (tmp_path / "disguised__reference.html").read_text()
    assert page.count("<mark>") > 5 and "model.py" in page and "decode.py" in page
