"""Round trip of the real homeworks (every hwN_* with a manifest.yaml, found automatically).

The reference passing its tests is `make test` itself. Here, on the generated release: every module
imports, every test is collected, every failing test fails with NotImplementedError (never an import
or collection error), no marker and no solution line leaks; hidden tests collect
against the stubs; each grading template holds no solution and every homework its code imports.
"""
import time

import pytest

from grading.autograde import Limits, run_child
from grading.course import HW_PATTERN, find_homeworks, get_homework, imported_homeworks
from grading.markers import BEGIN, marker_comments
from grading.release import build_release, write_tree
from grading.template import build_template
from tests.hostile.helpers import REPO

HOMEWORKS = [hw.name for hw in find_homeworks(REPO)]
LIMITS = Limits(test_timeout=60, collect_timeout=120, total_timeout=240)
MIN_LEAK_LENGTH = 16  # shorter solution lines ("return x") may legitimately appear elsewhere


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_editable_python_file_holds_a_solution_block(hw):
    homework = get_homework(REPO, hw)
    for name in homework.editable:
        path = REPO / hw / name
        if path.suffix == ".py":
            assert BEGIN in path.read_text(encoding="utf-8"), (
                f"{hw}/{name} is editable but holds no solution block; expected at least one '{BEGIN}'"
            )


@pytest.fixture(scope="session")
def release(tmp_path_factory):
    """The student release of this checkout, built once into a temp folder: (folder, Release)."""
    built = build_release(REPO)
    out = tmp_path_factory.mktemp("roundtrip") / "student"
    write_tree(built.files, out, REPO)
    return out, built


@pytest.fixture(scope="session")
def release_run(release, tmp_path_factory):
    """The release plus every homework's hidden tests, tested in one child pytest (one torch import)
    that also imports every module of every homework. Hypothesis does not shrink; tracebacks are
    one line."""
    out, built = release
    hidden = {}
    for hw in HOMEWORKS:
        _, _, template = build_template(REPO, hw)
        hidden.update({rel: f for rel, f in template.files.items() if rel.startswith(hw + "/tests/test_hidden_")})
    checked = tmp_path_factory.mktemp("roundtrip") / "student-and-hidden-tests"
    write_tree({**built.files, **hidden}, checked, REPO)
    modules = tuple(m for hw in HOMEWORKS for m in _modules(out, hw))
    return run_child(checked, HOMEWORKS, "run", LIMITS, time.monotonic() + LIMITS.total_timeout,
                     no_shrink=True, extra_args=("--tb=line",), import_modules=modules)


def test_no_marker_or_solution_line_leaks(release):
    out, built = release
    for rel in built.files:
        if rel.endswith(".py") and not rel.startswith("grading/"):
            found = marker_comments((out / rel).read_text(encoding="utf-8"), rel)
            assert not found, f"solution markers leaked into {rel} (line, marker, alone): {found}"
    for hw, lines in built.solution_lines.items():
        release_text = "\n".join((out / rel).read_text(encoding="utf-8", errors="ignore")
                                 for rel in built.files if rel.startswith(hw + "/"))
        scaffold = "\n".join(line.strip() for line in release_text.splitlines())
        leaked = [line for line in lines if len(line) >= MIN_LEAK_LENGTH and line in scaffold.splitlines()
                  and not _in_reference_scaffold(hw, line, built)]
        where = {line: sorted(rel for rel in built.files if rel.startswith(hw + "/")
                              and line in (out / rel).read_text(encoding="utf-8", errors="ignore"))
                 for line in leaked[:5]}
        assert not leaked, f"solution lines of {hw} appear in the release (line: files): {where}"


def _in_reference_scaffold(hw: str, line: str, built) -> bool:
    """A solution line that also stands outside the markers in the reference is not a leak."""
    for rel in built.files:
        if rel.startswith(hw + "/") and rel.endswith(".py"):
            original = (REPO / rel).read_text(encoding="utf-8")
            inside = False
            for raw in original.splitlines():
                stripped = raw.strip()
                inside = (inside or stripped == "# BEGIN SOLUTION") and stripped != "# END SOLUTION"
                if not inside and stripped == line:
                    return True
    return False


def _modules(out, hw: str) -> list[str]:
    return sorted(str(p.relative_to(out).with_suffix("")).replace("/", ".").removesuffix(".__init__")
                  for p in (out / hw).rglob("*.py") if "tests" not in p.relative_to(out / hw).parts)


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_imports_collects_and_fails_with_not_implemented(release, release_run, hw):
    out, built = release
    run = release_run
    errors = {k: v for k, v in run.collect_errors.items()
              if k.startswith((hw + "/", hw + "::", f"import {hw}.")) or k == f"import {hw}"}
    assert not errors, f"{hw} release: import or collection errors:\n" + "\n".join(
        f"{k}: {v}" for k, v in errors.items())
    assert run.finished, f"{hw} release: pytest did not finish ({run.killed}):\n{run.log_tail}"
    phases_of_hw = {t: p for t, p in run.phases.items() if t.startswith(hw + "/")}
    assert phases_of_hw, f"{hw} release: no test ran"
    failures = {}
    for test, phases in phases_of_hw.items():
        for outcome, text in phases.values():
            if outcome == "failed":
                failures[test] = text
                break
    one_line_stubs = any("...  # TODO" in (out / rel).read_text(encoding="utf-8")
                         for rel in built.files if rel.startswith(hw + "/") and rel.endswith(".py"))
    if not one_line_stubs:
        wrong = {t: text[-600:] for t, text in failures.items() if "NotImplementedError" not in text}
        assert not wrong, f"{hw} release: tests fail for another reason than NotImplementedError: {wrong}"
    if built.stubs.get(hw):
        assert any("NotImplementedError" in text for text in failures.values()), (
            f"{hw} has stubs but no public test of the release fails with NotImplementedError")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_grading_template_has_no_solution_and_every_homework_it_imports(tmp_path, release, hw):
    _, built = release
    _, deps, template = build_template(REPO, hw)
    for rel, item in template.files.items():
        if rel.startswith(hw + "/") and rel.endswith(".py"):
            text = item.data.decode("utf-8")
            assert not marker_comments(text, rel), f"the {hw} grading template holds solution markers in {rel}"
            lines = {line.strip() for line in text.splitlines()}
            leaked = [s for s in built.solution_lines.get(hw, []) if len(s) >= MIN_LEAK_LENGTH and s in lines
                      and not _in_reference_scaffold(hw, s, built)]
            assert not leaked, f"the {hw} grading template holds solution lines in {rel}: {leaked[:3]}"
    write_tree(template.files, tmp_path / "course")
    known = [p.name for p in REPO.iterdir() if p.is_dir() and HW_PATTERN.match(p.name)]
    hw_object = get_homework(tmp_path / "course", hw)
    needed = imported_homeworks(tmp_path / "course", hw_object, known)
    missing = [n for n in needed if not (tmp_path / "course" / n).is_dir()]
    assert not missing, f"the {hw} grading template lacks the homeworks its code imports: {missing}"
