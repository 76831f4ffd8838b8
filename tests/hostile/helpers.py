"""Helpers shared by tests/test_release*.py, tests/test_autograde*.py and tests/test_grading_*.py."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parent


def make_fake_course(dest: Path) -> Path:
    """A copy of tests/hostile/fake_course with the real grading/ and common/ packages beside it."""
    shutil.copytree(HOSTILE / "fake_course", dest)
    shutil.copytree(REPO / "grading", dest / "grading", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "common", dest / "common", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.names.get(node.id, node.id)
        return node


def _functions_reversed(body: list[ast.stmt]) -> list[ast.stmt]:
    """`body` with its function definitions in reverse order, every other statement in place."""
    functions = iter([s for s in body if isinstance(s, ast.FunctionDef)][::-1])
    return [next(functions) if isinstance(s, ast.FunctionDef) else s for s in body]


def disguise(source: str) -> str:
    """A copy of `source` as a student hiding it would make it: the local variables of every function
    and method renamed (``states`` -> ``setats_7``), comments and formatting dropped (the syntax tree
    written back), and the functions of the module and of each class in reverse order. It behaves as
    `source` does."""
    tree = ast.parse(source)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    for function in (node for body in [tree.body, *(c.body for c in classes)] for node in body
                     if isinstance(node, ast.FunctionDef)):
        parameters = {arg.arg for arg in ast.walk(function) if isinstance(arg, ast.arg)}
        stored = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names = {name: f"{name[::-1]}_{i}" for i, name in enumerate(sorted(stored - parameters))}
        for statement in function.body:
            _Rename(names).visit(statement)
    tree.body = _functions_reversed(tree.body)
    for cls in classes:
        cls.body = _functions_reversed(cls.body)
    return ast.unparse(tree) + "\n"
