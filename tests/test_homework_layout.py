"""Checks across homeworks: every homework has the shape DESIGN.md gives it, its configs load, its
solution markers pair up, and it imports nothing from a later homework nor from an earlier one it
does not declare in ``builds_on``. The homeworks are the ones grading/course.py finds."""
from __future__ import annotations

import ast
import importlib
import re

import pytest
import yaml

from common.config import load_config
from common.paths import REPO_ROOT
from grading.course import HW_PATTERN, find_homeworks, get_homework

HOMEWORKS = [hw.name for hw in find_homeworks(REPO_ROOT)]
REQUIRED_FILES = ("__init__.py", "README.md", "config.yaml", "config.quick.yaml", "run.py", "manifest.yaml", "tests")


def homework_number(name: str) -> int:
    return get_homework(REPO_ROOT, name).number


def test_at_least_one_homework_is_registered():
    assert HOMEWORKS, f"expected homework folders hwN_name/ with a manifest.yaml under {REPO_ROOT}, found none"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_homework_has_required_files(hw):
    missing = [name for name in REQUIRED_FILES if not (REPO_ROOT / hw / name).exists()]
    assert not missing, f"{hw}: expected {REQUIRED_FILES} but {missing} are missing"


@pytest.mark.parametrize("hw", HOMEWORKS)
@pytest.mark.parametrize("config_file", ["config.yaml", "config.quick.yaml"])
def test_configs_load_against_the_schema(hw, config_file):
    module = importlib.import_module(f"{hw}.run")
    assert hasattr(module, "Config") and hasattr(module, "main"), f"{hw}/run.py must define Config and main"
    config = load_config(module.Config, REPO_ROOT / hw / config_file)
    assert isinstance(config.seed, int), f"{hw}/{config_file}: expected an int seed, got {config.seed!r}"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_manifest_lists_existing_files(hw):
    manifest = yaml.safe_load((REPO_ROOT / hw / "manifest.yaml").read_text(encoding="utf-8"))
    editable = manifest.get("editable") or []
    assert editable, f"{hw}/manifest.yaml: expected a non-empty 'editable' list"
    missing = [name for name in editable if not (REPO_ROOT / hw / name).is_file()]
    assert not missing, f"{hw}/manifest.yaml lists {missing}, which do not exist"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_imports_nothing_from_a_later_homework_nor_an_undeclared_one(hw):
    number = homework_number(hw)
    declared = set(get_homework(REPO_ROOT, hw).builds_on)
    for path in sorted((REPO_ROOT / hw).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                match = re.match(r"hw(\d+)_", name)
                assert not (match and int(match.group(1)) > number), (
                    f"{path.relative_to(REPO_ROOT)}:{node.lineno} imports {name}; "
                    "a homework may only use common/ and earlier homeworks"
                )
                top = name.split(".")[0]
                instructor_only = get_homework(REPO_ROOT, hw).is_solution_only(str(path.relative_to(REPO_ROOT / hw)))
                assert not (HW_PATTERN.match(top) and top != hw and top not in declared and not instructor_only), (
                    f"{path.relative_to(REPO_ROOT)}:{node.lineno} imports {name}; declare "
                    f"'builds_on: [{top}]' in {hw}/manifest.yaml (its release then ships {top} as reference code)"
                )


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_handout_names_the_make_targets(hw):
    handout = (REPO_ROOT / hw / "README.md").read_text(encoding="utf-8")
    short = f"hw{homework_number(hw)}"
    for target in (f"make test-{short}", f"make run-{short}"):
        assert target in handout, f"{hw}/README.md: expected the handout to mention '{target}'"
