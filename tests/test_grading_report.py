"""The class report, the feedback files and the similarity check, on small inputs made here.

Results: four submissions of a made-up homework (two tasks, a hidden test, a 0-point check), with
the per-task figures worked out by hand. Similarity: a small homework added to the fake course, its
reference, a disguised copy (:func:`tests.hostile.helpers.disguise`), an independent solution
and the stubs. The same on a real class of hw7 submissions: tests/test_grading_class.py (slow).
"""
import csv
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from grading import grade_all
from grading.autograde import prepare_template
from grading.class_report import most_failed, task_statistics, write_class_report
from grading.course import get_homework
from grading.failures import first_failure_line, import_failure, message_only
from grading.feedback import write_feedback
from grading.needs import requirements_of
from grading.release import build_release
from grading.similarity import similarities, write_results
from grading.template import build_template
from tests.hostile.helpers import REPO, disguise, make_fake_course

HW = "hw9_made_up"
ONE, TWO, SECRET, GIVEN = (f"{HW}/tests/test_a.py::test_one", f"{HW}/tests/test_a.py::test_two",
                           f"{HW}/tests/test_hidden_a.py::test_secret", f"{HW}/tests/test_a.py::test_given")
TASKS = {ONE: "task_a", TWO: "task_a", SECRET: "task_b"}
DESCRIPTIONS = {"task_a": "a.py: one and two", "task_b": "a.py: the secret"}
TWO_FAILS = textwrap.dedent("""\
    hw9_made_up/tests/test_a.py:12: in test_two
        assert add(1, 2) == 3, f"expected 3 but got {add(1, 2)}"
    E   AssertionError: expected 3 but got 4
    E   assert 4 == 3""")
SECRET_FAILS = textwrap.dedent("""\
    hw9_made_up/tests/test_hidden_a.py:7: in test_secret
        assert secret_function(7) == 42, "expected 42 but got 41"
    E   AssertionError: expected 42 but got 41
    E   assert 41 == 42
    E    +  where 41 = secret_function(7)""")
IMPORT_FAILS = textwrap.dedent("""\
    the test file could not be imported:
    ImportError while importing test module '/grading/course/hw9_made_up/tests/{file}'.
    hw9_made_up/tests/{file}:3: in <module>
        from hw9_made_up.a import {function}
    hw9_made_up/a.py:1: in <module>
        import numpyy
    E   ModuleNotFoundError: No module named 'numpyy'""")


def _result(score: float, time: float, failures: dict[str, str]) -> dict:
    worth = {ONE: 2.0, TWO: 1.0, SECRET: 2.0, GIVEN: 0.0}
    tests = [{"name": name, "score": 0.0 if name in failures else points, "max_score": points,
              "status": "failed" if name in failures else "passed", "output": failures.get(name, ""),
              "visibility": "after_due_date" if "hidden" in name else "visible"} for name, points in worth.items()]
    return {"score": score, "max_score": 5.0, "execution_time": time, "tests": tests,
            "output": "sandbox: made up\na.py: taken from work/a.py"}


RESULTS = {
    "alice": _result(5, 2.0, {}),
    "bob": _result(2, 3.0, {TWO: TWO_FAILS, SECRET: SECRET_FAILS}),
    "carol": _result(0, 1.0, {**dict.fromkeys((ONE, TWO, GIVEN), IMPORT_FAILS.format(file="test_a.py", function="add")),
                              SECRET: IMPORT_FAILS.format(file="test_hidden_a.py", function="secret_function")}),
    "dave": _result(4, 4.0, {TWO: TWO_FAILS}),
}


def test_task_statistics_match_the_hand_computed_figures():
    # task_a (3 points): 3, 2, 0, 2; task_b (2 points): 2, 0, 0, 2
    assert task_statistics(RESULTS, TASKS, list(DESCRIPTIONS)) == [
        ("task_a", 3.0, 1.75, 2.0, 0.25), ("task_b", 2.0, 1.0, 1.0, 0.5)]


def test_most_failed_groups_a_test_by_its_first_failure_line():
    rows = most_failed(RESULTS, TASKS)
    assert rows[0] == (2, "test_a.py::test_two", "task_a", "AssertionError: expected 3 but got 4"), rows
    assert (1, "test_hidden_a.py::test_secret (hidden)", "task_b", "AssertionError: expected 42 but got 41") in rows
    assert (1, "test_a.py::test_given", "(no task)", "ModuleNotFoundError: No module named 'numpyy'") in rows
    assert sum(row[0] for row in rows) == 7


def test_failure_lines():
    syntax = "x.py:3: in <module>\n    import a\nE     File \"a.py\", line 2\nE       def f(:\nE   SyntaxError: bad"
    assert first_failure_line(syntax) == "SyntaxError: bad"
    assert first_failure_line("the test took longer than 60 s and was killed\n") == (
        "the test took longer than 60 s and was killed")
    assert first_failure_line("E   assert <object at 0x7f3a2b4c5d6e> is None") == "assert <object at 0x…> is None"
    assert message_only(SECRET_FAILS) == "AssertionError: expected 42 but got 41\nassert 41 == 42"
    assert import_failure(RESULTS["carol"]) == "ModuleNotFoundError: No module named 'numpyy'"
    assert import_failure(RESULTS["bob"]) is None


def test_class_report_files(tmp_path):
    report = write_class_report(HW, RESULTS, TASKS, list(DESCRIPTIONS), tmp_path)
    text = report.read_text()
    for png in ("scores.png", "task_means.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in text
    assert "| task_a | 3 | 1.75 | 2 | 25% |" in text and "| task_b | 2 | 1.00 | 1 | 50% |" in text, text
    assert "| 2 | test_a.py::test_two | task_a | AssertionError: expected 3 but got 4 |" in text
    assert "| carol | ModuleNotFoundError: No module named 'numpyy' |" in text
    assert "| dave | 4 | 4.0 |" in text and "10.0 s of grading in all, 2.5 s per submission" in text
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "scores.png" not in page


def test_feedback_shows_a_hidden_test_by_name_and_message_only(tmp_path):
    paths = write_feedback(HW, RESULTS, TASKS, DESCRIPTIONS, tmp_path)
    assert sorted(p.name for p in paths) == ["alice.md", "bob.md", "carol.md", "dave.md"]
    bob = (tmp_path / "bob.md").read_text()
    assert "| task_a | 2 / 3 | a.py: one and two |" in bob and "| task_b | 0 / 2 | a.py: the secret |" in bob
    assert "test_hidden_a.py::test_secret (hidden test" in bob and "AssertionError: expected 42 but got 41" in bob
    assert "secret_function" not in bob and "test_hidden_a.py:7" not in bob, bob
    assert 'assert add(1, 2) == 3, f"expected 3 but got {add(1, 2)}"' in bob, "a visible test shows its output"
    assert "- a.py: taken from work/a.py" in bob
    carol = (tmp_path / "carol.md").read_text()
    assert "secret_function" not in carol and "ModuleNotFoundError: No module named 'numpyy'" in carol


def test_grade_all_writes_report_and_feedback_beside_the_csv(tmp_path):
    """The command's wiring, on the fake course: a working and an empty submission."""
    course = make_fake_course(tmp_path / "course")
    template = prepare_template(course, "hw1_fake", tmp_path / "template")
    (tmp_path / "class" / "works").mkdir(parents=True)
    (tmp_path / "class" / "works" / "calc.py").write_bytes((course / "hw1_fake" / "calc.py").read_bytes())
    (tmp_path / "class" / "empty").mkdir()
    out = tmp_path / "grades"
    assert grade_all.main(["--hw", "hw1_fake", "--submissions", str(tmp_path / "class"), "--csv",
                           str(out / "scores.csv"), "--template", str(template), "--test-timeout", "10"]) == 0
    report = (out / "report.md").read_text()
    assert "2 submissions, out of 10 points: mean 5.00, median 5, lowest 0, highest 10." in report, report
    assert "| empty | no editable file was submitted |" in report
    assert (out / "report.html").is_file() and (out / "scores.png").is_file()
    assert "10 / 10 points" in (out / "feedback" / "works.md").read_text()


GIVEN_HELPER = '''

def squeeze(text: str) -> str:
    """Given code: every run of white space becomes one space."""
    return " ".join(text.split())
'''
SOLUTION = '''\
"""Small text utilities (a made-up homework)."""
from collections import Counter
''' + GIVEN_HELPER + '''

def word_counts(text: str) -> dict[str, int]:
    """How often each lower-cased word of `text` occurs."""
    # BEGIN SOLUTION
    counts: dict[str, int] = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts
    # END SOLUTION


def bigrams(tokens: list[str]) -> Counter:
    """Counts of adjacent token pairs."""
    # BEGIN SOLUTION
    pairs = Counter()
    for left, right in zip(tokens, tokens[1:]):
        pairs[(left, right)] += 1
    return pairs
    # END SOLUTION


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between `a` and `b`."""
    # BEGIN SOLUTION
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]
    # END SOLUTION
'''
INDEPENDENT = '''\
"""Small text utilities (a made-up homework)."""
from collections import Counter
from functools import lru_cache
''' + GIVEN_HELPER + '''

def word_counts(text: str) -> dict[str, int]:
    """How often each lower-cased word of `text` occurs."""
    cleaned = [w.strip(".,;:!?") for w in text.lower().split()]
    return dict(Counter(w for w in cleaned if w))


def bigrams(tokens: list[str]) -> Counter:
    """Counts of adjacent token pairs."""
    return Counter(tuple(tokens[k:k + 2]) for k in range(len(tokens) - 1))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between `a` and `b`."""
    @lru_cache(maxsize=None)
    def d(m: int, n: int) -> int:
        if m == 0 or n == 0:
            return m + n
        return min(d(m - 1, n) + 1, d(m, n - 1) + 1, d(m - 1, n - 1) + (a[m - 1] != b[n - 1]))
    return d(len(a), len(b))
'''


@pytest.fixture(scope="module")
def text_course(tmp_path_factory):
    """The fake course with a second homework, hw2_text (editable text.py), and four submissions."""
    course = make_fake_course(tmp_path_factory.mktemp("similarity") / "course")
    hw = course / "hw2_text"
    (hw / "tests").mkdir(parents=True)
    (hw / "__init__.py").write_text("")
    (hw / "tests" / "__init__.py").write_text("")
    (hw / "text.py").write_text(SOLUTION)
    (hw / "manifest.yaml").write_text("editable: [text.py]\ntasks:\n  task_text: 'text.py: word_counts, bigrams, "
                                      "edit_distance'\n")
    (hw / "tests" / "test_text.py").write_text(
        "import pytest\n\nfrom hw2_text.text import edit_distance\n\n\n@pytest.mark.task_text\n"
        "def test_edit_distance():\n    assert edit_distance('kitten', 'sitting') == 3\n")
    stub = build_release(course, "hw2_text").files["hw2_text/text.py"].data.decode()
    submissions = course.parent / "submissions"
    for name, text in {"reference": SOLUTION, "disguised": disguise(SOLUTION), "independent": INDEPENDENT,
                       "stubs": stub}.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "text.py").write_text(text)
    return course, sorted(submissions.iterdir())


def test_similarity_sees_through_a_disguise_and_ignores_the_stubs(text_course, tmp_path):
    course, submissions = text_course
    pairs = {frozenset((p.a, p.b)): p for p in similarities(course, "hw2_text", submissions)}
    copy = pairs[frozenset({"disguised", "reference"})]
    honest = pairs[frozenset({"independent", "reference"})]
    assert copy.similarity > 0.8 and honest.similarity < 0.3, (copy.similarity, honest.similarity)
    assert all(p.similarity == 0 for key, p in pairs.items() if "stubs" in key)
    (tmp_path / "old__pair.html").write_text("from an earlier run")
    pages = write_results(sorted(pairs.values(), key=lambda p: -p.similarity), 0.5, tmp_path)
    assert [p.name for p in pages] == ["disguised__reference.html"] and not (tmp_path / "old__pair.html").exists()
    rows = list(csv.reader((tmp_path / "pairs.csv").read_text().splitlines()))
    assert rows[0] == ["a", "b", "similarity", "flagged"] and rows[1][:2] == ["disguised", "reference"]
    assert [row[3] for row in rows[1:]] == ["yes"] + ["no"] * 5
    assert "<mark>" in pages[0].read_text()


def test_grading_a_submission_does_not_need_copydetect():
    """Only ``make similarity`` imports copydetect: the autograder (and grade-all) run without it, and
    the Gradescope image does not install it."""
    code = "import sys, grading.autograde, grading.grade_all; print('copydetect' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    hw = get_homework(REPO, "hw7_seq2seq")
    _, _, template = build_template(REPO, hw.name)
    _, pins = requirements_of({rel: out.data for rel, out in template.files.items()}, hw)
    assert pins and not [pin for pin in pins if pin.startswith("copydetect")], pins


def test_the_release_the_students_got_stays_given_code_after_the_course_changes(text_course, tmp_path):
    """Given code changed after the release (a helper removed): the old stubs' lines would count as code
    every student wrote, unless the release they got is passed too (``--release``)."""
    course, submissions = text_course
    old_release = tmp_path / "hw2_text.zip"
    with zipfile.ZipFile(old_release, "w") as archive:
        for rel, out in build_release(course, "hw2_text").files.items():
            archive.writestr(rel, out.data)
    changed = shutil.copytree(course, tmp_path / "course")
    text = changed / "hw2_text" / "text.py"
    text.write_text(text.read_text().replace(GIVEN_HELPER, ""))

    def with_stubs(**release) -> float:
        pairs = similarities(changed, "hw2_text", submissions, **release)
        return max(p.similarity for p in pairs if "stubs" in (p.a, p.b))

    assert with_stubs() > 0 and with_stubs(releases=[old_release]) == 0
