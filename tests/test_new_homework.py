"""``make new-homework N=10 NAME=cnn`` (grading/new_homework.py): it refuses clear mistakes, and what it
writes passes every course check as it stands.

The slow case works in a copy of this checkout (the files git tracks or would track, committed in a
fresh repository, ``.venv`` linked): it makes ``hw10_cnn``, ``git add``s it, adds its rows to the
README's quick table (the one edit outside the folder), then runs ``make test-hw10``, its ``--help``,
ruff, the course checks for it, ``make release`` and ``make grade`` of its reference solution, which
must get full marks."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common.paths import REPO_ROOT
from common.reference import format_value, load_references
from grading.course import CourseError, instructor_only
from grading.new_homework import TEMPLATE, homework_folder, main, render, write_homework

GIT = ["git", "-c", "user.name=course", "-c", "user.email=course@example.invalid", "-c", "commit.gpgsign=false"]


def test_it_refuses_a_number_in_use_a_bad_name_and_an_existing_folder(tmp_path, capsys):
    (tmp_path / "hw6_rnn").mkdir()
    with pytest.raises(CourseError, match="homework number 6 is used by hw6_rnn; pick another N"):
        homework_folder(tmp_path, 6, "cnn")
    for name in ("CNN", "my-cnn", "", "a b"):
        with pytest.raises(CourseError, match="expected NAME of lower-case letters, digits and _"):
            homework_folder(tmp_path, 10, name)
    with pytest.raises(CourseError, match="expected a homework number N >= 1"):
        homework_folder(tmp_path, 0, "cnn")
    assert write_homework(tmp_path, 10, "cnn") == tmp_path / "hw10_cnn"
    assert main(["--number", "10", "--name", "cnn", "--root", str(tmp_path)]) == 2
    assert "hw10_cnn/ exists already" in capsys.readouterr().err
    assert main(["--number", "10", "--name", "rnn", "--root", str(tmp_path)]) == 2
    assert "homework number 10 is used by hw10_cnn" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hw10_cnn", "hw6_rnn"], "nothing else written"


def test_the_template_fills_every_placeholder_and_stays_instructor_only():
    files = render(12, "a_rather_long_homework_name")
    assert {"README.md", "manifest.yaml", "config.py", "model.py", "tests/test_hidden_model.py"} <= set(files)
    for rel, text in files.items():
        assert "${" not in text, f"{rel}: a placeholder is left"
        long = [n for n, line in enumerate(text.splitlines(), 1) if len(line) > 120 and rel.endswith(".py")]
        assert not long, f"{rel}: lines {long} pass ruff's 120 characters with a long homework name"
    assert 'run_cli("hw12_a_rather_long_homework_name"' in files["run.py"]
    assert "make test-hw12" in files["README.md"] and "make grade HW=hw12_a_rather_long_homework_name" in files[
        "README.md"]
    for path in TEMPLATE.rglob("*"):
        if path.is_file():
            rel = path.relative_to(REPO_ROOT).as_posix()
            assert instructor_only(rel), f"{rel} would ship in every release (grading/course.py INSTRUCTOR_ONLY)"
    assert instructor_only("grading/new_homework.py")


def copy_of_checkout(folder: Path) -> Path:
    """The files git tracks or would track (those that exist), committed in a fresh repository at
    `folder`, with this checkout's .venv linked."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            check=True, capture_output=True).stdout.decode("utf-8").split("\0")
    for rel in listed:
        source = REPO_ROOT / rel
        if rel and source.is_file() and not source.is_symlink():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / rel)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the course"]):
        subprocess.run([*GIT, *command], cwd=folder, check=True)
    return folder


def run(folder: Path, *command: str, expect: int = 0) -> str:
    """Run `command` in `folder`; assert its exit status; return its output."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "MAKE"))}
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == expect, f"{' '.join(command)}: expected exit {expect}, got {result.returncode}:\n" + \
        output[-4000:]
    return output


def add_quick_rows(folder: Path, hw: str) -> None:
    """Add `hw`'s rows at the end of the README's quick table, as ``python -m common.reference readme``
    writes them (docs/homework-shape.md: the one edit outside the new folder)."""
    rows = "".join(f"| {hw} | {ref.dataset} | {ref.metric} | {format_value(ref.value)} |\n"
                   for ref in load_references(folder / hw, "quick"))
    readme = folder / "README.md"
    table = re.compile(r"\| homework \| dataset \| metric \| value \|\n\|---\|---\|---\|---\|\n(?:\|.*\|\n)+")
    text = readme.read_text(encoding="utf-8")
    assert table.search(text), "README.md has no quick table"
    readme.write_text(table.sub(lambda match: match.group(0) + rows, text, count=1), encoding="utf-8")


@pytest.mark.slow
def test_a_new_homework_passes_every_course_check_as_it_stands(tmp_path):
    course = copy_of_checkout(tmp_path / "course")
    python = ".venv/bin/python"
    assert "usage: make new-homework N=10 NAME=cnn" in run(course, "make", "new-homework", "N=10", expect=2)
    run(course, "make", "new-homework", "N=10", "NAME=cnn")
    assert "exists already" in run(course, "make", "new-homework", "N=10", "NAME=cnn", expect=2)
    untracked = run(course, "make", "release", "HW=hw10_cnn", expect=2)
    assert "files git does not track" in untracked and "git add them" in untracked
    run(course, "git", "add", "hw10_cnn")
    add_quick_rows(course, "hw10_cnn")
    run(course, python, "-m", "ruff", "check", "hw10_cnn")
    assert re.search(r"\b5 passed\b", run(course, "make", "test-hw10"))
    assert "--widths" in run(course, python, "-m", "hw10_cnn.run", "--help")
    checks = ["tests/test_homework_layout.py", "tests/test_course_shape.py", "tests/test_handouts.py",
              "tests/test_reference.py", "tests/test_stub_budgets.py", "tests/test_release_roundtrip.py"]
    output = run(course, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *checks,
                 "-k", "hw10_cnn or common_module or (leaks and course)")
    passed = re.search(r"\b(\d+) passed\b", output)
    assert passed and int(passed.group(1)) >= 20 and " failed" not in output and " error" not in output, output[-3000:]
    release = run(course, "make", "release", "HW=hw10_cnn")
    assert "hw10_cnn: 1" in release, release
    assert "raise NotImplementedError(" in (course / "dist/hw10_cnn/hw10_cnn/model.py").read_text(encoding="utf-8")
    assert not (course / "dist/hw10_cnn/grading/homework_template").exists()
    run(course, "make", "grade", "HW=hw10_cnn", "SUBMISSION=hw10_cnn", "RESULTS=dist/hw10.json")
    results = json.loads((course / "dist/hw10.json").read_text(encoding="utf-8"))
    full = sum(test["max_score"] for test in results["tests"])
    assert full == 4 and results["score"] == full, results
    assert {test.get("visibility") for test in results["tests"]} >= {"after_due_date"}, "the hidden test is graded"
