"""Every handout's grading table equals what the grader collects, and every handout says how to submit.

The tests of all homeworks (public and hidden) are collected once, in one child process, with the
points the autograder gives them (grading.points.split_points, which grading/plugin.py uses too).
"""
import pytest

from grading.course import find_homeworks
from grading.points import Row, TableCollector, collect, grading_table, parse_markdown, split_points, to_markdown
from tests.hostile.helpers import REPO

HOMEWORKS = find_homeworks(REPO)


@pytest.fixture(scope="session")
def collected():
    """Every collected test of every homework: {"id", "points", "hidden", "tasks"}."""
    return collect(REPO, [hw.name for hw in HOMEWORKS])


@pytest.mark.parametrize("hw", HOMEWORKS, ids=lambda hw: hw.name)
def test_grading_table_of_the_handout_is_what_the_grader_collects(collected, hw):
    tests = [t for t in collected if t["id"].startswith(hw.name + "/")]
    expected = grading_table(tests, [task for task, _ in hw.tasks])
    handout = (REPO / hw.name / "README.md").read_text(encoding="utf-8")
    found = parse_markdown(handout)
    table = to_markdown(expected)
    assert found is not None, f"{hw.name}/README.md has no '## Grading' section; add it with this table:\n{table}"
    assert found == expected, (f"{hw.name}/README.md: the grading table differs from the tests' points; "
                               f"replace it with (python -m grading.points {hw.name}):\n{table}")


@pytest.mark.parametrize("hw", HOMEWORKS, ids=lambda hw: hw.name)
def test_handout_says_how_to_submit_and_self_grade(hw):
    handout = (REPO / hw.name / "README.md").read_text(encoding="utf-8")
    section = handout.split("## Submitting", 1)[1] if "## Submitting" in handout else ""
    for command in (f"make submit HW={hw.name}", f"make grade HW={hw.name}"):
        assert command in section, f"{hw.name}/README.md: expected a '## Submitting' section with '{command}'"


def test_parametrised_points_are_split_across_cases_as_the_plugin_reports_them(tmp_path):
    from grading.plugin import points_and_visibility

    (tmp_path / "test_points_sample.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.points(3)\n@pytest.mark.parametrize('x', [1, 2, 3])\ndef test_three(x):\n    pass\n\n"
        "@pytest.mark.points(4)\n"
        "@pytest.mark.parametrize('x', [1, 2, pytest.param(3, marks=pytest.mark.points(0))])\n"
        "def test_with_a_free_case(x):\n    pass\n\n"
        "@pytest.mark.parametrize('x', [1, 2])\ndef test_unmarked(x):\n    pass\n\n"
        "@pytest.mark.hidden\n@pytest.mark.points(2)\ndef test_plain():\n    pass\n"
    )
    found = {}

    alone = {}

    class Recorder:
        def pytest_collection_modifyitems(self, items):
            split = split_points(items)
            found.update({item.name: points_and_visibility(item, split) for item in items})
            alone.update({item.name: points_and_visibility(item) for item in items})  # the session's items

    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[Recorder()])
    assert found == {
        "test_three[1]": (1.0, "visible"), "test_three[2]": (1.0, "visible"), "test_three[3]": (1.0, "visible"),
        "test_with_a_free_case[1]": (2.0, "visible"), "test_with_a_free_case[2]": (2.0, "visible"),
        "test_with_a_free_case[3]": (0.0, "visible"),
        "test_unmarked[1]": (0.5, "visible"), "test_unmarked[2]": (0.5, "visible"),
        "test_plain": (2.0, "after_due_date"),
    }, found
    assert alone == found, "points_and_visibility(item) must split over the session's items too"
    collector = TableCollector()
    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[collector])
    assert grading_table(collector.tests, []) == [Row("(no task)", 8.0, 2.0)]
    assert parse_markdown("## Grading\n\n" + to_markdown([Row("task_a", 2.5, 1)]) + "\n") == [Row("task_a", 2.5, 1)]
