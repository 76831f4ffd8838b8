"""Grade one submission of one homework and write Gradescope's results.json.

``python -m grading.autograde --hw hw1_vocab --submission PATH --results results.json``

1. Build (or take, with ``--template``) the grading template and hold it in memory; every grading
   copy is written from it into a fresh temp folder.
2. Trusted step: ``pytest --collect-only`` on a copy that holds the release stubs, so the list of
   expected tests, their points and visibility are known before any submitted code runs.
3. Lay the submission's editable files (manifest.yaml) over a copy that holds no hidden test file;
   nothing else is taken from the submission.
4. Run pytest in a child process, in a sandbox (grading/sandbox.py: new PID, mount and network
   namespaces, the copy read-only, its own temp folder) where a tool for it exists; own session, memory
   limit (RLIMIT_AS), per-test timeout (pytest-timeout, plus a watchdog here), whole-run timeout.
   Outcomes come back over a pipe as HMAC-signed lines; a test whose outcome never arrives scores 0.
   If the child dies or is interrupted mid-run, the tests it had not reached run again in a fresh child.
5. The hidden tests run the same way, afterwards, in a fresh copy of their own.
6. Everything the child started is gone (its PID namespace ended, or, without a sandbox, every
   descendant was killed); then this (parent) process writes results.json.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from common.fileio import atomic_write_json
from common.resources import DatasetNotFoundError, find_dataset
from grading.course import HW_PATTERN, Homework, get_homework
from grading.failures import COLLECTION_FAILED, DIED_IMPORTING, IMPORT_FAILED, NOTHING_SUBMITTED
from grading.release import write_tree
from grading.sandbox import (
    CHOICES,
    Layout,
    Sandbox,
    SandboxError,
    become_subreaper,
    choose,
    kill_descendants,
    live_children,
)
from grading.summary import homework_tasks, summary, tag_tests, tasks_by_test
from grading.template import build_template

MAX_FILE_BYTES = 5 * 2**20
HYPOTHESIS_IMPORT = re.compile(rb"^\s*(import|from)\s+hypothesis\b", re.MULTILINE)
LOG_TAIL_BYTES = 3000


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
    timeout: float | None = None  # the test's own limit (``@pytest.mark.timeout(s)``) over Limits.test_timeout


@dataclass
class ChildRun:
    """What one child pytest process reported before it ended."""

    phases: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # id -> when -> (outcome, text)
    items: list[Expected] = field(default_factory=list)
    collect_errors: dict[str, str] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    finished: bool = False
    interrupted: str = ""  # KeyboardInterrupt or pytest.exit ended the session: what was raised
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
              import_modules: tuple[str, ...] = (), sandbox: Sandbox | None = None,
              data: dict[str, Path] | None = None, timeouts: dict[str, float] | None = None) -> ChildRun:
    """Run pytest on `targets` inside `copy` and gather the signed events of the grading plugin.

    mode: "collect" (report the collected items) or "run"; only: node ids to run (default all);
    no_shrink: hypothesis reports the first failing example without shrinking it; extra_args: more
    pytest arguments; import_modules: modules the child imports after collection (import errors come
    back as collect errors named "import <module>"); sandbox: where the child runs (default
    :func:`grading.sandbox.choose`); data: datasets the child may read (name -> folder); timeouts: the
    tests whose own timeout marker (from the trusted collection) replaces ``limits.test_timeout``.
    When this returns, nothing the child started is running any more.
    """
    sandbox = sandbox or choose()
    run = ChildRun()
    key = os.urandom(32)
    control = Path(tempfile.mkdtemp(prefix="grading-control-"))
    layout = Layout(Path(copy), control / "tmp", dict(data or {}))
    layout.tmp.mkdir()
    tmp_inside = sandbox.tmp_path(layout)
    read_fd, write_fd = os.pipe()
    config_name = f"{os.urandom(16).hex()}.json"
    (layout.tmp / config_name).write_text(json.dumps({
        "key": key.hex(), "fd": write_fd, "mode": mode, "only": only or [], "no_shrink": no_shrink,
        "import_modules": list(import_modules)}))
    env = {**_child_env(), **sandbox.env(layout), "GRADING_CONFIG": f"{tmp_inside}/{config_name}"}
    argv = [sys.executable, "-m", "pytest", *targets, "-p", "grading.plugin", "-p", "no:cacheprovider",
            "-q", "--color=no", "-o", f"timeout={limits.test_timeout:g}", f"--basetemp={tmp_inside}/pytest",
            *extra_args]
    if mode == "collect":
        argv.append("--collect-only")
    if not no_shrink and not _imports_hypothesis(Path(copy)):
        argv += ["-p", "no:hypothesispytest"]  # the plugin imports hypothesis: about 1 s per child
    command, cwd = sandbox.command(argv, layout)
    spare = set()
    if not sandbox.isolated:
        become_subreaper()
        spare = live_children()
    log_path = control / "log.txt"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
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
            elif proc.poll() is not None:
                break  # the child is gone; what still holds the pipe is something it left behind
            now = time.monotonic()
            test_limit = (timeouts or {}).get(run.current, limits.test_timeout)
            limit = test_limit + limits.grace if run.current else limits.collect_timeout
            if now > deadline:
                run.killed = f"the whole run took longer than {limits.total_timeout:g} s"
            elif now - phase_start > limit:
                run.killed = (f"the test took longer than {test_limit:g} s and was killed"
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
        if not sandbox.isolated:
            kill_descendants(spare)
        run.log_tail = _tail(log_path, LOG_TAIL_BYTES)
        shutil.rmtree(control, ignore_errors=True)
    return run


def _imports_hypothesis(copy: Path) -> bool:
    """Does a module of the copy (outside grading/) import hypothesis?"""
    return any(HYPOTHESIS_IMPORT.search(path.read_bytes()) for path in copy.rglob("*.py")
               if path.relative_to(copy).parts[0] != "grading")


def _tail(path: Path, size: int) -> str:
    """The last `size` bytes of a file, read by seeking (the file may be as large as RLIMIT_FSIZE)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - size))
        return handle.read().decode("utf-8", "replace")


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
    """Record one event; True if it starts or ends a test (resets the watchdog).

    Rejected: any event after ``finish``, a second ``item`` or ``start`` of one test, a report of a
    test that has not started. A second report of the same phase of a test fails that phase.
    """
    kind = event.get("ev")
    if run.finished:
        return False
    if kind == "item" and event["id"] not in {item.id for item in run.items}:
        timeout = event.get("timeout")
        run.items.append(Expected(event["id"], float(event["points"]), event["visibility"],
                                  float(timeout) if timeout else None))
    elif kind == "collecterror":
        run.collect_errors[event["id"]] = event["text"]
    elif kind == "start" and event["id"] not in run.started:
        run.started.append(event["id"])
        return True
    elif kind == "report" and event["id"] in run.started:
        phases = run.phases.setdefault(event["id"], {})
        if event["when"] in phases:
            phases[event["when"]] = ("failed", f"the {event['when']} phase of this test was reported twice; "
                                               "both reports are rejected (the test process was tampered with)")
        else:
            phases[event["when"]] = (event["outcome"], event["text"])
        return event["when"] == "teardown"
    elif kind == "interrupted":
        run.interrupted = event["text"] or "interrupted"
    elif kind == "finish":
        run.finished = True
    return False


def collect_expected(copy: Path, hw: str, limits: Limits, sandbox: Sandbox | None = None,
                     data: dict[str, Path] | None = None) -> list[Expected]:
    """Trusted collection on a copy that still holds the release stubs (no submitted code)."""
    run = run_child(copy, [hw], "collect", limits, time.monotonic() + limits.total_timeout, sandbox=sandbox,
                    data=data)
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


def _collect_error_for(test_id: str, errors: dict[str, str], returncode: int | None = None) -> str:
    path = test_id.split("::")[0]
    for where, text in errors.items():
        if path == where or path.startswith(where.rstrip("/") + "/") or where == "":
            return f"{IMPORT_FAILED}:\n{text}"
    if errors:
        return f"{COLLECTION_FAILED}:\n" + "\n".join(errors.values())
    return f"the test was not run (pytest exit status {returncode})"


def run_tests(copy: Path, targets: list[str], expected: list[Expected], limits: Limits, deadline: float,
              sandbox: Sandbox | None = None, data: dict[str, Path] | None = None) -> dict[str, Outcome]:
    """Run every expected test of `targets` (folders or files of `copy`); an outcome for each, 0-point
    outcomes for tests that never finished. A test whose child died, hung or was interrupted
    (KeyboardInterrupt, pytest.exit) scores 0; the tests it had not reached run in a fresh child."""
    results: dict[str, Outcome] = {}
    timeouts = {e.id: e.timeout for e in expected if e.timeout}
    queue: deque[tuple[list[str], list[str], bool]] = deque([(targets, [e.id for e in expected], True)])
    while queue:
        target, ids, may_split = queue.popleft()
        ids = [i for i in ids if i not in results]
        if not ids:
            continue
        if time.monotonic() >= deadline:
            for i in ids:
                results[i] = Outcome(False, f"not run: the whole run took longer than {limits.total_timeout:g} s")
            continue
        run = run_child(copy, target, "run", limits, deadline, only=ids, sandbox=sandbox, data=data,
                        timeouts=timeouts)
        for i in ids:
            if run.done(i):
                results[i] = _phase_outcome(run.phases[i])
        left = [i for i in ids if i not in results]
        if not left:
            continue
        if run.finished and not run.interrupted:
            for i in left:
                results[i] = Outcome(False, _collect_error_for(i, run.collect_errors, run.returncode))
            continue
        if run.interrupted:
            died = f"the submitted code ended the test session ({run.interrupted.strip()})"
        else:
            died = run.killed or f"the test process ended unexpectedly (exit code {run.returncode}: os._exit, " \
                                 "a crash, or the memory limit)"
        if run.current:
            text = run.phases.get(run.current, {}).get("call", ("", ""))[1]
            results[run.current] = Outcome(False, f"{died} during this test.\n{text}".rstrip())
            queue.appendleft((target, [i for i in left if i != run.current], may_split))
        elif run.started:
            queue.appendleft((target, left, may_split))
        elif may_split and not run.killed:
            # died while importing: isolate test files so one bad import costs only its own tests
            by_file: dict[str, list[str]] = {}
            for i in left:
                by_file.setdefault(i.split("::")[0], []).append(i)
            queue.extend(([path], file_ids, False) for path, file_ids in by_file.items())
        else:
            for i in left:
                results[i] = Outcome(False, f"{died} before this test started ({DIED_IMPORTING}).\n"
                                            f"{run.log_tail[-1500:]}")
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


def read_template(folder: Path) -> dict[str, bytes]:
    """Every file of a grading template folder, held in memory: relative path -> bytes."""
    files = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and not {"__pycache__", ".pytest_cache"} & set(rel.parts):
            files[rel.as_posix()] = path.read_bytes()
    return files


def is_hidden_test_file(rel: str) -> bool:
    """Is `rel` (relative to the course root) a hidden test file of some homework?"""
    top, _, inner = rel.partition("/")
    return bool(HW_PATTERN.match(top)) and Homework.is_hidden_test(inner)


def write_copy(files: Mapping[str, bytes], dest: Path, hidden_tests: bool = True) -> Path:
    """Write a grading copy of the template `files` into the new folder `dest` (without the hidden
    test files if not `hidden_tests`)."""
    for rel, data in files.items():
        if hidden_tests or not is_hidden_test_file(rel):
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return dest


def find_data(hw: Homework) -> tuple[dict[str, Path], list[str]]:
    """The folders of the datasets `hw`'s manifest lists, as this machine resolves them; notes on
    the missing ones (their tests skip, and a skipped test earns nothing)."""
    found, notes = {}, []
    for name in hw.data:
        try:
            found[name] = find_dataset(name, download=False)
        except DatasetNotFoundError as error:
            notes.append(f"grading machine: dataset {name} not found, so the tests that need it are skipped "
                         f"and earn nothing ({str(error).splitlines()[0]})")
    return found, notes


def _lay_over(copy: Path, hw: Homework, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (copy / hw.name / rel).write_bytes(data)


def grade(template: Path | Mapping[str, bytes], hw_name: str, submission: Path, limits: Limits = Limits(),
          expected: list[Expected] | None = None, sandbox: Sandbox | None = None) -> dict:
    """Grade `submission` against the grading template (a folder, or its files in memory); the
    results.json dict. The visible tests run in a copy without hidden test files, then the hidden
    tests in a fresh copy; sandbox: where the tests run (default :func:`grading.sandbox.choose`)."""
    start = time.monotonic()
    deadline = start + limits.total_timeout
    sandbox = sandbox or choose()
    files = template if isinstance(template, Mapping) else read_template(template)
    work = Path(tempfile.mkdtemp(prefix="grading-"))
    try:
        visible = write_copy(files, work / os.urandom(8).hex(), hidden_tests=False)
        hw = get_homework(visible, hw_name)
        data, notes = find_data(hw)
        if expected is None:
            collect_copy = write_copy(files, work / os.urandom(8).hex())
            expected = collect_expected(collect_copy, hw.name, limits, sandbox, data)
            shutil.rmtree(collect_copy)
        try:
            submitted, read_notes = read_submission(Path(submission), hw)
        except (OSError, zipfile.BadZipFile) as err:
            submitted, read_notes = {}, [f"could not read the submission: {err}"]
        notes += read_notes
        hidden = [e for e in expected if is_hidden_test_file(e.id.split("::")[0])]
        shown = [e for e in expected if e not in hidden]
        if not submitted:
            outcomes = {e.id: Outcome(False, NOTHING_SUBMITTED) for e in expected}
        else:
            _lay_over(visible, hw, submitted)
            outcomes = run_tests(visible, [hw.name], shown, limits, deadline, sandbox, data)
            shutil.rmtree(visible)
            if hidden:
                copy = write_copy(files, work / os.urandom(8).hex())
                _lay_over(copy, hw, submitted)
                hidden_files = sorted({e.id.split("::")[0] for e in hidden})
                outcomes.update(run_tests(copy, hidden_files, hidden, limits, deadline, sandbox, data))
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
            "execution_time": round(time.monotonic() - start, 2),
            "output": "\n".join([sandbox.describe(), *notes]), "tests": tests}


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
    parser.add_argument("--sandbox", choices=CHOICES, default=None,
                        help="where the tests run (default: $GRADING_SANDBOX or auto: bwrap, else unshare, "
                             "else none, which only isolates processes and says so in the results)")


def sandbox_from(args: argparse.Namespace) -> Sandbox:
    """The sandbox the command line asks for; without one, a warning on stderr that says how to get one."""
    sandbox = choose(args.sandbox)
    if not sandbox.isolated:
        print(sandbox.describe(), file=sys.stderr)
    return sandbox


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
            results = grade(template, args.hw, args.submission, limits_from(args), sandbox=sandbox_from(args))
        except (GradingError, SandboxError) as err:
            atomic_write_json(args.results, {"score": 0, "output": f"autograder error (not your fault): {err}",
                                             "tests": []})
            print(err, file=sys.stderr)
            return 2
        tasks = tasks_by_test(template, args.hw)
        order = homework_tasks(template, args.hw)
    tag_tests(results, tasks)
    atomic_write_json(args.results, results)
    print(f"{summary(args.hw, results, tasks, order)}\n-> {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
