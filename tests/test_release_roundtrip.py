"""Round trip of the real homeworks (every hwN_* with a manifest.yaml, found automatically), for the
whole-course release and for each homework's own release (``make release HW=...``).

The reference passing its tests is `make test` itself. Here, on the generated releases: every module
imports, every test is collected, every failing test fails with NotImplementedError (never an import
or collection error); no marker, no solution code (compared by normalised syntax tree, see
grading/leaks.py) and no hidden-test name leaks into any file; a homework's own release holds only it
and the homeworks it builds on, and imports nothing else; each grading template holds no solution and
every homework its code imports. The releases are built once per session and shared by all cases.
"""
import ast
import re
import time

import pytest

from grading.autograde import Limits, run_child
from grading.course import HW_PATTERN, find_homeworks, get_homework, imported_homeworks
from grading.leaks import Fingerprints, hidden_name_leaks
from grading.markers import BEGIN, marker_comments, module_name, todo_hint
from grading.points import collect
from grading.release import build_release, write_tree
from grading.template import build_template
from tests.hostile.helpers import REPO

HOMEWORKS = [hw.name for hw in find_homeworks(REPO)]
RELEASES = ["course", *HOMEWORKS]
LIMITS = Limits(test_timeout=60, collect_timeout=120, total_timeout=240)


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
def releases():
    """Every release of this checkout, in memory: "course" (all homeworks stubbed) and one per homework."""
    return {name: build_release(REPO, None if name == "course" else name) for name in RELEASES}


@pytest.fixture(scope="session")
def fingerprints():
    """Solution code of every homework, and every homework's reference sources (what it gives anyway)."""
    built = build_release(REPO)
    given = {hw: [(REPO / rel).read_text(encoding="utf-8") for rel in built.files if rel.startswith(hw + "/")
                  and rel.endswith(".py")] for hw in HOMEWORKS}
    return given


@pytest.mark.parametrize("name", RELEASES)
def test_no_marker_solution_code_or_hidden_test_name_leaks(releases, fingerprints, name):
    release = releases[name]
    for rel, item in release.files.items():
        if rel.endswith(".py") and not rel.startswith("grading/"):
            found = marker_comments(item.data.decode("utf-8"), rel)
            assert not found, f"{name} release: solution markers in {rel} (line, marker, alone): {found}"
    search = Fingerprints(release.solutions, fingerprints)
    leaks = [leak for rel, item in release.files.items() if rel.endswith(".py")
             for leak in search.search(rel, item.data.decode("utf-8"))]
    assert not leaks, f"{name} release gives solution code away:\n" + "\n".join(map(str, leaks[:10]))
    names = hidden_name_leaks(release.hidden_names, {rel: f.data for rel, f in release.files.items()})
    assert not names, f"{name} release names hidden tests: {names[:10]}"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_homework_release_holds_it_and_what_it_builds_on_and_imports_nothing_else(releases, hw):
    release = releases[hw]
    homework = get_homework(REPO, hw)
    folders = {rel.split("/")[0] for rel in release.files if HW_PATTERN.match(rel.split("/")[0])}
    assert folders == {hw, *release.reference}, f"{hw} release: expected {hw} + {release.reference}, got {folders}"
    assert set(homework.builds_on) <= set(release.reference)
    assert not [rel for rel in release.files if rel.startswith(tuple(f"{r}/tests/" for r in release.reference))], (
        f"{hw} release: the tests of reference homeworks must stay out")
    for rel, item in release.files.items():
        if not rel.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(item.data)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for module in modules:
                top = module.split(".")[0]
                assert not HW_PATTERN.match(top) or top in folders, (
                    f"{hw} release: {rel}:{node.lineno} imports {module}, which is not in the release; "
                    f"add it to builds_on in {hw}/manifest.yaml or stop importing it")
    readme = release.files["README.md"].data.decode()
    assert f"make submit HW={hw}" in readme and "BEGIN SOLUTION" not in readme, "the README must be the student's"
    example = re.search(r"pytest \S+ -k (\w+)", readme).group(1)
    test_names = [node.name for rel, item in release.files.items() if rel.startswith(f"{hw}/tests/test_")
                  for node in ast.walk(ast.parse(item.data)) if isinstance(node, ast.FunctionDef)]
    assert any(example in name for name in test_names), f"{hw} release: README's `pytest -k {example}` selects no test"
    course = releases["course"]
    differ = [rel for rel in release.files if rel.startswith(hw + "/") and release.files[rel] != course.files[rel]]
    assert not differ, f"{hw}: its own release and the course release differ in {differ}"


@pytest.fixture(scope="session")
def release_run(releases, tmp_path_factory):
    """The course release plus every homework's hidden tests, tested in one child pytest (one torch import)
    that also imports every module of every homework. Hypothesis does not shrink; tracebacks are
    one line."""
    built = releases["course"]
    hidden = {}
    for hw in HOMEWORKS:
        _, _, template = build_template(REPO, hw)
        hidden.update({rel: f for rel, f in template.files.items() if rel.startswith(hw + "/tests/test_hidden_")})
    checked = tmp_path_factory.mktemp("roundtrip") / "student-and-hidden-tests"
    write_tree({**built.files, **hidden}, checked, REPO)
    modules = tuple(module_name(rel) for rel in built.files if HW_PATTERN.match(rel.split("/")[0])
                    and rel.endswith(".py") and "/tests/" not in rel)
    return run_child(checked, HOMEWORKS, "run", LIMITS, time.monotonic() + LIMITS.total_timeout,
                     no_shrink=True, extra_args=("--tb=line",), import_modules=modules)


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_imports_collects_and_fails_with_not_implemented(releases, release_run, hw):
    built = releases["course"]
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
    one_line_stubs = any(b"...  # TODO" in f.data for rel, f in built.files.items()
                         if rel.startswith(hw + "/") and rel.endswith(".py"))
    if not one_line_stubs:
        wrong = {t: text[-600:] for t, text in failures.items() if "NotImplementedError" not in text}
        assert not wrong, f"{hw} release: tests fail for another reason than NotImplementedError: {wrong}"
    if built.stubs.get(hw):
        assert any("NotImplementedError" in text for text in failures.values()), (
            f"{hw} has stubs but no public test of the release fails with NotImplementedError")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_stub_names_its_task_marker(releases, hw):
    homework = get_homework(REPO, hw)
    text = "\n".join(f.data.decode() for rel, f in releases[hw].files.items()
                     if rel.startswith(hw + "/") and rel.endswith(".py"))
    unnamed = [line.strip() for line in text.splitlines() if "raise NotImplementedError(" in line
               and f'"{hw}: implement' in line]
    tasks = ", ".join(t for t, _ in homework.tasks)
    assert not unnamed, (f"{hw}: these stubs name no task; mention the function (or its file) in the description "
                         f"of its task in {hw}/manifest.yaml (tasks: {tasks}):\n" + "\n".join(unnamed[:5]))


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_grading_template_has_no_solution_and_every_homework_it_imports(tmp_path, releases, fingerprints, hw):
    _, deps, template = build_template(REPO, hw)
    search = Fingerprints([s for s in releases["course"].solutions if s.hw == hw], fingerprints)
    for rel, item in template.files.items():
        if rel.startswith(hw + "/") and rel.endswith(".py"):
            text = item.data.decode("utf-8")
            assert not marker_comments(text, rel), f"the {hw} grading template holds solution markers in {rel}"
            leaks = search.search(rel, text)
            assert not leaks, f"the {hw} grading template holds solution code: {[str(x) for x in leaks[:3]]}"
    write_tree(template.files, tmp_path / "course")
    known = [p.name for p in REPO.iterdir() if p.is_dir() and HW_PATTERN.match(p.name)]
    hw_object = get_homework(tmp_path / "course", hw)
    needed = imported_homeworks(tmp_path / "course", hw_object, known)
    missing = [n for n in needed if not (tmp_path / "course" / n).is_dir()]
    assert not missing, (f"the {hw} grading template lacks the homeworks its code imports: {missing}; "
                         f"declare them in builds_on of {hw}/manifest.yaml")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_stub_has_a_todo_hint_with_a_size_budget(releases, hw):
    budget = re.compile(r"\b(about|~)?\s*(\d+|one)\s+lines?\b", re.IGNORECASE)
    missing = []
    for rel, item in releases[hw].files.items():
        if rel.startswith(hw + "/") and rel.endswith(".py"):
            lines = item.data.decode().splitlines()
            for number, line in enumerate(lines):
                if line.strip().startswith("raise NotImplementedError(") and f'"{hw}' in line:
                    first = number
                    while first > 0 and lines[first - 1].strip().startswith("#"):
                        first -= 1
                    hint = "\n".join(lines[first:number])
                    if "# TODO" not in hint or not budget.search(hint):
                        missing.append(f"{rel}:{number + 1}")
    assert not missing, (f"{hw}: write a '# TODO (about N lines): hint' comment above each '# BEGIN SOLUTION' "
                         f"(N: the lines of your solution); missing at (release lines) {missing[:8]}")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_stub_error_gives_the_size_budget_of_its_todo_hint(releases, hw):
    differ = []
    for rel, item in releases[hw].files.items():
        if rel.startswith(hw + "/") and rel.endswith(".py"):
            lines = item.data.decode().splitlines()
            for number, line in enumerate(lines, start=1):
                stub = re.search(r'raise NotImplementedError\(".*\(about (\d+) lines?\)"\)', line)
                hint = todo_hint(lines, number) if stub else None
                if hint and hint[1] is not None and hint[1] != int(stub.group(1)):
                    differ.append(f"{rel}:{number}: TODO says {hint[1]}, the error {stub.group(1)}")
    assert not differ, f"{hw}: a stub's error and its TODO hint give different sizes: {differ[:5]}"


@pytest.mark.parametrize("hw", [hw for hw in HOMEWORKS if get_homework(REPO, hw).builds_on])
def test_reference_homeworks_keep_no_todo_hint_above_solved_code(releases, hw):
    for reference in releases[hw].reference:
        for rel, item in releases[hw].files.items():
            if rel.startswith(reference + "/") and rel.endswith(".py"):
                hints = [line.strip() for line in item.data.decode().splitlines() if line.strip().startswith("# TODO")]
                assert not hints, f"{hw} release: {rel} is solved reference code but keeps TODO hints: {hints[:3]}"
        handout = releases[hw].files[f"{reference}/README.md"].data.decode()
        assert handout.startswith("> **Reference code in this release.**"), (
            f"{hw} release: {reference}/README.md names tests the release leaves out; expected the reference note "
            f"first, got {handout[:80]!r}")


@pytest.fixture(scope="module")
def collected():
    """Every collected test of every homework (public and hidden): {"id", "points", "hidden", "tasks"}."""
    return collect(REPO, HOMEWORKS)


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_every_graded_test_has_exactly_one_task_marker(collected, hw):
    """`pytest -m task_x` then runs exactly the tests whose points count under task_x."""
    tasks = [t for t, _ in get_homework(REPO, hw).tasks]
    wrong = [f"{t['id']} ({', '.join(t['tasks']) or 'no task'})" for t in collected if t["id"].startswith(hw + "/")
             and (len(t["tasks"]) > 1 or (t["points"] > 0 and len(t["tasks"]) != 1)
                  or any(task not in tasks for task in t["tasks"]))]
    assert not wrong, (f"{hw}: give each graded test exactly one task marker of {hw}/manifest.yaml "
                       f"({', '.join(tasks)}): {wrong[:6]}")


STUB = re.compile(r"NotImplementedError: (hw\w+), ((?:task_\w+(?: and )?)+): implement ([\w.]+)")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_a_helper_stub_names_the_task_of_every_test_that_stops_at_it(release_run, collected, hw):
    """Run on the stubbed release: a test that stops at the stub of a helper (a function no task description
    names, e.g. hw2's sgns_score_gradients) sees its own task in the message (grading/owners.py)."""
    homework = get_homework(REPO, hw)
    task_of = {t["id"]: t["tasks"][0] for t in collected if t["tasks"]}
    wrong, seen = [], 0
    for test, phases in release_run.phases.items():
        if not test.startswith(hw + "/") or test not in task_of:
            continue
        for outcome, text in phases.values():
            stub = STUB.search(text) if outcome == "failed" else None
            dotted = stub.group(3).split(".") if stub else []
            module = next((i for i in range(len(dotted), 0, -1)
                           if (REPO / ("/".join(dotted[:i]) + ".py")).is_file()), len(dotted))
            if stub and not homework.described_tasks(".".join(dotted[module:])):
                seen += 1
                if task_of[test] not in stub.group(2).split(" and "):
                    wrong.append(f"{test} ({task_of[test]}) stops at {stub.group(3)}, whose stub names "
                                 f"{stub.group(2)}")
    assert not wrong, f"{hw}: stubs name the wrong tasks (see grading/owners.py):\n" + "\n".join(wrong[:6])
    if hw == "hw2_word2vec":
        assert seen, "expected hw2's test_score_gradients_by_hand to stop at the sgns_score_gradients stub"
