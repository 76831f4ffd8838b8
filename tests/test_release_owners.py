"""A stub's message names the tasks whose tests exercise it (grading/owners.py), not every task of its file."""
import textwrap

from grading.course import Homework, get_homework
from grading.owners import public_test_references, task_owner
from tests.hostile.helpers import REPO

MODULE = textwrap.dedent('''
    def helper(x):
        return x + 1

    def first(x):
        return helper(x) * 2

    class Model:
        def step(self, x):
            return helper(x) - 1

    def lonely(x):
        return x
''')


def test_a_helper_belongs_to_its_callers_tasks_and_its_direct_tests(tmp_path):
    (tmp_path / "hw9_x" / "tests").mkdir(parents=True)
    (tmp_path / "hw9_x" / "tests" / "test_m.py").write_text(textwrap.dedent('''
        import pytest
        from hw9_x.m import helper

        @pytest.mark.task_helper_check
        def test_helper():
            assert helper(1) == 2
    '''))
    (tmp_path / "hw9_x" / "tests" / "test_hidden_m.py").write_text(
        "import pytest\nfrom hw9_x.m import lonely\n\n@pytest.mark.task_first\ndef test_l():\n    lonely(1)\n")
    hw = Homework("hw9_x", 9, ("m.py",), (), (
        ("task_first", "first (m.py)"), ("task_model", "Model.step (m.py)"),
        ("task_helper_check", "checks of m.py by hand"), ("task_other", "other things of m.py")))
    tasks_of = task_owner(hw, "m.py", MODULE, public_test_references(tmp_path, hw))
    assert tasks_of("first") == ["task_first"]
    assert tasks_of("Model.step") == ["task_model"]
    assert tasks_of("helper") == ["task_first", "task_model", "task_helper_check"]
    # no description, caller or public test names it (hidden tests do not count): the tasks of its file
    assert tasks_of("lonely") == ["task_first", "task_model", "task_helper_check", "task_other"]


def test_hw2_score_gradients_names_the_tasks_that_call_it_not_every_task_of_sgns_py():
    hw = get_homework(REPO, "hw2_word2vec")
    source = (REPO / hw.name / "sgns.py").read_text(encoding="utf-8")
    tasks_of = task_owner(hw, "sgns.py", source, public_test_references(REPO, hw))
    assert tasks_of("sgns_score_gradients") == ["task_sgns_loss", "task_gradients", "task_model"]
    assert tasks_of("scatter_add") == ["task_scatter"]
