"""grading.markers: stripping solution blocks, the one-line form, and malformed markers."""
import textwrap

import pytest

from grading.markers import MarkerError, module_name, strip_solutions, unmark


def strip(source: str, tasks_of=None):
    return strip_solutions(textwrap.dedent(source), "hw9_x/ops.py", "hw9_x.ops", "hw9_x", tasks_of)


def test_block_becomes_raise_with_qualified_name_and_todo_kept():
    result = strip('''
        class relu:
            @staticmethod
            def forward(ctx, x):
                """x: [n]"""
                assert x.ndim == 1, "expected a vector"
                # TODO: keep the positive part
                # BEGIN SOLUTION
                y = x.clip(0)
                return y
                # END SOLUTION
    ''')
    expected = textwrap.dedent('''
        class relu:
            @staticmethod
            def forward(ctx, x):
                """x: [n]"""
                assert x.ndim == 1, "expected a vector"
                # TODO: keep the positive part
                raise NotImplementedError("hw9_x: implement hw9_x.ops.relu.forward (about 2 lines)")
    ''')
    assert result.text == expected, f"expected\n{expected}\nbut got\n{result.text}"
    assert result.stubs == ["hw9_x.ops.relu.forward"]
    assert result.solution_lines == ["y = x.clip(0)", "return y"]


def test_one_line_form_and_nested_block_indentation():
    result = strip('''
        def f(x):
            y = x * 2 + 1  # SOLUTION
            if x:
                # BEGIN SOLUTION
                return y
                # END SOLUTION
            return y
    ''')
    assert "    y = ...  # TODO\n" in result.text, result.text
    stub = '        raise NotImplementedError("hw9_x: implement hw9_x.ops.f (about 1 line)")\n'
    assert stub in result.text, result.text
    assert "x * 2 + 1" not in result.text and "SOLUTION" not in result.text


def test_marker_text_inside_a_string_is_not_a_marker():
    source = 'def f():\n    return "# BEGIN SOLUTION"\n'
    assert strip(source).text == source


@pytest.mark.parametrize(("source", "message"), [
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n", ":3: nested"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", ":2: '# BEGIN SOLUTION' is never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", ":3: '# END SOLUTION' without"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", ":1: '# BEGIN SOLUTION' outside a function"),
    ("def f():\n    # BEGIN SOLUTION\n    x = 1  # SOLUTION\n    # END SOLUTION\n", ":3: '# SOLUTION' inside"),
    ("def f():\n    return g(  # SOLUTION\n        1)\n", ":2: '# SOLUTION' must end a one-line"),
    ("def f():\n    # BEGIN SOLUTIONS\n    pass\n", ":2: malformed marker"),
    ("def f():\n    if x:\n        # BEGIN SOLUTION\n        pass\n    # END SOLUTION\n",
     ":5: '# END SOLUTION' is not"),
])
def test_malformed_markers_name_file_and_line(source, message):
    with pytest.raises(MarkerError) as info:
        strip_solutions(source, "hw9_x/ops.py", "hw9_x.ops", "hw9_x")
    assert f"hw9_x/ops.py{message}" in str(info.value), f"expected {message!r} in {info.value}"


def test_module_name():
    assert module_name("hw3_edugrad/edugrad/ops.py") == "hw3_edugrad.edugrad.ops"
    assert module_name("hw3_edugrad/edugrad/__init__.py") == "hw3_edugrad.edugrad"


def test_stub_names_its_task_markers_and_the_size_of_the_solution():
    source = """
        def scatter(x):
            # TODO (about 2 lines): add the rows
            # BEGIN SOLUTION
            # a comment is not a line of code

            y = x + 1
            return y
            # END SOLUTION
    """
    result = strip(source, tasks_of=lambda name: ["task_scatter", "task_model"] if name == "hw9_x.ops.scatter" else [])
    assert ('raise NotImplementedError("hw9_x, task_scatter and task_model: implement hw9_x.ops.scatter '
            '(about 2 lines)")') in result.text, result.text
    block = "    # a comment is not a line of code\n\n    y = x + 1\n    return y\n"
    assert result.blocks == [("hw9_x.ops.scatter", block)]


def test_unmark_keeps_reference_code_and_drops_the_markers():
    source = ("def f(x):\n    # BEGIN SOLUTION\n    y = x + 1\n    # END SOLUTION\n"
              "    z = y * 2  # SOLUTION\n    return z\n")
    assert unmark(source) == "def f(x):\n    y = x + 1\n    z = y * 2\n    return z\n"
