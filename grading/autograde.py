"""Grade one submission of one homework and write Gradescope's results.json.

``python -m grading.autograde --hw hw1_vocab --submission PATH --results results.json``

1. Build (or take, with ``--template``) the grading template and copy it into a fresh temp folder.
2. Trusted step: ``pytest --collect-only`` on that copy while it still holds the release stubs, so the
   list of expected tests, their points and visibility are known before any submitted code runs.
3. Lay the submission's editable files (manifest.yaml) over the copy; nothing else is taken from it.
4. Run pytest in a child process: own session, memory limit (RLIMIT_AS), per-test timeout
   (pytest-timeout, plus a watchdog here), whole-run timeout. Outcomes come back over a pipe as
   HMAC-signed lines; a test whose outcome never arrives scores 0. If the child dies mid-run, the
   tests it had not reached run again in a fresh child.
5. This (parent) process writes results.json.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from common.fileio import atomic_write_json
from grading.course import Homework, get_homework
from grading.release import write_tree
from grading.template import build_template

MAX_FILE_BYTES = 5 * 2**20


class GradingError(RuntimeError):
    """A fault of the course or of the grader (not of the submission)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of the child pytest process."""

    test_timeout: float = 60.0      # seconds per test (pytest-timeout; see grace)
    collect_timeout: float = 180.0  # seconds to import and collect before the first test starts
    total_timeout: float = 1200.0   # seconds for the whole run
    memory_mb: int = 4096           # address space of the child (RLIMIT_AS)
    grace: float = 10.0             # the watchdog kills a test after test_timeout + grace seconds


@dataclass(frozen=True)
class Expected:
    """A test the trusted collection found: pytest node id, points, Gradescope visibility."""

    id: str
    points: float
    visibility: str


@dataclass
class ChildRun:
    """What one child pytest process reported before it ended."""

    phases: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # id -> when -> (outcome, text)
    items: list[Expected] = field(default_factory=list)
    collect_errors: dict[str, str] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    finished: bool = False
    killed: str = ""
    returncode: int | None = None
    log_tail: str = ""

    def done(self, test_id: str) -> bool:
        return "teardown" in self.phases.get(test_id, {})

    @property
    def current(self) -> str | None:
        """The test that had started but not finished when the child ended."""
        return self.started[-1] if self.started and not self.done(self.started[-1]) else None


def _set_limits(memory_mb: int):
    def apply() -> None:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**30, 2**30))
    return apply


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADING_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    return env


def run_child(copy: Path, targets: list[str], mode: str, limits: Limits, deadline: float,
              only: list[str] | None = None, no_shrink: bool = False, extra_args: tuple[str, ...] = (),
              import_modules: tuple[str, ...] = ()) -> ChildRun:
    """Run pytest on `targets` inside `copy` and gather the signed events of the grading plugin.

    mode: "collect" (report the collected items) or "run"; only: node ids to run (default all);
    no_shrink: hypothesis reports the first failing example without shrinking it; extra_args: more
    pytest arguments; import_modules: modules the child imports after collection (import errors come
    back as collect errors named "import <module>").
    """
    run = ChildRun()
    key = os.urandom(32)
    control = Path(tempfile.mkdtemp(prefix="grading-control-"))
    read_fd, write_fd = os.pipe()
    config_path = control / f"{os.urandom(16).hex()}.json"
    config_path.write_text(json.dumps({"key": key.hex(), "fd": write_fd, "mode": mode, "only": only or [],
                                       "no_shrink": no_shrink, "import_modules": list(import_modules)}))
    env = _child_env()
    env["GRADING_CONFIG"] = str(config_path)
    command = [sys.executable, "-m", "pytest", *targets, "-p", "grading.plugin", "-p", "no:cacheprovider",
               "-q", "--color=no", "-o", f"timeout={limits.test_timeout:g}", *extra_args]
    if mode == "collect":
        command.append("--collect-only")
    log_path = control / "log.txt"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=copy, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, pass_fds=(write_fd,), start_new_session=True,
                                preexec_fn=_set_limits(limits.memory_mb))
    os.close(write_fd)
    buffer = b""
    phase_start = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([read_fd], [], [], 0.2)
            if ready:
                chunk = os.read(read_fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    event = _verify(line, key)
                    if event is not None and _absorb(run, event):
                        phase_start = time.monotonic()
            now = time.monotonic()
            limit = limits.test_timeout + limits.grace if run.current else limits.collect_timeout
            if now > deadline:
                run.killed = f"the whole run took longer than {limits.total_timeout:g} s"
            elif now - phase_start > limit:
                run.killed = (f"the test took longer than {limits.test_timeout:g} s and was killed"
                              if run.current else
                              f"importing and collecting the tests took longer than {limit:g} s")
            if run.killed:
                _kill(proc)
                break
    finally:
        os.close(read_fd)
        try:
            run.returncode = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(proc)
            run.returncode = proc.wait()
        _kill(proc)  # whatever the child left behind in its session
        run.log_tail = log_path.read_bytes()[-3000:].decode("utf-8", "replace")
        shutil.rmtree(control, ignore_errors=True)
    return run


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _verify(line: bytes, key: bytes) -> dict | None:
    sig, _, payload = line.partition(b" ")
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(sig, expected):
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _absorb(run: ChildRun, event: dict) -> bool:
    """Record one event; True if it starts or ends a test (resets the watchdog)."""
    kind = event.get("ev")
    if kind == "item":
        run.items.append(Expected(event["id"], float(event["points"]), event["visibility"]))
    elif kind == "collecterror":
        run.collect_errors[event["id"]] = event["text"]
    elif kind == "start":
        run.started.append(event["id"])
        return True
    elif kind == "report":
        run.phases.setdefault(event["id"], {})[event["when"]] = (event["outcome"], event["text"])
        return event["when"] == "teardown"
    elif kind == "finish":
        run.finished = True
    return False


def collect_expected(copy: Path, hw: str, limits: Limits) -> list[Expected]:
    """Trusted collection on a copy that still holds the release stubs (no submitted code)."""
    run = run_child(copy, [hw], "collect", limits, time.monotonic() + limits.total_timeout)
    if run.collect_errors or not run.finished or not run.items:
        details = "\n".join(run.collect_errors.values()) or run.log_tail
        raise GradingError(f"collecting the tests of {hw} on the release failed; fix the course:\n{details}")
    return run.items


@dataclass
class Outcome:
    passed: bool
    output: str


def _phase_outcome(phases: dict[str, tuple[str, str]]) -> Outcome:
    for when in ("setup", "call", "teardown"):
        outcome, text = phases.get(when, ("missing", ""))
        if outcome == "failed":
            return Outcome(False, f"{when} failed:\n{text}" if when != "call" else text)
        if outcome == "skipped":
            return Outcome(False, f"skipped (a skipped test earns no points):\n{text}")
        if outcome == "missing" and when == "call":
            return Outcome(False, "the test never ran its body")
    return Outcome(True, "")


def _collect_error_for(test_id: str, errors: dict[str, str]) -> str:
    path = test_id.split("::")[0]
    for where, text in errors.items():
        if path == where or path.startswith(where.rstrip("/") + "/") or where == "":
            return f"the test file could not be imported:\n{text}"
    if errors:
        return "collection failed:\n" + "\n".join(errors.values())
    return "the test was not run"


def run_tests(copy: Path, hw: str, expected: list[Expected], limits: Limits) -> dict[str, Outcome]:
    """Run every expected test; an outcome for each, 0-point outcomes for tests that never finished."""
    deadline = time.monotonic() + limits.total_timeout
    results: dict[str, Outcome] = {}
    queue: deque[tuple[str | None, list[str]]] = deque([(None, [e.id for e in expected])])
    while queue:
        target, ids = queue.popleft()
        ids = [i for i in ids if i not in results]
        if not ids:
            continue
        if time.monotonic() >= deadline:
            for i in ids:
                results[i] = Outcome(False, f"not run: the whole run took longer than {limits.total_timeout:g} s")
            continue
        run = run_child(copy, [target or hw], "run", limits, deadline, only=ids)
        for i in ids:
            if run.done(i):
                results[i] = _phase_outcome(run.phases[i])
        left = [i for i in ids if i not in results]
        if not left:
            continue
        if run.finished:
            for i in left:
                results[i] = Outcome(False, _collect_error_for(i, run.collect_errors))
            continue
        died = run.killed or f"the test process ended unexpectedly (exit code {run.returncode}: os._exit, " \
                             "a crash, or the memory limit)"
        if run.current:
            text = run.phases.get(run.current, {}).get("call", ("", ""))[1]
            results[run.current] = Outcome(False, f"{died} during this test.\n{text}".rstrip())
            queue.appendleft((target, [i for i in left if i != run.current]))
        elif run.started:
            queue.appendleft((target, left))
        elif target is None and not run.killed:
            # died while importing: isolate test files so one bad import costs only its own tests
            by_file: dict[str, list[str]] = {}
            for i in left:
                by_file.setdefault(i.split("::")[0], []).append(i)
            queue.extend(by_file.items())
        else:
            for i in left:
                results[i] = Outcome(False, f"{died} before this test started (while importing the "
                                            f"tests and the submitted code).\n{run.log_tail[-1500:]}")
    return results


def _submission_entries(path: Path) -> dict[str, callable]:
    """Regular files of a submission folder or zip: normalised relative path -> reader."""
    entries: dict[str, callable] = {}
    if path.is_file() and zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        for info in archive.infolist():
            name = PurePosixPath(info.filename.replace("\\", "/"))
            mode = info.external_attr >> 16
            if (info.is_dir() or stat.S_ISLNK(mode) or name.is_absolute() or ".." in name.parts
                    or name.parts[:1] == ("__MACOSX",) or info.file_size > MAX_FILE_BYTES):
                continue
            entries[str(name)] = (lambda i=info: archive.read(i))
        return entries
    if not path.is_dir():
        raise FileNotFoundError(f"submission {path} is neither a folder nor a zip file")
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in ("__MACOSX", "__pycache__", ".git")]
        for name in files:
            full = Path(folder, name)
            info = full.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
                entries[full.relative_to(path).as_posix()] = full.read_bytes
    zips = [p for p in entries if p.endswith(".zip") and "/" not in p]
    if len(zips) == 1 and len(entries) == 1:
        return _submission_entries(path / zips[0])
    return entries


def read_submission(path: Path, hw: Homework) -> tuple[dict[str, bytes], list[str]]:
    """The submission's editable files (by manifest path) and notes on what was found or missing.

    A file matches by its path inside the homework (``stats.py``, ``hw1_vocab/stats.py``,
    ``anything/hw1_vocab/stats.py``); failing that, by its base name when that is unambiguous.
    """
    entries = _submission_entries(Path(path))
    files: dict[str, bytes] = {}
    notes: list[str] = []
    for rel in hw.editable:
        by_path = [p for p in entries if p == rel or p.endswith("/" + rel)]
        base = rel.rsplit("/", 1)[-1]
        by_name = [p for p in entries if p.rsplit("/", 1)[-1] == base]
        candidates = by_path or (by_name if len(by_name) == 1 else [])
        if not candidates:
            reason = f"{len(by_name)} files are named {base}" if by_name else "not found"
            notes.append(f"{rel}: {reason} in the submission; the release stub was graded instead")
            continue
        chosen = min(candidates, key=lambda p: (len(p), p))
        files[rel] = entries[chosen]()
        notes.append(f"{rel}: taken from {chosen}")
    return files, notes


def grade(template: Path, hw_name: str, submission: Path, limits: Limits = Limits(),
          expected: list[Expected] | None = None) -> dict:
    """Grade `submission` against the grading template folder `template`; the results.json dict."""
    start = time.monotonic()
    hw = get_homework(template, hw_name)
    work = Path(tempfile.mkdtemp(prefix="grading-"))
    try:
        copy = work / os.urandom(8).hex()
        shutil.copytree(template, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        if expected is None:
            expected = collect_expected(copy, hw.name, limits)
        try:
            files, notes = read_submission(Path(submission), hw)
        except (OSError, zipfile.BadZipFile) as err:
            files, notes = {}, [f"could not read the submission: {err}"]
        for rel, data in files.items():
            (copy / hw.name / rel).write_bytes(data)
        outcomes = run_tests(copy, hw.name, expected, limits) if files else {
            e.id: Outcome(False, "no editable file was submitted") for e in expected}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tests = []
    for e in expected:
        outcome = outcomes[e.id]
        tests.append({"name": e.id, "score": e.points if outcome.passed else 0.0, "max_score": e.points,
                      "status": "passed" if outcome.passed else "failed", "output": outcome.output,
                      "visibility": e.visibility})
    # points of parametrised cases are fractions (grading/points.py): round the sums for display
    return {"score": round(sum(t["score"] for t in tests), 6),
            "max_score": round(sum(t["max_score"] for t in tests), 6),
            "execution_time": round(time.monotonic() - start, 2), "output": "\n".join(notes),
            "tests": tests}


def prepare_template(root: Path, hw_name: str, dest: Path) -> Path:
    """Write the grading template of `hw_name` from the course at `root` into `dest`."""
    _, _, template = build_template(root, hw_name)
    write_tree(template.files, dest, root)
    return dest


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument("--test-timeout", type=float, default=defaults.test_timeout, help="seconds per test")
    parser.add_argument("--collect-timeout", type=float, default=defaults.collect_timeout,
                        help="seconds to import and collect")
    parser.add_argument("--total-timeout", type=float, default=defaults.total_timeout,
                        help="seconds for the whole run")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, help="address-space limit")


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(args.test_timeout, args.collect_timeout, args.total_timeout, args.memory_mb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade one submission; write Gradescope's results.json.")
    parser.add_argument("--hw", required=True, help="homework folder, e.g. hw1_vocab")
    parser.add_argument("--submission", required=True, type=Path, help="folder or zip of the submission")
    parser.add_argument("--results", required=True, type=Path, help="where to write results.json")
    parser.add_argument("--root", type=Path, default=Path("."), help="the course checkout")
    parser.add_argument("--template", type=Path, help="a prebuilt grading template (the Gradescope zip's)")
    add_limit_arguments(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grading-template-") as tmp:
        template = args.template or prepare_template(args.root, args.hw, Path(tmp) / "course")
        try:
            results = grade(template, args.hw, args.submission, limits_from(args))
        except GradingError as err:
            atomic_write_json(args.results, {"score": 0, "output": f"autograder error (not your fault): {err}",
                                             "tests": []})
            print(err, file=sys.stderr)
            return 2
    atomic_write_json(args.results, results)
    print(f"{args.hw}: {results['score']:g} / {results['max_score']:g} points "
          f"({sum(t['status'] == 'passed' for t in results['tests'])}/{len(results['tests'])} tests) "
          f"in {results['execution_time']:.1f} s -> {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
