"""The student release: every file of the course with the solutions stripped.

``python -m grading.release --out dist/student`` writes ``dist/student/`` and ``dist/student.zip``.
Left out: hidden tests (``hwN_*/tests/test_hidden_*.py``), each homework's ``solution_only`` files,
instructor-only files (INSTRUCTOR_ONLY) and anything git ignores. The zip is byte-for-byte
reproducible: sorted entries, fixed timestamps and permissions.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grading.course import Homework, course_files, find_homeworks
from grading.markers import MarkerError, module_name, strip_solutions

# Instructor-only paths (fnmatch patterns on repo-relative paths). grading/ itself ships: it holds no
# solution, keeps the Makefile and pyproject valid, and lets students grade their public tests
# locally. Its own tests need the reference solutions, so they stay behind, and so does its README (the
# instructors' notes on what the grader defends against).
INSTRUCTOR_ONLY = ("notes/*", "tests/hostile/*", "tests/test_release*.py", "tests/test_autograde*.py",
                   "grading/README.md")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class OutFile:
    """One file of a generated tree: its bytes and whether it is executable."""

    data: bytes
    executable: bool = False


@dataclass
class Release:
    """A generated tree: files by repo-relative path, plus what was stripped per homework."""

    files: dict[str, OutFile] = field(default_factory=dict)
    solution_lines: dict[str, list[str]] = field(default_factory=dict)
    stubs: dict[str, list[str]] = field(default_factory=dict)


def homework_of(rel: str, homeworks: dict[str, Homework]) -> tuple[Homework | None, str]:
    """(homework, path inside it) for a repo-relative path; (None, rel) outside homeworks."""
    top, _, rest = rel.partition("/")
    return homeworks.get(top), rest


def release_file(root: Path, rel: str, hw_name: str, release: Release) -> OutFile:
    """Read one file; strip solution markers from Python sources; record what was stripped."""
    path = root / rel
    data = path.read_bytes()
    executable = os.access(path, os.X_OK)
    if rel.endswith(".py"):
        stripped = strip_solutions(data.decode("utf-8"), rel, module_name(rel), hw_name)
        if stripped.stubs:
            release.solution_lines.setdefault(hw_name, []).extend(stripped.solution_lines)
            release.stubs.setdefault(hw_name, []).extend(stripped.stubs)
            data = stripped.text.encode("utf-8")
    return OutFile(data, executable)


def excluded(rel: str, homeworks: dict[str, Homework]) -> str | None:
    """Why `rel` stays out of the student release, or None if it ships."""
    if any(fnmatch.fnmatchcase(rel, pattern) for pattern in INSTRUCTOR_ONLY):
        return "instructor only"
    hw, inner = homework_of(rel, homeworks)
    if hw is not None and hw.is_hidden_test(inner):
        return "hidden test"
    if hw is not None and hw.is_solution_only(inner):
        return "solution only"
    return None


def build_release(root: Path) -> Release:
    """The student release of the course at `root`, in memory. Raises MarkerError on bad markers."""
    root = Path(root)
    homeworks = {hw.name: hw for hw in find_homeworks(root)}
    release = Release()
    for rel in course_files(root):
        if excluded(rel, homeworks) is None:
            top = rel.split("/")[0]
            release.files[rel] = release_file(root, rel, top, release)
        elif rel.endswith(".py") and excluded(rel, homeworks) == "solution only":
            # solution-only files are solutions too: none of their lines may appear in the release
            text = (root / rel).read_text(encoding="utf-8")
            release.solution_lines.setdefault(rel.split("/")[0], []).extend(
                line.strip() for line in text.splitlines() if line.strip())
    return release


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
    parser.add_argument("--out", default="dist/student", help="release folder; a .zip is written beside it")
    parser.add_argument("--root", default=".", help="the course checkout (default: current folder)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    root = Path(args.root)
    try:
        release = build_release(root)
    except MarkerError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    out = Path(args.out)
    write_tree(release.files, out, root)
    zip_path = out.with_name(out.name + ".zip")
    write_zip(release.files, zip_path, prefix=out.name)
    stubs = sum(len(v) for v in release.stubs.values())
    print(f"release: {len(release.files)} files, {stubs} stubs "
          f"({', '.join(f'{k}: {len(v)}' for k, v in sorted(release.stubs.items()))}) -> {out}/ and "
          f"{zip_path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
