"""grading.autograde / grade_all / gradescope on the fake course, against honest and hostile submissions.

Each submission must get exactly the points it earned. Fake course: tests/hostile/fake_course
(hw1_fake: 6 tests, 10 points; the release stub earns 1 point, test_add_rejects_strings).
"""
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grading import autograde
from grading.autograde import Limits, grade, prepare_template
from grading.grade_all import grade_all, write_csv
from grading.gradescope import build_zip
from tests.hostile.helpers import HOSTILE, make_fake_course

LIMITS = Limits(test_timeout=2, collect_timeout=20, total_timeout=60, memory_mb=1024, grace=1)
SOLUTION_TEXT = ("fake-course-reference-solution", "fake-course-solution-only-line")
TESTS = ["test_calc.py::test_add", "test_calc.py::test_add_rejects_strings", "test_calc.py::test_mul",
         "test_calc.py::test_square", "test_calc.py::test_count", "test_hidden_calc.py::test_add_negative"]
# submission -> points earned per test, in the order of TESTS (points 2, 1, 1, 3, 1, 2)
EARNED = {
    "reference": [2, 1, 1, 3, 1, 2],
    "edits_test": [0, 1, 1, 3, 1, 0],       # its own test files are ignored; add is wrong
    "conftest_pass": [0, 1, 0, 0, 0, 0],    # its conftest.py files are ignored
    "writes_results": [2, 1, 0, 3, 1, 2],   # its results.json is overwritten; mul is wrong
    "exit_at_import": [0, 0, 0, 0, 0, 0],   # os._exit(0) while importing: nothing earned
    "exit_in_test": [2, 1, 0, 3, 1, 2],     # os._exit(0) inside mul: only test_mul is lost
    "loops": [2, 1, 0, 3, 1, 2],            # mul never returns and swallows the timeout
    "memory": [2, 1, 0, 3, 1, 2],           # mul allocates 20 GB
    "searches_disk": [0, 1, 1, 3, 1, 0],    # finds no solution near the grading copy, so add is wrong
    "interrupts": [2, 1, 0, 3, 1, 2],       # KeyboardInterrupt in mul: only test_mul is lost
    "exits_pytest": [2, 1, 1, 3, 0, 2],     # pytest.exit(returncode=0) in count: only test_count is lost
    "raises_system_exit": [2, 1, 1, 0, 1, 2],  # SystemExit in square: only test_square is lost
    "reads_hidden": [2, 1, 0, 3, 1, 2],     # mul fails; the hidden tests are not in its copy to be shown
    "forges_events": [0, 1, 0, 0, 0, 0],    # forged result lines fail the HMAC check
    "flat_zip": [2, 1, 1, 3, 1, 2],
    "nested_zip": [2, 1, 1, 3, 1, 2],
    "symlink": [0, 0, 0, 0, 0, 0],          # a symlink to the solution is no submitted file: nothing submitted
    "empty": [0, 0, 0, 0, 0, 0],
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_fake_course(tmp_path_factory.mktemp("autograde") / "course")


@pytest.fixture(scope="module")
def template(course, tmp_path_factory):
    return prepare_template(course, "hw1_fake", tmp_path_factory.mktemp("autograde") / "template")


@pytest.fixture(scope="module")
def submissions(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    reference = (course / "hw1_fake" / "calc.py").read_bytes()
    for path in (HOSTILE / "submissions").iterdir():
        if path.name in EARNED:  # daemon and poisons: tests/test_autograde_sandbox.py
            subprocess.run(["cp", "-r", str(path), str(folder / path.name)], check=True)
    (folder / "reference").mkdir()
    (folder / "reference" / "calc.py").write_bytes(reference)
    with zipfile.ZipFile(folder / "flat_zip.zip", "w") as archive:
        archive.writestr("calc.py", reference)
    with zipfile.ZipFile(folder / "nested_zip.zip", "w") as archive:
        archive.writestr("my-work/hw1_fake/calc.py", reference)
        archive.writestr("my-work/hw1_fake/tests/test_calc.py", "def test_add():\n    pass\n")
    (folder / "symlink").mkdir()
    (folder / "symlink" / "calc.py").symlink_to(course / "hw1_fake" / "calc.py")
    (folder / "empty").mkdir()
    return folder


@pytest.fixture(scope="module")
def graded(template, submissions):
    """Every submission graded once, in parallel, through grade_all: name -> results.json dict."""
    paths = sorted(submissions.iterdir())
    results = grade_all(template, "hw1_fake", paths, LIMITS, workers=2)
    return {name.removesuffix(".zip"): result for name, result in results.items()}


@pytest.mark.parametrize("name", sorted(EARNED))
def test_each_submission_gets_exactly_what_it_earned(graded, name):
    result = graded[name]
    got = {t["name"].split("/")[-1]: t["score"] for t in result["tests"]}
    assert list(got) == TESTS, f"expected tests {TESTS} but got {list(got)}"
    expected = dict(zip(TESTS, EARNED[name], strict=True))
    outputs = {t["name"].split("/")[-1]: t["output"][-400:] for t in result["tests"] if t["score"] != expected[
        t["name"].split("/")[-1]]}
    assert got == expected, f"{name}: expected {expected} but got {got}; outputs: {outputs}"
    assert result["score"] == sum(EARNED[name]) and result["max_score"] == 10


def test_failures_explain_themselves(graded):
    def output(name, test):
        return next(t["output"] for t in graded[name]["tests"] if t["name"].endswith(test))
    assert "os._exit" in output("exit_in_test", "test_mul")
    assert "killed" in output("loops", "test_mul") or "Timeout" in output("loops", "test_mul")
    assert "MemoryError" in output("memory", "test_mul")
    assert "before this test started" in output("exit_at_import", "test_add")
    assert "not found" in graded["symlink"]["output"], graded["symlink"]["output"]
    assert "done early" in output("exits_pytest", "test_count") and "SystemExit" in output("raises_system_exit",
                                                                                           "test_square")
    visibility = {t["name"].split("::")[-1]: t["visibility"] for t in graded["reference"]["tests"]}
    assert visibility["test_add_negative"] == "after_due_date" and visibility["test_add"] == "visible"


def test_grading_copy_and_autograder_zip_hold_no_solution(template, course, tmp_path):
    texts = [p.read_text(errors="ignore") for p in template.rglob("*") if p.is_file()]
    assert not any(s in t for s in SOLUTION_TEXT for t in texts), "the grading template holds the solution"
    zip_path = tmp_path / "autograder.zip"
    build_zip(course, "hw1_fake", zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert "setup.sh" in names and "run_autograder" in names
        assert "course/hw1_fake/tests/test_hidden_calc.py" in names
        assert "course/hw1_fake/solution_notes.py" not in names
        leaked = [n for n in names if any(s.encode() in archive.read(n) for s in SOLUTION_TEXT)]
        assert not leaked, f"the autograder zip holds the solution in {leaked}"
        archive.extractall(tmp_path / "autograder" / "source")
    root = tmp_path / "autograder"
    (root / "submission").mkdir()
    (root / "submission" / "calc.py").write_bytes((course / "hw1_fake" / "calc.py").read_bytes())
    run = root / "source" / "run_autograder"
    run.chmod(0o755)
    done = subprocess.run(["bash", str(run)], env={**os.environ, "AUTOGRADER_ROOT": str(root),
                                                    "PYTHON": sys.executable}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 10, results


def test_cli_results_file_is_written_by_the_parent(template, monkeypatch, tmp_path):
    results_path = tmp_path / "results.json"
    monkeypatch.setenv("HOSTILE_RESULTS_TARGET", str(results_path))  # the submission knows the path
    code = autograde.main(["--hw", "hw1_fake", "--template", str(template), "--submission",
                           str(HOSTILE / "submissions" / "writes_results"), "--results", str(results_path),
                           "--test-timeout", "5"])
    assert code == 0
    results = json.loads(results_path.read_text())
    assert results["score"] == 9 and len(results["tests"]) == 6, results


def test_grade_all_csv(graded, tmp_path):
    write_csv(graded, tmp_path / "scores.csv")
    rows = (tmp_path / "scores.csv").read_text().splitlines()
    assert rows[0].startswith("submission,score,max_score,passed,tests,hw1_fake/tests/test_calc.py::test_add")
    assert "reference,10,10,6,6,2,1,1,3,1,2" in rows, rows


def test_grade_rejects_an_unknown_homework(template):
    with pytest.raises(ValueError, match="no homework 'hw7_nope'"):
        grade(template, "hw7_nope", Path("."), LIMITS)


def test_points_of_one_parameter_override_the_functions(tmp_path):
    from grading.plugin import points_and_visibility

    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.points(4)\n"
        "@pytest.mark.parametrize('x', [1, pytest.param(2, marks=pytest.mark.points(0))])\n"
        "def test_x(x):\n    pass\n\n"
        "@pytest.mark.hidden\ndef test_plain():\n    pass\n"
    )
    found = {}

    class Recorder:
        def pytest_collection_modifyitems(self, items):
            found.update({item.name: points_and_visibility(item) for item in items})

    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[Recorder()])
    expected = {"test_x[1]": (4.0, "visible"), "test_x[2]": (0.0, "visible"), "test_plain": (1.0, "after_due_date")}
    assert found == expected, f"expected {expected} but got {found}"


def test_a_tests_own_timeout_marker_replaces_the_default_limit(template, tmp_path):
    """LIMITS allows 2 s a test (+1 s grace: the 'loops' submission is killed by it); a test marked
    timeout(30) may take 3.5 s, in pytest-timeout and in the parent's watchdog alike."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(template), str(copy)], check=True)
    (copy / "hw1_fake" / "tests" / "test_slow.py").write_text(
        "import time\n\nimport pytest\n\n\n@pytest.mark.timeout(30)\ndef test_marked_slow():\n    time.sleep(3.5)\n")
    target = ["hw1_fake/tests/test_slow.py"]
    expected = autograde.run_child(copy, target, "collect", LIMITS, time.monotonic() + 60).items
    assert [e.timeout for e in expected] == [30.0], f"expected the marker's 30 s, got {expected}"
    outcome = autograde.run_tests(copy, target, expected, LIMITS, time.monotonic() + 60)[expected[0].id]
    assert outcome.passed, f"the marked test should have its own 30 s: {outcome.output[-300:]}"
