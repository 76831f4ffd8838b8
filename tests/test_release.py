"""grading.release on the fake course: what ships, what stays behind, reproducible zip, safety."""
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
    assert 'raise NotImplementedError("hw1_fake: implement hw1_fake.calc.Counter.count")' in calc, calc
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
    try:
        out = tmp_path / "student"
        subprocess.run([sys.executable, "-m", "grading.release", "--out", str(out)], cwd=REPO, check=True,
                       capture_output=True)
    finally:
        junk.unlink()
    assert (out / "Makefile").is_file() and (tmp_path / "student.zip").is_file()
    assert not (out / "runs").exists() and not (out / ".venv").exists() and not (out / ".git").exists()
    assert not (out / "tests" / "hostile").exists(), "the grader's own fixtures are instructor-only"
    assert not list(out.glob("hw*/tests/test_hidden_*.py")), "hidden tests leaked into the release"
