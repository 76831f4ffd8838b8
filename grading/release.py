"""The student release: one homework at a time, or the whole course.

``python -m grading.release --hw hw4_dan`` (``make release HW=hw4_dan``) writes ``dist/hw4_dan/`` and
``dist/hw4_dan.zip``: that homework with its solutions stripped (stubs), its public tests and handout,
``common/``, ``grading/`` and the top-level files, and the earlier homeworks it builds on (manifest
``builds_on``) as reference code: solutions in, marker comments and tests out (their due date has
passed). ``python -m grading.release`` (``make release``) writes the whole course stubbed to
``dist/student/``, for courses where students carry their own code forward.

Only files git tracks go in. Left out: hidden tests, each homework's ``solution_only`` files and the
instructor-only files listed in ``grading.course.INSTRUCTOR_ONLY``; README.md is the student README
(``grading/student_readme.md``). The zip is byte-for-byte reproducible: sorted entries, fixed
timestamps and permissions.
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import string
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grading.course import (
    HW_PATTERN,
    CourseError,
    Homework,
    builds_on_closure,
    course_files,
    find_homeworks,
    get_homework,
    instructor_only,
    untracked_files,
)
from grading.leaks import SolutionCode, hidden_test_names
from grading.markers import MarkerError, module_name, strip_solutions, unmark
from grading.needs import imported_modules
from grading.owners import public_test_references, task_owner

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
STUDENT_README = "grading/student_readme.md"


@dataclass(frozen=True)
class OutFile:
    """One file of a generated tree: its bytes and whether it is executable."""

    data: bytes
    executable: bool = False


@dataclass
class Release:
    """A generated tree: files by repo-relative path, plus what was stripped per homework.

    stubbed: the homeworks handed out with stubs; reference: the earlier homeworks shipped as
    reference code; solutions: every solution block and solution-only function of the stubbed
    homeworks (for the leak check); hidden_names: names of their hidden tests and test files.
    """

    files: dict[str, OutFile] = field(default_factory=dict)
    solution_lines: dict[str, list[str]] = field(default_factory=dict)
    stubs: dict[str, list[str]] = field(default_factory=dict)
    solutions: list[SolutionCode] = field(default_factory=list)
    hidden_names: set[str] = field(default_factory=set)
    stubbed: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)


def homework_of(rel: str, homeworks: dict[str, Homework]) -> tuple[Homework | None, str]:
    """(homework, path inside it) for a repo-relative path; (None, rel) outside homeworks."""
    top, _, rest = rel.partition("/")
    return homeworks.get(top), rest


STUB_LINT_IGNORES = ["E501", "F401", "F821", "F841"]
PER_FILE_IGNORES = "[tool.ruff.lint.per-file-ignores]\n"


def stub_files(release: Release) -> list[str]:
    """The Python files of the stubbed homeworks that hold a stub (``raise NotImplementedError("hwN_...``)."""
    return sorted(rel for rel, f in release.files.items()
                  if rel.endswith(".py") and rel.split("/")[0] in release.stubbed
                  and re.search(rb'^\s*raise NotImplementedError\("hw\d+_', f.data, re.MULTILINE))


def lint_settings_for_stubs(pyproject: str, files: list[str]) -> str:
    """`pyproject` with ruff told to let the stub files be: a stub's one-line message may be long, and the
    imports and names its solution will use (or define) look unused or undefined until it is written."""
    if not files:
        return pyproject
    entries = "".join(f'"{rel}" = {STUB_LINT_IGNORES}\n'.replace("'", '"') for rel in files)
    block = "# Stub files until solved: long stub messages; imports and names the solution uses or defines.\n" + entries
    if PER_FILE_IGNORES in pyproject:
        return pyproject.replace(PER_FILE_IGNORES, PER_FILE_IGNORES + block, 1)
    return pyproject.rstrip("\n") + "\n\n" + PER_FILE_IGNORES + block


def release_file(root: Path, rel: str, hw_name: str, release: Release, homework: Homework | None = None) -> OutFile:
    """Read one file; strip solution markers from Python sources; record what was stripped.

    homework: the manifest of `hw_name`; the stubs' messages name the tasks whose tests exercise them
    (grading/owners.py)."""
    path = root / rel
    data = path.read_bytes()
    executable = os.access(path, os.X_OK)
    if rel.endswith(".py"):
        module = module_name(rel)
        source = data.decode("utf-8")
        tasks_of = None
        if homework is not None:
            owner: list = []  # built on the first stub only: it parses the homework's public tests

            def tasks_of(qualified: str) -> list[str]:
                if not owner:
                    owner.append(task_owner(homework, rel.partition("/")[2], source,
                                            public_test_references(root, homework)))
                return owner[0](qualified[len(module) + 1:])
        stripped = strip_solutions(source, rel, module, hw_name, tasks_of)
        if stripped.stubs:
            release.solution_lines.setdefault(hw_name, []).extend(stripped.solution_lines)
            release.stubs.setdefault(hw_name, []).extend(stripped.stubs)
            release.solutions.extend(SolutionCode(hw_name, f"{rel}::{name.removeprefix(module + '.')}", code)
                                     for name, code in stripped.blocks)
            data = stripped.text.encode("utf-8")
    return OutFile(data, executable)


def excluded(rel: str, homeworks: dict[str, Homework], stubbed: list[str], reference: list[str]) -> str | None:
    """Why `rel` stays out of the release of `stubbed` (+ `reference`), or None if it ships."""
    reason = instructor_only(rel)
    if reason is not None:
        return f"instructor only: {reason}"
    top, _, inner = rel.partition("/")
    if HW_PATTERN.match(top) and inner and top not in stubbed and top not in reference:
        return "another homework"
    hw = homeworks.get(top)
    if hw is None or not inner:
        return None
    if hw.is_hidden_test(inner):
        return "hidden test"
    if hw.is_solution_only(inner):
        return "solution only"
    if top in reference and inner.startswith("tests/"):
        return "tests of a reference homework"
    return None


def solution_only_code(hw: str, rel: str, source: str) -> list[SolutionCode]:
    """Every function of a solution-only file, as solution code that must not appear in the release."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = source.splitlines(keepends=True)[node.body[0].lineno - 1: node.end_lineno]
            found.append(SolutionCode(hw, f"{rel}::{node.name} (solution-only file)", "".join(lines)))
    return found


def build_release(root: Path, hw_name: str | None = None) -> Release:
    """The student release of the course at `root` (of one homework, or all), in memory.

    Raises MarkerError on bad markers and CourseError on an unknown homework."""
    root = Path(root)
    homeworks = {hw.name: hw for hw in find_homeworks(root)}
    release = Release()
    if hw_name is None:
        release.stubbed = list(homeworks)
    else:
        main = get_homework(root, hw_name)
        release.stubbed, release.reference = [main.name], builds_on_closure(root, main)
    for rel in course_files(root):
        reason = excluded(rel, homeworks, release.stubbed, release.reference)
        top = rel.split("/")[0]
        if reason is None and top in release.reference:
            data = (root / rel).read_bytes()
            if rel.endswith(".py"):
                data = unmark(data.decode("utf-8")).encode("utf-8")
            elif rel == f"{top}/README.md":
                data = reference_banner(top, release.stubbed).encode("utf-8") + data
            release.files[rel] = OutFile(data, os.access(root / rel, os.X_OK))
        elif reason is None:
            release.files[rel] = release_file(root, rel, top, release, homeworks.get(top))
        elif top in release.stubbed and rel.endswith(".py") and reason == "solution only":
            text = (root / rel).read_text(encoding="utf-8")
            release.solution_lines.setdefault(top, []).extend(
                line.strip() for line in text.splitlines() if line.strip())
            release.solutions.extend(solution_only_code(top, rel, text))
        elif top in release.stubbed and reason == "hidden test":
            release.hidden_names |= hidden_test_names((root / rel).read_text(encoding="utf-8"), rel)
    check_handed_out(root, release, homeworks)
    if hw_name is not None:
        for rel in unused_modules(release.files, release.reference):
            del release.files[rel]
        for reference in release.reference:
            trim_reference_manifest(release, homeworks[reference])
    if "pyproject.toml" in release.files:
        release.files["pyproject.toml"] = OutFile(lint_settings_for_stubs(
            release.files["pyproject.toml"].data.decode("utf-8"), stub_files(release)).encode("utf-8"))
    release.files["README.md"] = OutFile(student_readme(root, homeworks, release).encode("utf-8"))
    return release


def check_handed_out(root: Path, release: Release, homeworks: dict[str, Homework]) -> None:
    """Raise CourseError for a stubbed homework that would ship no stub, that has files git does not
    track, or whose hidden tests break the rule (hidden file name if and only if hidden marker)."""
    for name in release.stubbed:
        untracked = untracked_files(root, name)
        if untracked:
            raise CourseError(f"{name} has files git does not track, which a release leaves out: "
                              f"{', '.join(untracked[:5])}; git add them (or delete them) first")
        if not release.stubs.get(name):
            raise CourseError(f"{name}: the release would hold no stub; mark each task's solution with "
                              "# BEGIN SOLUTION / # END SOLUTION inside its function (docs/homework-shape.md)")
        for rel in course_files(root):
            if rel.startswith(f"{name}/") and rel.endswith(".py") and "/tests/" in f"/{rel}":
                problem = hidden_rule_problem(rel[len(name) + 1:], (root / rel).read_text(encoding="utf-8"))
                if problem:
                    raise CourseError(f"{rel}: {problem}")


def hidden_rule_problem(rel: str, source: str) -> str | None:
    """Why the test file `rel` (relative to its homework) breaks the rule that a test is hidden exactly
    when its file is ``tests/test_hidden_*.py`` and its module marks it ``hidden``, or None."""
    tree = ast.parse(source)
    module_marks = [node for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets)]
    marked = any(_marks_hidden(node.value) for node in module_marks)
    elsewhere = any(_marks_hidden(node) for node in ast.walk(tree)) and not marked
    if Homework.is_hidden_test(rel) and not marked:
        return "a hidden test file must say so: pytestmark = [pytest.mark.hidden, ...] at module level"
    if not Homework.is_hidden_test(rel) and (marked or elsewhere):
        return "the hidden marker belongs only in tests/test_hidden_*.py (the release ships this file to students)"
    return None


def _marks_hidden(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Attribute) and sub.attr == "hidden" and isinstance(sub.value, ast.Attribute)
               and sub.value.attr == "mark" for sub in ast.walk(node))


def unused_modules(files: dict[str, OutFile], reference: list[str]) -> list[str]:
    """The modules of ``common/`` and of the reference homeworks (``reference``) that nothing else in
    `files` imports, directly or through other such modules, and that the Makefile does not run
    (``-m common.<name>``).

    A one-homework release leaves them out: shared code written for later homeworks (say, torch
    sampling with temperature and top-k) must not hand an earlier homework's task to its students, and
    of an earlier homework only the code this one builds on ships (hw4 gets hw3's edugrad, not its word2vec)."""
    def module_of(rel: str) -> str:
        return rel[:-len(".py")].replace("/", ".").removesuffix(".__init__")

    prunable = {module_of(rel): rel for rel in files if rel.endswith(".py")
                and (rel.startswith("common/") or rel.split("/")[0] in reference)}
    makefile = files["Makefile"].data.decode("utf-8") if "Makefile" in files else ""
    needed = {name for name in prunable if f"-m {name}\n" in makefile or f"-m {name} " in makefile}
    needed |= {name for name in prunable if name in ("common", *reference)}  # the packages themselves
    todo = [rel for rel in files if rel.endswith(".py") and module_of(rel) not in prunable] + \
           [prunable[name] for name in needed]
    while todo:
        rel = todo.pop()
        for name in imported_modules(files[rel].data, rel):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # a module needs its packages' __init__ too
                package = ".".join(parts[:depth])
                if package in prunable and package not in needed:
                    needed.add(package)
                    todo.append(prunable[package])
    return sorted(rel for name, rel in prunable.items() if name not in needed)


def trim_reference_manifest(release: Release, homework: Homework) -> None:
    """Drop from a reference homework's released manifest the editable files the release left out."""
    rel = f"{homework.name}/manifest.yaml"
    text = release.files[rel].data.decode("utf-8")
    for editable in homework.editable:
        if f"{homework.name}/{editable}" not in release.files:
            text, count = re.subn(rf"(?m)^[ \t]*-[ \t]*{re.escape(editable)}[ \t]*\n", "", text)
            if count != 1:
                raise CourseError(f"{rel}: list its editable files one per line ('  - {editable}') so that a "
                                  f"release can leave {editable} out")
    release.files[rel] = OutFile(text.encode("utf-8"))


def reference_banner(reference: str, stubbed: list[str]) -> str:
    """The note above a reference homework's handout: solved code, its tests and grading not in this release."""
    return (f"> **Reference code in this release.** `{reference}` ships solved, for {', '.join(stubbed)} to build on: "
            "only the modules that code imports. Its tests and its other modules are not included, so the test "
            "files, grading table, runs and `make` targets named in this handout do not apply here; nothing in this "
            "folder is graded.\n\n")


def student_readme(root: Path, homeworks: dict[str, Homework], release: Release) -> str:
    """The README of the student tree, from grading/student_readme.md."""
    first = homeworks[release.stubbed[0]] if release.stubbed else None
    rows = []
    for name in release.stubbed:
        hw = homeworks[name]
        rows.append(f"| `{name}/` | `{name}/README.md` | yours to write: `{'`, `'.join(hw.editable)}` | "
                    f"`make submit HW={name}` |")
    for name in release.reference:
        rows.append(f"| `{name}/` | `{name}/README.md` | reference code (solutions included, for the homeworks "
                    "that build on it); nothing to submit | - |")
    task = first.tasks[0][0] if first and first.tasks else "task_x"
    functions = [n.split(".")[-1] for n in release.stubs.get(first.name, [])] if first else []
    candidates = [f for f in functions if f not in ("forward", "backward", "step", "__init__")] or ["loss"]
    # `pytest -k <example>` in the README must select tests: prefer a function some public test is named after
    test_names = " ".join(node.name for rel, out in release.files.items()
                          if first and rel.startswith(f"{first.name}/tests/test_") and rel.endswith(".py")
                          for node in ast.walk(ast.parse(out.data)) if isinstance(node, ast.FunctionDef))
    example = next((f for f in candidates if f in test_names), candidates[0])
    template = string.Template((root / STUDENT_README).read_text(encoding="utf-8"))
    return template.substitute(
        homework_table="\n".join(rows),
        hw=first.name if first else "hw1_x",
        short=first.name.split("_")[0] if first else "hw1",
        task=task,
        editable=first.editable[0] if first else "file.py",
        example=example,
    )


def write_tree(files: dict[str, OutFile], out: Path, root: Path | None = None) -> None:
    """Write `files` under `out`, replacing a previous tree there (never the checkout itself)."""
    out = Path(out).resolve()
    if root is not None:
        root = Path(root).resolve()
        if out == root or root.is_relative_to(out):
            raise ValueError(f"refusing to write the release over the checkout {root}; pick --out dist/student")
    if (out / ".git").exists():
        raise ValueError(f"refusing to replace {out}: it holds a .git folder")
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, item in sorted(files.items()):
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.data)
        path.chmod(0o755 if item.executable else 0o644)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


def write_zip(files: dict[str, OutFile], zip_path: Path, prefix: str = "") -> None:
    """A reproducible zip of `files` (sorted, fixed dates and modes), entries under `prefix`/."""
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.tmp-{os.getpid()}")
    with zipfile.ZipFile(tmp, "w") as archive:
        for rel, item in sorted(files.items()):
            info = zipfile.ZipInfo(f"{prefix}/{rel}" if prefix else rel, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permission bits below are honoured
            info.external_attr = (0o100755 if item.executable else 0o100644) << 16
            archive.writestr(info, item.data, compresslevel=9)
    os.replace(tmp, zip_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", help="release this homework only (e.g. hw4_dan); default: the whole course")
    parser.add_argument("--out", help="release folder, a .zip is written beside it "
                                      "(default: dist/<hw>, or dist/student for the whole course)")
    parser.add_argument("--root", default=".", help="the course checkout (default: current folder)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    root = Path(args.root)
    try:
        release = build_release(root, args.hw)
    except (MarkerError, CourseError) as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    out = Path(args.out or (f"dist/{release.stubbed[0]}" if args.hw else "dist/student"))
    write_tree(release.files, out, root)
    zip_path = out.with_name(out.name + ".zip")
    write_zip(release.files, zip_path, prefix=out.name)
    stubs = sum(len(v) for v in release.stubs.values())
    reference = f"; reference code: {', '.join(release.reference)}" if release.reference else ""
    print(f"release: {len(release.files)} files, {stubs} stubs "
          f"({', '.join(f'{k}: {len(v)}' for k, v in sorted(release.stubs.items()))}){reference} -> {out}/ and "
          f"{zip_path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
