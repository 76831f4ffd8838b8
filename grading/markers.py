"""Turn reference source into student source by stripping the solution markers.

Block form, inside a function body::

    def relu(x):
        # TODO: keep the positive part        <- stays in the release
        # BEGIN SOLUTION
        return np.maximum(x, 0)
        # END SOLUTION

becomes ``raise NotImplementedError("hw3_edugrad, task_ops_elementwise: implement hw3_edugrad.ops.relu
(about 1 line)")`` at the marker's indentation: the homework, the task marker(s) whose tests call it
(``pytest -m task_ops_elementwise``), the function and the size budget: the TODO hint's "About N
lines." (or "~N lines") when it states one, else the size of the reference solution.
One-line form: ``x = <expr>  # SOLUTION`` becomes ``x = ...  # TODO``.
Markers are recognised as comment tokens only, so the marker text inside a string is not a marker.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
ONE_LINE = "# SOLUTION"
MARKERS = (BEGIN, END, ONE_LINE)


class MarkerError(ValueError):
    """A malformed solution marker; the message names the file and line."""


@dataclass(frozen=True)
class Stripped:
    """Result of stripping one file.

    text: the student source; solution_lines: the removed reference lines (stripped of indentation);
    stubs: qualified names of the functions that now raise NotImplementedError; blocks: (qualified
    name, removed source as written) per solution block or one-line expression, for the leak check.
    """

    text: str
    solution_lines: list[str]
    stubs: list[str]
    blocks: list[tuple[str, str]] = ()


def marker_comments(source: str, path: str) -> list[tuple[int, str, bool]]:
    """Return (line number, marker, is_alone_on_line) for each marker comment in `source`."""
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise MarkerError(f"{path}: cannot tokenize ({err}); fix the Python syntax first") from err
    lines = source.splitlines()
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        text = tok.string.strip()
        if text in MARKERS:
            row, col = tok.start
            alone = lines[row - 1][:col].strip() == ""
            found.append((row, text, alone))
        elif "BEGIN SOLUTION" in text or "END SOLUTION" in text:
            raise MarkerError(f"{path}:{tok.start[0]}: malformed marker {text!r}; "
                              f"write exactly {BEGIN!r} or {END!r}")
    return found


def _enclosing_functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(line after the def, last line, dotted qualified name) for every function in the module."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = [*prefix, child.name]
                spans.append((child.lineno + 1, child.end_lineno or child.lineno, ".".join(name)))
                visit(child, name)
            elif isinstance(child, ast.ClassDef):
                visit(child, [*prefix, child.name])
            else:
                visit(child, prefix)

    visit(tree, [])
    return spans


def _innermost(spans: list[tuple[int, int, str]], line: int) -> str | None:
    best = None
    for first, last, name in spans:
        if first <= line <= last and (best is None or first >= best[0]):
            best = (first, name)
    return best[1] if best else None


def _one_line_stub(line: str, lineno: int, tree: ast.Module, path: str) -> tuple[str, str]:
    """Rewrite ``x = <expr>  # SOLUTION`` to ``x = ...  # TODO``; return (new line, removed expr)."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
                and node.lineno == lineno and node.end_lineno == lineno and node.value is not None):
            raw = line.encode("utf-8")
            head = raw[: node.value.col_offset].decode("utf-8")
            expr = raw[node.value.col_offset: node.value.end_col_offset].decode("utf-8")
            return f"{head}...  # TODO\n", expr
    raise MarkerError(f"{path}:{lineno}: '{ONE_LINE}' must end a one-line assignment "
                      f"(x = <expr>  {ONE_LINE}); use the BEGIN/END block form otherwise")


TODO = "# TODO"
# A hint's size budget: "About 3 lines.", "(about one line)", "~4 lines"; a bare "each one line" is not one.
BUDGET = re.compile(r"(?:\babout\s+|~\s*)(\d+|one)\s+lines?\b", re.IGNORECASE)


def todo_hint(lines: list[str], begin: int, path: str = "<source>") -> tuple[int, int | None] | None:
    """The ``# TODO`` hint right above the ``# BEGIN SOLUTION`` at 1-based line `begin`, if any.

    The hint is the comment lines from the last one starting with ``# TODO`` down to the marker, with
    no other line between. Returns (its first line, its size budget: the N of its "about N lines" or
    "~N lines", None when it states none), or None when no hint sits right above the marker.
    Raises MarkerError (naming `path` and the hint's line) when the hint states two different budgets.
    """
    first = None
    row = begin - 1
    while row >= 1 and lines[row - 1].strip().startswith("#"):
        if lines[row - 1].strip().startswith(TODO):
            first = row
            break
        row -= 1
    if first is None:
        return None
    hint = " ".join(line.strip().lstrip("#") for line in lines[first - 1: begin - 1])
    stated = {found.group(0): 1 if found.group(1).lower() == "one" else int(found.group(1))
              for found in BUDGET.finditer(hint)}
    budgets = set(stated.values())
    if len(budgets) > 1:
        raise MarkerError(f"{path}:{first}: expected one size budget in the TODO hint but got "
                          f"{' and '.join(map(repr, stated))}; keep a single 'About N lines.'")
    return first, budgets.pop() if budgets else None


def stub_message(hw: str, qualified: str, tasks: list[str], code_lines: int) -> str:
    """The text of a stub's NotImplementedError: homework, task markers, function, size budget.

    code_lines: the budget of the TODO hint above the block when it gives one (so the hint and the
    error agree), else the reference solution's lines of code."""
    where = f"{hw}, {' and '.join(tasks)}" if tasks else hw
    size = "about 1 line" if code_lines <= 1 else f"about {code_lines} lines"
    return f"{where}: implement {qualified} ({size})"


def _code_lines(block: list[str]) -> int:
    """Lines of a solution block that hold code (not blank, not a comment)."""
    return sum(1 for line in block if line.strip() and not line.strip().startswith("#"))


def strip_solutions(source: str, path: str, module: str, hw: str,
                    tasks_of: Callable[[str], list[str]] | None = None) -> Stripped:
    """Strip every solution marker of one Python file.

    source: the reference text; path: shown in errors; module: dotted module name
    (``hw3_edugrad.ops``); hw: the homework folder name used in the NotImplementedError message;
    tasks_of: qualified function name -> the task markers named in that message (none if omitted).
    Raises MarkerError for nested, unclosed, stray or misplaced markers.
    """
    markers = marker_comments(source, path)
    if not markers:
        return Stripped(source, [], [], [])
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        raise MarkerError(f"{path}:{err.lineno}: syntax error in reference code: {err.msg}") from err
    spans = _enclosing_functions(tree)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    solution: list[str] = []
    stubs: list[str] = []
    blocks: list[tuple[str, str]] = []
    block_raw: list[str] = []
    by_line = {row: (text, alone) for row, text, alone in markers}
    open_at: int | None = None
    for lineno, line in enumerate(lines, start=1):
        marker, alone = by_line.get(lineno, (None, True))
        if marker in (BEGIN, END) and not alone:
            raise MarkerError(f"{path}:{lineno}: {marker!r} must stand alone on its line")
        if marker == BEGIN:
            if open_at is not None:
                raise MarkerError(f"{path}:{lineno}: nested {BEGIN!r} (the block opened at line "
                                  f"{open_at} is not closed); markers never nest")
            name = _innermost(spans, lineno)
            if name is None:
                raise MarkerError(f"{path}:{lineno}: {BEGIN!r} outside a function body; "
                                  "solution blocks must sit inside a function or method")
            open_at = lineno
            indent = line[: len(line) - len(line.lstrip())]
            qualified = f"{module}.{name}"
            stubs.append(qualified)
            block_start = len(solution)
            block_raw = []
            out.append(None)  # the raise, written at END once the block's size is known
        elif marker == END:
            if open_at is None:
                raise MarkerError(f"{path}:{lineno}: {END!r} without a matching {BEGIN!r}")
            begin_line = lines[open_at - 1]
            if line[: len(line) - len(line.lstrip())] != begin_line[: len(begin_line) - len(begin_line.lstrip())]:
                raise MarkerError(f"{path}:{lineno}: {END!r} is not indented like its {BEGIN!r} "
                                  f"at line {open_at}")
            hint = todo_hint([raw.rstrip("\n") for raw in lines], open_at, path)
            size = hint[1] if hint and hint[1] is not None else _code_lines(solution[block_start:])
            message = stub_message(hw, qualified, tasks_of(qualified) if tasks_of else [], size)
            out[out.index(None)] = f'{indent}raise NotImplementedError("{message}")\n'
            blocks.append((qualified, "".join(block_raw)))
            open_at = None
        elif open_at is not None:
            if marker == ONE_LINE:
                raise MarkerError(f"{path}:{lineno}: '{ONE_LINE}' inside the block opened at line "
                                  f"{open_at}; markers never nest")
            solution.append(line.strip())
            block_raw.append(line)
        elif marker == ONE_LINE:
            if _innermost(spans, lineno) is None:
                raise MarkerError(f"{path}:{lineno}: '{ONE_LINE}' outside a function body")
            new_line, expr = _one_line_stub(line, lineno, tree, path)
            out.append(new_line)
            solution.append(expr.strip())
            stubs.append(f"{module}.{_innermost(spans, lineno)}")
            blocks.append((stubs[-1], expr.strip() + "\n"))
        else:
            out.append(line)
    if open_at is not None:
        raise MarkerError(f"{path}:{open_at}: {BEGIN!r} is never closed by {END!r}")
    text = "".join(out)
    try:
        ast.parse(text, filename=path)
    except SyntaxError as err:
        raise MarkerError(f"{path}: the stripped file does not parse (line {err.lineno}: {err.msg}); "
                          "keep whole statements inside the markers") from err
    return Stripped(text, [s for s in solution if s], stubs, blocks)


def unmark(source: str) -> str:
    """Reference code for students of a later homework: solutions kept, marker comments removed.

    Lines holding only ``# BEGIN SOLUTION`` / ``# END SOLUTION`` go, and so does the ``# TODO`` hint
    right above a block (the code below it is no longer to do); a trailing ``# SOLUTION`` goes.
    """
    lines = source.splitlines(keepends=True)
    bare = [line.rstrip("\n") for line in lines]
    drop: set[int] = set()
    trailing: set[int] = set()
    for row, text, alone in marker_comments(source, "<reference>"):
        if text in (BEGIN, END) and alone:
            drop.add(row)
            hint = todo_hint(bare, row, "<reference>") if text == BEGIN else None
            if hint is not None:
                drop.update(range(hint[0], row))
        elif text == ONE_LINE:
            trailing.add(row)
    out = []
    for lineno, line in enumerate(lines, start=1):
        if lineno in drop:
            continue
        if lineno in trailing:
            ending = "\n" if line.endswith("\n") else ""
            line = line.rstrip("\n").rsplit(ONE_LINE, 1)[0].rstrip() + ending
        out.append(line)
    return "".join(out)


def module_name(relpath: str) -> str:
    """``hw3_edugrad/ops/relu.py`` -> ``hw3_edugrad.ops.relu``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = relpath.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
