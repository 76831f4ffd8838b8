"""The attacks a sandbox is for, each graded with every sandbox tool this machine has and without one.

Fake course: tests/hostile/fake_course (hw1_fake: 6 tests, 10 points). A tool that cannot run here
(not installed, no user namespaces) skips its cases with the reason; "none" (the fallback: process
group + subreaper) runs everywhere.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grading import autograde
from grading.autograde import ChildRun, Limits, _absorb, _tail, grade, prepare_template
from grading.grade_all import grade_all
from grading.sandbox import SandboxError, choose
from tests.hostile.helpers import HOSTILE, make_fake_course

LIMITS = Limits(test_timeout=2, collect_timeout=20, total_timeout=60, memory_mb=1024, grace=1)
MODES = ["unshare", "bwrap", "none"]


@pytest.fixture(scope="module", params=MODES)
def sandbox(request):
    try:
        return choose(request.param)
    except SandboxError as error:
        pytest.skip(f"sandbox {request.param} cannot run on this machine: {error}")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_fake_course(tmp_path_factory.mktemp("sandbox") / "course")


@pytest.fixture(scope="module")
def template(course, tmp_path_factory):
    return prepare_template(course, "hw1_fake", tmp_path_factory.mktemp("sandbox") / "template")


def scores(result: dict) -> dict[str, float]:
    return {t["name"].split("::")[-1]: t["score"] for t in result["tests"]}


def output_of(result: dict, test: str) -> str:
    return next(t["output"] for t in result["tests"] if t["name"].endswith("::" + test))


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and token.encode() in Path(f"/proc/{entry}/environ").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


def test_a_daemon_neither_outlives_the_grader_nor_rewrites_the_results(sandbox, template, tmp_path, monkeypatch):
    results_path = tmp_path / "results.json"
    token = os.urandom(8).hex()
    monkeypatch.setenv("HOSTILE_RESULTS_TARGET", str(results_path))
    monkeypatch.setenv("HOSTILE_TOKEN", token)
    code = autograde.main(["--hw", "hw1_fake", "--template", str(template), "--submission",
                           str(HOSTILE / "submissions" / "daemon"), "--results", str(results_path),
                           "--sandbox", sandbox.tool, "--test-timeout", "5"])
    assert code == 0
    assert _processes_with(token) == [], "a process the submission started is still running after the grader returned"
    for wait in (0.0, 0.5, 3.0):
        time.sleep(wait)
        results = json.loads(results_path.read_text())
        assert results["score"] == 9, f"{wait} s after the grader returned, results.json says {results['score']}"
    assert _processes_with(token) == []


@pytest.fixture(scope="module")
def batch(sandbox, template, course, tmp_path_factory):
    """One grade-all in `sandbox`: the poisoning submission first, then honest and interrupting ones. The
    grader runs in the course checkout (the poisoner looks there); without a sandbox the submissions
    are graded one after the other (a live copy of another worker is not defended there)."""
    root = tmp_path_factory.mktemp("batch")
    checkout = root / "checkout"
    shutil.copytree(course, checkout)
    before = {p: p.read_bytes() for p in checkout.rglob("*") if p.is_file()}
    submissions = [HOSTILE / "submissions" / name for name in ("poisons", "interrupts", "reads_hidden")]
    honest = root / "honest"
    honest.mkdir()
    (honest / "calc.py").write_bytes((course / "hw1_fake" / "calc.py").read_bytes())
    temp = root / "temp"
    temp.mkdir()
    cwd, tempdir = Path.cwd(), tempfile.tempdir
    os.chdir(checkout)
    tempfile.tempdir = str(temp)
    try:
        results = grade_all(template, "hw1_fake", [*submissions, honest], LIMITS,
                            workers=2 if sandbox.isolated else 1, sandbox=sandbox)
    finally:
        os.chdir(cwd)
        tempfile.tempdir = tempdir
    changed = sorted(str(p.relative_to(checkout)) for p, data in before.items() if p.read_bytes() != data)
    return results, changed


def test_a_poisoning_submission_changes_nothing_another_submission_sees(batch, sandbox):
    results, changed_in_checkout = batch
    assert scores(results["honest"]) == {"test_add": 2, "test_add_rejects_strings": 1, "test_mul": 1,
                                         "test_square": 3, "test_count": 1, "test_add_negative": 2}, results["honest"]
    if sandbox.isolated:
        assert changed_in_checkout == [], f"the submission wrote into the course checkout: {changed_in_checkout}"


def test_a_keyboard_interrupt_costs_only_the_test_that_raised_it(batch):
    """(pytest.exit and SystemExit: tests/test_autograde.py)"""
    results, _ = batch
    got = scores(results["interrupts"])
    expected = {"test_add": 2, "test_add_rejects_strings": 1, "test_mul": 0, "test_square": 3, "test_count": 1,
                "test_add_negative": 2}
    assert got == expected, f"expected {expected} but got {got}"
    assert "KeyboardInterrupt" in output_of(results["interrupts"], "test_mul")


def test_visible_tests_cannot_read_the_hidden_tests(batch):
    results, _ = batch
    text = output_of(results["reads_hidden"], "test_mul")
    assert "no hidden test file found" in text and "test_add_negative" not in text, text
    assert results["reads_hidden"]["score"] == 9


def test_the_grade_says_whether_it_ran_in_a_sandbox(batch, sandbox):
    results, _ = batch
    first_line = results["honest"]["output"].splitlines()[0]
    if sandbox.isolated:
        assert first_line.startswith("sandbox: "), first_line
    else:
        assert first_line.startswith("WARNING: GRADED WITHOUT A SANDBOX"), first_line


def test_the_sandbox_hides_the_course_and_the_network(sandbox, course, template, tmp_path):
    """The checkout (which holds the solution) and the grader are not visible; a server listening on the
    grading machine's loopback cannot be reached, while the sandbox's own loopback works (torchrun's
    rendezvous in hw8's distributed test needs it)."""
    if not sandbox.isolated:
        pytest.skip("without a sandbox the submitted code sees what the grader sees (documented)")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        probe = tmp_path / "probe"
        probe.mkdir()
        (probe / "calc.py").write_text((course / "hw1_fake" / "calc.py").read_text().replace(
            "    total = a + b  # fake-course-reference-solution\n",
            "    import os, socket\n"
            f"    assert not os.path.exists({str(course / 'hw1_fake' / 'calc.py')!r}), 'the checkout is visible'\n"
            f"    assert not os.path.exists({autograde.__file__!r}), 'the grader is visible'\n"
            "    try:\n"
            f"        socket.create_connection(('127.0.0.1', {server.getsockname()[1]}), timeout=1).close()\n"
            "    except OSError:\n"
            "        pass\n"
            "    else:\n"
            "        raise AssertionError('the network of the grading machine is reachable')\n"
            "    with socket.socket() as own:\n"
            "        own.bind(('127.0.0.1', 0))\n"
            "        own.listen()\n"
            "        socket.create_connection(own.getsockname(), timeout=1).close()\n"
            "    total = a + b\n"))
        result = grade(template, "hw1_fake", probe, LIMITS, sandbox=sandbox)
    assert result["score"] == 10, [t["output"] for t in result["tests"] if t["score"] == 0]


def test_late_and_repeated_events_are_rejected():
    run = ChildRun()
    _absorb(run, {"ev": "report", "id": "t::a", "when": "call", "outcome": "passed", "text": ""})
    assert "t::a" not in run.phases, "a report of a test that has not started was accepted"
    _absorb(run, {"ev": "start", "id": "t::a"})
    for when, outcome in (("setup", "passed"), ("call", "failed"), ("call", "passed"), ("teardown", "passed")):
        _absorb(run, {"ev": "report", "id": "t::a", "when": when, "outcome": outcome, "text": ""})
    assert run.phases["t::a"]["call"][0] == "failed" and "reported twice" in run.phases["t::a"]["call"][1]
    _absorb(run, {"ev": "finish", "status": 1})
    _absorb(run, {"ev": "start", "id": "t::b"})
    _absorb(run, {"ev": "item", "id": "t::b", "points": 5, "visibility": "visible"})
    assert run.started == ["t::a"] and run.items == [], "an event after finish was accepted"


def test_the_log_tail_is_read_by_seeking(tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "wb") as handle:
        handle.truncate(8 * 2**30)  # sparse: reading it whole would take 8 GiB of memory
        handle.seek(0, os.SEEK_END)
        handle.write(b"the end\n")
    assert _tail(log, 100).endswith("the end\n") and len(_tail(log, 100)) == 100


RUN_IN_SANDBOX = """
import subprocess, sys
from pathlib import Path
from grading.sandbox import Layout, Sandbox
folder = Path(sys.argv[2])
layout = Layout(folder / "course", folder / "tmp")
layout.course.mkdir(); layout.tmp.mkdir()
command, cwd = Sandbox(sys.argv[1]).command([sys.executable, "-c", "import numpy; print('numpy ok')"], layout)
done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
print(done.stdout, done.stderr)
"""


def test_an_interpreter_reached_through_a_symlinked_venv_runs_in_the_sandbox(sandbox, tmp_path):
    """A release folder under /tmp whose .venv links to a virtualenv elsewhere: the sandbox replaces /tmp,
    so it must run the interpreter by its real folder (and bind that)."""
    if not sandbox.isolated:
        pytest.skip("without a sandbox the interpreter runs where it is")
    link = tmp_path / "release" / ".venv"
    link.parent.mkdir()
    link.symlink_to(os.path.realpath(sys.prefix))
    python = link / os.path.relpath(sys.executable, sys.prefix)
    repo = Path(autograde.__file__).resolve().parents[1]
    done = subprocess.run([str(python), "-c", RUN_IN_SANDBOX, sandbox.tool, str(tmp_path)], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert "numpy ok" in done.stdout, f"expected the sandboxed child to import numpy; got {done.stdout} {done.stderr}"


def test_the_no_sandbox_warning_cites_only_files_that_ship(tmp_path, monkeypatch):
    """grading/README.md is instructor-only: a student release's warning says what to do instead."""
    from grading import sandbox as module
    assert "see grading/README.md" in module.warning("why.")
    copy = tmp_path / "sandbox.py"
    monkeypatch.setattr(module, "__file__", str(copy))
    text = module.warning("why.")
    assert "README" not in text and "only the isolation is missing" in text and "To fix: install bubblewrap" in text
