"""grading.release on the fake course: what ships, what stays behind, reproducible zip, safety; one
homework's release unpacked, packed with make submit's tool and graded there."""
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from grading.release import build_release, write_tree, write_zip
from tests.hostile.helpers import REPO, make_fake_course


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_fake_course(tmp_path_factory.mktemp("release") / "course")


def test_fake_release_strips_and_leaves_out_hidden_and_solution_only(course):
    release = build_release(course)
    assert "hw1_fake/tests/test_calc.py" in release.files
    assert "hw1_fake/manifest.yaml" in release.files
    assert "hw1_fake/tests/test_hidden_calc.py" not in release.files, "hidden tests must stay behind"
    assert "hw1_fake/solution_notes.py" not in release.files, "solution_only files must stay behind"
    calc = release.files["hw1_fake/calc.py"].data.decode()
    assert 'raise NotImplementedError("hw1_fake: implement hw1_fake.calc.Counter.count (about 1 line)")' in calc, calc
    assert "result = ...  # TODO" in calc and "# TODO: return the sum" in calc, calc
    assert "fake-course-reference-solution" not in calc and "SOLUTION" not in calc, calc
    assert release.stubs["hw1_fake"] == ["hw1_fake.calc.add", "hw1_fake.calc.mul", "hw1_fake.calc.square",
                                         "hw1_fake.calc.Counter.count"]


def test_zip_is_byte_for_byte_reproducible(course, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_zip(build_release(course).files, first, prefix="student")
    (course / "hw1_fake" / "calc.py").touch()  # a newer mtime must not change the zip
    write_zip(build_release(course).files, second, prefix="student")
    assert first.read_bytes() == second.read_bytes(), "two builds of the same tree differ"
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_refuses_to_overwrite_the_checkout(course):
    with pytest.raises(ValueError, match="refusing"):
        write_tree({}, course, course)


def test_cli_writes_tree_and_zip_of_the_repo_and_ignores_junk(tmp_path):
    junk = REPO / "runs" / "release-test-junk.txt"  # runs/ is git-ignored: must never ship
    junk.parent.mkdir(exist_ok=True)
    junk.write_text("junk")
    untracked = REPO / "release-test-untracked-notes.txt"  # not ignored, but git does not track it
    untracked.write_text("notes")
    try:
        out = tmp_path / "student"
        subprocess.run([sys.executable, "-m", "grading.release", "--out", str(out)], cwd=REPO, check=True,
                       capture_output=True)
    finally:
        junk.unlink()
        untracked.unlink()
    assert not (out / untracked.name).exists(), "only files git tracks may ship"
    for instructor_only in (".ci", "tests", "bench", "grading/README.md", "grading/student_readme.md"):
        assert not (out / instructor_only).exists(), f"{instructor_only} is instructor-only"
    readme = (out / "README.md").read_text()
    assert "make submit HW=" in readme and "BEGIN SOLUTION" not in readme, "the release's README is for students"
    assert (out / "Makefile").is_file() and (tmp_path / "student.zip").is_file()
    assert not (out / "runs").exists() and not (out / ".venv").exists() and not (out / ".git").exists()
    assert not (out / "tests" / "hostile").exists(), "the grader's own fixtures are instructor-only"
    assert not list(out.glob("hw*/tests/test_hidden_*.py")), "hidden tests leaked into the release"


def test_one_homework_release_is_submitted_and_graded_where_it_is_unpacked(course, tmp_path):
    release = build_release(course, "hw1_fake")
    assert release.stubbed == ["hw1_fake"] and "README.md" in release.files
    tree = tmp_path / "hw1_fake-release"
    write_tree(release.files, tree)
    shutil.copy(course / "hw1_fake" / "calc.py", tree / "hw1_fake" / "calc.py")  # the student's finished work
    submitted = subprocess.run([sys.executable, "-m", "grading.submit", "--hw", "hw1_fake"], cwd=tree,
                               capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    zip_path = tree / "dist" / "submission-hw1_fake.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["hw1_fake/calc.py"], "the submission holds exactly the editable files"
    graded = subprocess.run([sys.executable, "-m", "grading.autograde", "--hw", "hw1_fake", "--submission",
                             str(zip_path), "--results", str(tmp_path / "results.json")], cwd=tree,
                            capture_output=True, text=True)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["tests"] and results["score"] == results["max_score"], results
    assert not [t for t in results["tests"] if "hidden" in t["name"]], "a student tree has no hidden tests"


def test_submit_refuses_a_file_that_does_not_import(course, tmp_path):
    tree = tmp_path / "tree"
    write_tree(build_release(course, "hw1_fake").files, tree)
    earlier = tree / "dist" / "submission-hw1_fake.zip"
    earlier.parent.mkdir()
    earlier.write_bytes(b"an earlier submission")
    (tree / "hw1_fake" / "calc.py").write_text("def add(a, b):\n    return a +\n")
    done = subprocess.run([sys.executable, "-m", "grading.submit", "--hw", "hw1_fake"], cwd=tree,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "hw1_fake.calc does not import: SyntaxError" in done.stderr, done.stderr
    assert "calc.py, line 2)" in done.stderr, f"expected the file and line of the syntax error: {done.stderr}"
    assert not earlier.exists() and "earlier" in done.stderr, "a failed submit must not leave an older zip behind"
    (tree / "hw1_fake" / "calc.py").unlink()
    done = subprocess.run([sys.executable, "-m", "grading.submit", "--hw", "hw1_fake"], cwd=tree,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "editable file 'calc.py' does not exist" in done.stderr, done.stderr


def test_student_make_help_lists_student_targets_with_the_released_homework(tmp_path):
    release = build_release(REPO, "hw2_word2vec")
    write_tree(release.files, tmp_path / "hw2_word2vec")
    student = subprocess.run(["make", "-s", "help"], cwd=tmp_path / "hw2_word2vec", capture_output=True, text=True)
    course = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    assert "make submit HW=hw2_word2vec" in student.stdout and "hw1_vocab" not in student.stdout, student.stdout
    for target in ("make release", "make grade-all", "make autograder-zip", "make bench "):
        assert target not in student.stdout and target in course.stdout, (target, student.stdout)
    assert "make bench-hw2" in student.stdout, f"hw2 ships bench.py; expected make bench-hw2 in: {student.stdout}"


def test_a_reference_homework_ships_only_the_modules_the_release_imports():
    files = build_release(REPO, "hw4_dan").files
    assert "hw3_edugrad/edugrad/ops.py" in files and "hw3_edugrad/__init__.py" in files
    for unused in ("hw3_edugrad/word2vec.py", "hw3_edugrad/run.py", "hw3_edugrad/bench.py"):
        assert unused not in files, f"hw4's release ships {unused}, which nothing in hw4 imports (a solved hw3 task)"


def test_student_make_runs_and_tests_only_the_released_homework(tmp_path):
    release = build_release(REPO, "hw4_dan")
    write_tree(release.files, tmp_path / "hw4_dan")
    def dry(*target):
        return subprocess.run(["make", "-n", *target], cwd=tmp_path / "hw4_dan", capture_output=True, text=True).stdout
    assert "--only hw4_dan" in dry("run"), "a release's make run must run its own homework, not hw3's reference code"
    assert "test-slow" not in dry("test"), "a release has no slow tests to point at"
    # the course's venv serves when the release's requirements.txt is the same (make then installs nothing)
    assert (tmp_path / "hw4_dan" / "requirements.txt").read_bytes() == (REPO / "requirements.txt").read_bytes()
    (tmp_path / "hw4_dan" / ".venv").symlink_to(REPO / ".venv")
    hw3 = subprocess.run(["make", "-s", "test-hw3"], cwd=tmp_path / "hw4_dan", capture_output=True, text=True)
    assert hw3.returncode == 0 and "hw3_edugrad is reference code in this release" in hw3.stdout, hw3


@pytest.mark.parametrize("hw", ["hw3_edugrad", "hw6_rnn"])
def test_a_fresh_release_passes_its_own_make_lint(tmp_path, hw):
    release = build_release(REPO, hw)
    write_tree(release.files, tmp_path / hw)
    lint = subprocess.run([str(REPO / ".venv" / "bin" / "ruff"), "check", "."], cwd=tmp_path / hw,
                          capture_output=True, text=True)
    assert lint.returncode == 0, f"the release's stubs trip ruff (check lint_settings_for_stubs):\n{lint.stdout}"


def test_grade_summary_has_points_per_task_and_counts_0_point_tests_apart():
    from grading.summary import summary, tag_tests

    results = {"score": 2, "max_score": 4, "execution_time": 1.0, "tests": [
        {"name": "hw9_x/tests/test_a.py::test_one", "score": 2, "max_score": 2, "status": "passed"},
        {"name": "hw9_x/tests/test_a.py::test_two", "score": 0, "max_score": 2, "status": "failed"},
        {"name": "hw9_x/tests/test_a.py::test_given", "score": 0, "max_score": 0, "status": "passed"}]}
    tasks = {"hw9_x/tests/test_a.py::test_one": "task_b", "hw9_x/tests/test_a.py::test_two": "task_a"}
    text = summary("hw9_x", results, tasks, ["task_a", "task_b"])
    assert "(1/2 graded tests passed; 1 checks of given code worth 0 points not counted)" in text, text
    assert text.splitlines()[1:] == ["  task_a  0 / 2  failed: test_two", "  task_b  2 / 2"], text
    tag_tests(results, tasks)
    assert results["tests"][0]["tags"] == ["task_b"] and "tags" not in results["tests"][2]


def test_grade_summary_names_skipped_tests_apart_with_the_graders_note():
    from grading.summary import summary

    results = {"score": 0, "max_score": 4, "execution_time": 1.0,
               "output": "sandbox: none\ngrading machine: dataset sst not found, so the tests that need it are skipped",
               "tests": [
                   {"name": "hw9_x/tests/test_a.py::test_one", "score": 0, "max_score": 2, "status": "failed",
                    "output": "skipped (a skipped test earns no points):\nno sst"},
                   {"name": "hw9_x/tests/test_a.py::test_two", "score": 0, "max_score": 2, "status": "failed",
                    "output": "AssertionError: expected 1 but got 2"}]}
    tasks = {"hw9_x/tests/test_a.py::test_one": "task_a", "hw9_x/tests/test_a.py::test_two": "task_a"}
    lines = summary("hw9_x", results, tasks, ["task_a"]).splitlines()
    assert lines[1] == "  task_a  0 / 4  failed: test_two  skipped: test_one", lines
    assert lines[2] == "note: grading machine: dataset sst not found, so the tests that need it are skipped", lines


def test_a_homework_release_leaves_out_common_modules_nothing_in_it_imports():
    release = build_release(REPO, "hw5_fflm")
    assert "common/torch_utils.py" not in release.files, (
        "hw5's release shipped common/torch_utils.py, whose sample_next (torch, temperature and top-k) would "
        "hand hw5's own sampling task to its students; nothing in hw5 or hw3 imports it")
    assert {"common/__init__.py", "common/run.py", "common/vocabulary.py", "common/report.py"} <= set(release.files), (
        "modules hw5 imports, and common.report (which the Makefile runs), must ship")
    assert "common/torch_utils.py" in build_release(REPO, "hw6_rnn").files, "hw6 imports common.torch_utils"


def test_release_refuses_a_homework_with_no_stub_or_untracked_files(tmp_path):
    from grading.course import CourseError

    course = make_fake_course(tmp_path / "course")
    subprocess.run(["git", "init", "-q"], cwd=course, check=True)
    with pytest.raises(CourseError, match="git does not track.*git add them"):
        build_release(course, "hw1_fake")
    subprocess.run(["git", "add", "-A"], cwd=course, check=True)
    assert build_release(course, "hw1_fake").stubs["hw1_fake"], "tracked: it releases"
    calc = course / "hw1_fake" / "calc.py"
    calc.write_text("".join(line for line in calc.read_text().splitlines(keepends=True)
                            if "SOLUTION" not in line))
    with pytest.raises(CourseError, match="the release would hold no stub"):
        build_release(course, "hw1_fake")


@pytest.mark.parametrize("rel, source, problem", [
    ("tests/test_hidden_x.py", "def test_a():\n    pass\n", "a hidden test file must say so"),
    ("tests/test_x.py", "import pytest\n\n@pytest.mark.hidden\ndef test_a():\n    pass\n",
     "belongs only in tests/test_hidden_"),
    ("tests/test_x.py", "import pytest\npytestmark = [pytest.mark.hidden]\n", "belongs only in tests/test_hidden_"),
    ("tests/test_hidden_x.py", "import pytest\npytestmark = [pytest.mark.hidden, pytest.mark.task_a]\n", None),
    ("tests/test_x.py", "import pytest\npytestmark = pytest.mark.task_a\n", None),
])
def test_the_hidden_file_name_and_the_hidden_marker_are_one_rule(rel, source, problem):
    from grading.release import hidden_rule_problem

    found = hidden_rule_problem(rel, source)
    assert (found is None) if problem is None else (problem in found), found
