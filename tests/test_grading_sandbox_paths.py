"""The sandbox runs wherever the course and its Python live: a clone of the course under /tmp whose
``.venv`` is a symbolic link to a virtual environment under /tmp too (the sandbox replaces /tmp by a
private one of its own, and runs a linked venv from where it really is), graded with each sandbox tool
this machine has. The grade must say it ran in that sandbox, not fall back to none.

The environment holds only what grading the fake course needs (pytest and its dependencies,
pytest-timeout, PyYAML), linked (or copied) from this interpreter's own packages.
"""
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from grading.sandbox import SandboxError, choose
from tests.hostile.helpers import make_fake_course

GRADER_PACKAGES = ("pytest", "pytest-timeout", "PyYAML")


def _closure(names: tuple[str, ...]) -> list[importlib.metadata.Distribution]:
    """The distributions `names` need, dependencies included (markers evaluated here)."""
    found, todo = {}, list(names)
    while todo:
        dist = importlib.metadata.distribution(todo.pop())
        if dist.metadata["Name"].lower() not in found:
            found[dist.metadata["Name"].lower()] = dist
            for line in dist.requires or []:
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name)
    return list(found.values())


def make_venv(folder: Path) -> Path:
    """A virtual environment in `folder` with the grader's packages; its python."""
    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / "bin" / "python"
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    for dist in _closure(GRADER_PACKAGES):
        for entry in dist.files or []:
            source = Path(dist.locate_file(entry))
            if entry.parts[0] == ".." or "__pycache__" in entry.parts or not source.is_file():
                continue
            target = site / entry
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:  # another file system
                shutil.copy2(source, target)
    return python


@pytest.fixture(scope="module")
def under_tmp():
    """A clone of the fake course at /tmp/<x>/clone, its venv at /tmp/<x>/venv and ``clone/.venv`` a link to
    it: /tmp itself, not $TMPDIR, since /tmp is what the sandbox replaces."""
    folder = Path(tempfile.mkdtemp(prefix="grading-clone-", dir="/tmp"))
    try:
        source = make_fake_course(folder / "source")
        git = ["git", "-c", "user.name=course", "-c", "user.email=course@example.invalid"]
        subprocess.run([*git, "init", "-q"], cwd=source, check=True)
        subprocess.run([*git, "add", "."], cwd=source, check=True)
        subprocess.run([*git, "commit", "-q", "-m", "fake course"], cwd=source, check=True)
        subprocess.run(["git", "clone", "-q", str(source), str(folder / "clone")], check=True)
        make_venv(folder / "venv")
        (folder / "clone" / ".venv").symlink_to(folder / "venv")
        (folder / "submission").mkdir()
        shutil.copy(source / "hw1_fake" / "calc.py", folder / "submission" / "calc.py")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("tool", ["unshare", "bwrap"])
def test_a_clone_and_venv_under_tmp_are_graded_in_the_sandbox(under_tmp, tool):
    try:
        choose(tool)
    except SandboxError as error:
        pytest.skip(f"sandbox {tool} cannot run on this machine: {error}")
    results = under_tmp / f"results-{tool}.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADING_SANDBOX", "VIRTUAL_ENV")}
    python = under_tmp / "clone" / ".venv" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "grading.autograde", "--hw", "hw1_fake", "--submission",
                           str(under_tmp / "submission"), "--results", str(results), "--sandbox", tool],
                          cwd=under_tmp / "clone", env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    graded = json.loads(results.read_text())
    first_line = graded["output"].splitlines()[0]
    name = {"unshare": "util-linux unshare", "bwrap": "bubblewrap"}[tool]
    assert first_line.startswith(f"sandbox: {name}"), f"expected the {tool} sandbox, got: {first_line}"
    assert graded["score"] == 10, [t["output"][-300:] for t in graded["tests"] if not t["score"]]
