"""One course shape (docs/homework-shape.md): every homework's config in config.py with a meaning per
key, run.py read top to bottom, functions of bounded complexity, common/ holding only what is shared,
and the tooling's silent failures made loud."""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib
import shutil
import subprocess
import sys
import typing

import pytest

from common.config import describe_config
from common.homeworks import find_homeworks
from common.paths import REPO_ROOT
from grading.new_homework import render

HOMEWORKS = [hw.name for hw in find_homeworks(REPO_ROOT)]
EPOCH_LOOP = ("for epoch in", "while epoch")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_run_py_reads_top_to_bottom(hw):
    source = (REPO_ROOT / hw / "run.py").read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= 120, f"{hw}/run.py has {lines} lines; move loops and helpers into train.py / evaluate.py"
    assert not any(loop in source for loop in EPOCH_LOOP), f"{hw}/run.py holds an epoch loop; train.py's fit owns it"
    tree = ast.parse(source)
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    assert not classes, f"{hw}/run.py defines {classes}; config dataclasses live in config.py, the rest in modules"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_config_py_holds_every_config_dataclass_and_each_key_has_a_meaning(hw):
    config = importlib.import_module(f"{hw}.config")
    assert importlib.import_module(f"{hw}.run").Config is config.Config, f"{hw}/run.py must use config.Config"
    todo, seen = [config.Config], []
    while todo:
        schema = todo.pop()
        seen.append(schema)
        assert schema.__module__ == f"{hw}.config", f"{schema.__name__} is in {schema.__module__}, not config.py"
        todo += [kind for kind in typing.get_type_hints(schema).values() if dataclasses.is_dataclass(kind)]
    undocumented = [key for key, _, _, meaning in describe_config(config.Config) if not meaning]
    assert not undocumented, f"{hw}/config.py: give these keys a trailing comment (their meaning): {undocumented}"


def test_no_function_of_common_or_a_homework_is_more_complex_than_12():
    folders = ["common", *HOMEWORKS]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "C901", "--output-format", "concise",
                             *folders], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"split these functions (ruff C901, max 12):\n{result.stdout[-3000:]}"


def imports_of(path) -> set[str]:
    """The common modules a file imports (``common.data`` -> ``data``)."""
    return imports_in(path.read_text(encoding="utf-8"))


def imports_in(source: str) -> set[str]:
    """The common modules a Python source imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "common" else [])
        found |= {name.split(".")[1] for name in names if name.startswith("common.")}
    return found


def test_every_common_module_is_shared_by_two_homeworks_or_used_by_common():
    """...or run by the Makefile (``-m common.report``, the make run entry point). The homework that
    ``make new-homework`` writes (grading/homework_template/) counts as one homework."""
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    modules = sorted(path.stem for path in (REPO_ROOT / "common").glob("*.py") if path.stem != "__init__")
    users: dict[str, set[str]] = {name: set() for name in modules}
    for hw in HOMEWORKS:
        for path in (REPO_ROOT / hw).rglob("*.py"):
            for name in imports_of(path) & set(users):
                users[name].add(hw)
    for rel, source in render(10, "new").items():
        if rel.endswith(".py"):
            for name in imports_in(source) & set(users):
                users[name].add("make new-homework")
    used_by_common = {name for path in (REPO_ROOT / "common").glob("*.py")
                      for name in imports_of(path) if name != path.stem}
    lonely = {name: sorted(users[name]) for name in modules
              if len(users[name]) < 2 and name not in used_by_common and f"-m common.{name}" not in makefile}
    assert not lonely, f"common modules used by fewer than two homeworks (move them into the one using them): {lonely}"


def test_common_imports_nothing_from_grading():
    offenders = [path.name for path in (REPO_ROOT / "common").glob("*.py")
                 if "grading" in {name.split(".")[0] for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                                  for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else
                                               [node.module or ""] if isinstance(node, ast.ImportFrom) else [])}]
    assert not offenders, f"common/ must not import grading/: {offenders}"


def test_package_discovery_finds_any_homework_number(tmp_path):
    setuptools = pytest.importorskip("setuptools")
    for name in ("common", "grading", "hw1_vocab", "hw10_cnn", "notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    include = __import__("tomllib").loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    found = set(setuptools.find_packages(tmp_path, include=include))
    assert found == {"common", "grading", "hw1_vocab", "hw10_cnn"}, found


@pytest.fixture()
def makefile_copy(tmp_path):
    for name in ("Makefile", "requirements.txt"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def test_the_venv_is_reinstalled_only_when_requirements_change(makefile_copy):
    digest = hashlib.sha256((makefile_copy / "requirements.txt").read_bytes()).hexdigest()
    (makefile_copy / ".venv" / "bin").mkdir(parents=True)
    (makefile_copy / ".venv" / f".installed-{digest}").touch()
    (makefile_copy / "requirements.txt").touch()                      # a fresh clone: new time, same content
    assert subprocess.run(["make", "-q", "setup"], cwd=makefile_copy).returncode == 0, "nothing changed, no install"
    with open(makefile_copy / "requirements.txt", "a") as handle:
        handle.write("six==1.16.0\n")
    assert subprocess.run(["make", "-q", "setup"], cwd=makefile_copy).returncode != 0, "changed: install again"


def test_make_clean_removes_only_what_git_ignores(makefile_copy):
    recipe = subprocess.run(["make", "-n", "clean"], cwd=makefile_copy, capture_output=True, text=True).stdout
    removed = [word for line in recipe.splitlines() if line.startswith("rm -rf") for word in line.split()[2:]]
    assert removed, recipe
    tracked = [path for path in removed
               if subprocess.run(["git", "check-ignore", "-q", f"{path}/"], cwd=REPO_ROOT).returncode != 0]
    assert not tracked, f"make clean removes paths git does not ignore: {tracked}"
