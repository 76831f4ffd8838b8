"""common/reference.py: every homework's reference figures are well formed, and the README's quick table is them."""
from __future__ import annotations

import re

import pytest

from common.homeworks import find_homeworks
from common.paths import REPO_ROOT
from common.reference import Reference, load_references, readme_table

HOMEWORKS = [hw.name for hw in find_homeworks(REPO_ROOT)]


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_homework_declares_quick_reference_figures_with_reasons(hw):
    quick = load_references(REPO_ROOT / hw, "quick")
    assert quick, f"{hw}/reference.yaml declares no quick figures"
    for reference in quick + load_references(REPO_ROOT / hw, "full"):
        assert len(reference.why) > 15 and reference.look_at, f"{hw} {reference.key}: say why the tolerance is so"


def test_the_readmes_quick_table_is_the_reference_files():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"\| homework \| dataset \| metric \| value \|\n\|---\|---\|---\|---\|\n(?:\|.*\|\n)+", text)
    assert match, "README.md has no quick table (| homework | dataset | metric | value |)"
    expected = readme_table()
    assert match.group(0).strip() == expected, (
        "README.md's quick table differs from the reference.yaml files; paste the output of "
        f"`python -m common.reference readme`:\n{expected}")


def test_bad_reference_files_name_the_fix(tmp_path):
    path = tmp_path / "reference.yaml"
    with pytest.raises(FileNotFoundError, match="declares its reference figures there"):
        load_references(tmp_path, "quick")
    path.write_text("quick:\n  - {key: a, dataset: d, metric: m, value: 1}\n")
    with pytest.raises(ValueError, match="must have exactly the keys"):
        load_references(tmp_path, "quick")
    path.write_text("quick:\n  - {key: a, dataset: d, metric: m, value: 1, tolerance: -1, why: w, look_at: x}\n")
    with pytest.raises(ValueError, match="a tolerance >= 0 with the reason"):
        load_references(tmp_path, "quick")
    path.write_text("quik: []\n")
    with pytest.raises(ValueError, match="sections quick and full"):
        load_references(tmp_path, "quick")


def test_within_is_inclusive_and_outside_says_where_to_look():
    reference = Reference("k", "d", "m", value=0.8, tolerance=0.01, why="seeds", look_at="task_x")
    assert reference.check(0.81) == reference.check(0.79) == "within"
    assert reference.check(0.8101) == "outside: look at task_x"
