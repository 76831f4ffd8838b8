"""Which task markers a stub's message names: the tasks whose tests exercise the function.

A task owns a function when its manifest description names it (``SGNSModel.step``) or its outermost
class or function. A function that no description names (a helper such as ``sgns_score_gradients``)
belongs to the tasks of the public tests that call it directly and to the tasks of the functions of
the same module that call it (their tests exercise it through them), never to every task that merely
names its file. Only when none of those exist do the tasks naming the file own it.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from grading.course import Homework


def referenced_names(node: ast.AST) -> set[str]:
    """Every name a piece of code mentions: variables, called functions and attributes (``x.step``)."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _task_marks(decorators: list[ast.expr]) -> list[str]:
    """Task markers among decorators or a ``pytestmark`` value (``pytest.mark.task_x``)."""
    found = []
    for node in decorators:
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and child.attr.startswith("task_") and \
                    isinstance(child.value, ast.Attribute) and child.value.attr == "mark":
                found.append(child.attr)
    return found


def test_tasks_by_name(source: str) -> list[tuple[list[str], set[str]]]:
    """(task markers, names referenced) of every test function of one test module."""
    tree = ast.parse(source)
    module_marks = [mark for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
                    for mark in _task_marks([node.value])]
    found = []

    def visit(body: list[ast.stmt], marks: list[str]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                visit(node.body, [*_task_marks(node.decorator_list), *marks])
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                found.append(([*_task_marks(node.decorator_list), *marks], referenced_names(node)))

    visit(tree.body, module_marks)
    return found


def public_test_references(root: Path, hw: Homework) -> list[tuple[list[str], set[str]]]:
    """(task markers, names referenced) of every public test function of `hw`."""
    found = []
    for path in sorted((Path(root) / hw.name / "tests").rglob("test_*.py")):
        rel = path.relative_to(Path(root) / hw.name).as_posix()
        if not hw.is_hidden_test(rel):
            found.extend(test_tasks_by_name(path.read_text(encoding="utf-8")))
    return found


def module_callers(source: str) -> dict[str, set[str]]:
    """Name -> the qualified functions of the module (``SGNSModel.step``) whose body mentions it."""
    callers: dict[str, set[str]] = {}

    def visit(node: ast.AST, prefix: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualified = ".".join([*prefix, child.name])
                for name in referenced_names(child):
                    callers.setdefault(name, set()).add(qualified)
                visit(child, [*prefix, child.name])
            elif isinstance(child, ast.ClassDef):
                visit(child, [*prefix, child.name])

    visit(ast.parse(source), [])
    return callers


def task_owner(hw: Homework, rel: str, source: str,
               tests: list[tuple[list[str], set[str]]]) -> Callable[[str], list[str]]:
    """function (qualified inside the module of `rel`, e.g. ``SGNSModel.step``) -> its task markers,
    in manifest order. `source`: the reference source of `rel`; `tests`: public_test_references."""
    callers = module_callers(source)
    order = [task for task, _ in hw.tasks]

    def owners(function: str, seen: frozenset[str]) -> set[str]:
        described = hw.described_tasks(function)
        if described:
            return set(described)
        name = function.split(".")[0]  # a method is reached through its class
        found = {task for marks, names in tests if name in names for task in marks if task in order}
        for caller in sorted(callers.get(name, set()) - {function} - seen):
            if not caller.startswith(function + "."):
                found |= owners(caller, seen | {function})
        return found

    def tasks_of(function: str) -> list[str]:
        found = owners(function, frozenset()) or set(hw.tasks_of(function, rel))
        return [task for task in order if task in found]

    return tasks_of
