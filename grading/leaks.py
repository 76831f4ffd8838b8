"""Does a release give away a solution? Compare solution code with every file of the release by syntax tree.

Solution code is normalised before it is compared: docstrings and type annotations dropped, and every
variable, argument and function name renamed in order of first use (``_0``, ``_1``, ...), so a copy
with renamed variables still matches; attribute names (``.reshape``), constants and the structure of
the code must agree. A leak is

- a whole solution block that equals a run of consecutive statements anywhere in the release, or
- one statement of a block, big enough to matter (MIN_NODES syntax-tree nodes), that appears in a file
  of the release, unless the same homework's reference already has it outside its solution blocks
  (given code the block merely repeats, e.g. a line of a given method).

The names of hidden tests must not appear in any file of the release either.
"""
from __future__ import annotations

import ast
import copy
import re
import textwrap
from dataclasses import dataclass

MIN_NODES = 16  # smaller statements ("return loss", building an index array) prove nothing


@dataclass(frozen=True)
class SolutionCode:
    """One piece of solution code: the homework, where it comes from (``file::function``), its source."""

    hw: str
    where: str
    source: str


@dataclass(frozen=True)
class Leak:
    """Solution code `solution` found in the release file `rel` at `line`."""

    solution: SolutionCode
    rel: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.rel}:{self.line} holds {self.what} of {self.solution.hw} ({self.solution.where})"


class _Renamer(ast.NodeTransformer):
    """Rename identifiers in order of first use; drop docstrings and annotations."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        return self.names.setdefault(name, f"_{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id=self._name(node.id), ctx=ast.Load())

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.arg(arg=self._name(node.arg), annotation=None)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        node.returns = None
        node.body = _without_docstring(node.body)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self._name(node.name)
        node.body = _without_docstring(node.body)
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.Pass()
        return self.visit(ast.Assign(targets=[node.target], value=node.value))


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:] or [ast.Pass()]
    return body


def normalise(statements: list[ast.stmt]) -> str:
    """The normalised syntax tree of a run of statements, as a string (equal strings = same code)."""
    module = ast.Module(body=copy.deepcopy(statements), type_ignores=[])
    return ast.dump(_Renamer().visit(module), annotate_fields=False, include_attributes=False)


def _shape(statements: list[ast.stmt]) -> tuple[str, ...]:
    """The statement types of a run: a cheap filter before normalising it."""
    return tuple(type(s).__name__ for s in statements)


def size(node: ast.AST) -> int:
    """Number of syntax-tree nodes under `node`."""
    return sum(1 for n in ast.walk(node) if not isinstance(n, ast.expr_context))


def parse_block(source: str) -> list[ast.stmt]:
    """The statements of a solution block as written (indented, maybe with `return`)."""
    body = textwrap.indent(textwrap.dedent(source), "    ")
    return ast.parse(f"def _block():\n{body}\n    pass\n").body[0].body[:-1]


def _bodies(tree: ast.AST):
    """Every statement list of a module (module, function, class, loop and branch bodies)."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                yield stmts
        for handler in getattr(node, "handlers", []) or []:
            yield handler.body


def _big_statements(statements: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement at any depth under `statements` with at least MIN_NODES nodes, but no
    compound statement itself (its inner statements are compared instead)."""
    found = []
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.stmt) and not hasattr(node, "body") and size(node) >= MIN_NODES:
                found.append(node)
    return found


class Fingerprints:
    """The solution code of a release, ready to be searched for."""

    def __init__(self, solutions: list[SolutionCode], given: dict[str, list[str]]) -> None:
        """solutions: every solution block of the stubbed homeworks; given: homework -> the reference
        sources of its files with the solution blocks still marked (to know what it gives anyway)."""
        self.blocks: dict[str, tuple[SolutionCode, int]] = {}     # normalised block -> (code, statements)
        self.statements: dict[str, SolutionCode] = {}             # normalised big statement -> code
        self.shapes: set[tuple[str, ...]] = set()
        scaffolds = {hw: _scaffold(sources) for hw, sources in given.items()}
        for solution in solutions:
            try:
                statements = parse_block(solution.source)
            except SyntaxError:
                continue
            if not statements:
                continue
            self.blocks.setdefault(normalise(statements), (solution, len(statements)))
            self.shapes.add(_shape(statements))
            scaffold = scaffolds.get(solution.hw, set())
            for statement in _big_statements(statements):
                key = normalise([statement])
                if key not in scaffold:
                    self.statements.setdefault(key, solution)
        self.lengths = sorted({n for _, n in self.blocks.values()})

    def search(self, rel: str, source: str) -> list[Leak]:
        """Leaks of solution code in one Python file of the release."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return []
        leaks = []
        for body in _bodies(tree):
            for length in self.lengths:
                for start in range(len(body) - length + 1):
                    run = body[start:start + length]
                    if _shape(run) not in self.shapes:
                        continue
                    hit = self.blocks.get(normalise(run))
                    if hit is not None and hit[1] == length:
                        leaks.append(Leak(hit[0], rel, run[0].lineno, "a whole solution block"))
        for statement in _big_statements(tree.body):
            hit = self.statements.get(normalise([statement]))
            if hit is not None:
                leaks.append(Leak(hit, rel, statement.lineno, f"the solution statement {ast.unparse(statement)!r}"))
        return leaks


def _scaffold(sources: list[str]) -> set[str]:
    """Normalised big statements of a homework's reference sources outside their solution blocks."""
    found: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(_outside_blocks(source))
        except SyntaxError:
            continue
        found.update(normalise([s]) for s in _big_statements(tree.body))
    return found


def _outside_blocks(source: str) -> str:
    """`source` with every line between BEGIN/END SOLUTION markers blanked (line numbers kept)."""
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            inside = True
            lines.append("")
        elif stripped == "# END SOLUTION":
            inside = False
            lines.append(line.replace("# END SOLUTION", "pass"))
        else:
            lines.append("" if inside else line)
    return "\n".join(lines)


def hidden_name_leaks(names: set[str], files: dict[str, bytes]) -> list[str]:
    """``path: name`` for every hidden-test name that appears (as a word) in a file of the release."""
    if not names:
        return []
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    found = []
    for rel, data in sorted(files.items()):
        for match in set(pattern.findall(data.decode("utf-8", errors="ignore"))):
            found.append(f"{rel}: {match}")
    return found


def hidden_test_names(source: str, rel: str) -> set[str]:
    """The file's stem and the test functions and classes a hidden test file defines."""
    names = {rel.rsplit("/", 1)[-1].removesuffix(".py")}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and \
                node.name.lower().startswith("test"):
            names.add(node.name)
    return names
