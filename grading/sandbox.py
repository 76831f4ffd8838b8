"""The sandbox of the grader's child process, built from an existing tool chosen at run time.

Tools, in order of preference:

- ``bwrap`` (bubblewrap, the sandbox Flatpak uses; ``apt-get install bubblewrap``);
- util-linux ``unshare``, with ``mount``, ``pivot_root`` and ``setpriv`` of the same package, and
  iproute2's ``ip`` (to bring up the new network namespace's loopback, as bubblewrap does).

Either runs the child in new PID, mount, network, IPC and UTS namespaces (a new user namespace too
where the kernel allows it), without capabilities and with no_new_privs, on a root filesystem that
holds only:

- the system folders (/usr, /etc and the /bin, /lib ... links), the interpreter and its libraries,
  read-only, at their real paths wherever they are (a virtual environment or a conda or pyenv
  interpreter under $HOME, /opt or /tmp: mounted over the private /tmp below, so that one does not
  hide them);
- the grading copy, read-only, at /grading/course (the child's working directory);
- the datasets the homework uses, read-only, under /grading/data (``COURSE_DATA``);
- its own writable temp folder /tmp (also ``HOME``).

No course checkout, no folder of the grader, no other submission, no network but the namespace's own
loopback (a test may talk to itself on 127.0.0.1, as torchrun's rendezvous does). The child is PID 1
of its namespace (or bubblewrap's init is): when it ends or is killed, the kernel kills everything
it started, daemons included.

Where neither tool can run (no user namespaces and not root), ``Sandbox("none")`` runs the child as
before in its own process group, and the grader makes itself a subreaper (``PR_SET_CHILD_SUBREAPER``)
so that processes that leave the group (``setsid`` + double fork) become its children and
:func:`kill_descendants` kills them before any result is written. Grades made so say it loudly.

``GRADING_SANDBOX=auto|bwrap|unshare|none`` (or the grader's ``--sandbox``) forces a choice.
"""
from __future__ import annotations

import ctypes
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ENV = "GRADING_SANDBOX"
CHOICES = ("auto", "bwrap", "unshare", "none")
COURSE_INSIDE = "/grading/course"
DATA_INSIDE = "/grading/data"
TMP_INSIDE = "/tmp"
SYSTEM_FOLDERS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap) or allow user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also "
                "kernel.apparmor_restrict_unprivileged_userns=0)")
PR_SET_CHILD_SUBREAPER = 36


class SandboxError(RuntimeError):
    """A sandbox tool that was asked for by name but cannot run here; the message says why."""


@dataclass(frozen=True)
class Layout:
    """What the child sees. course: the grading copy; tmp: its own writable temp folder (empty, on the
    grader's side); data: dataset name -> folder of the grading machine."""

    course: Path
    tmp: Path
    data: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Sandbox:
    """tool: "bwrap", "unshare" or "none"; user_namespace: unshare makes a user namespace (else it
    relies on running as root); note: for "none", why no tool could run."""

    tool: str
    user_namespace: bool = True
    note: str = ""

    @property
    def isolated(self) -> bool:
        return self.tool != "none"

    def describe(self) -> str:
        if self.tool == "bwrap":
            return "sandbox: bubblewrap (new PID, mount and network namespaces; read-only course copy)"
        if self.tool == "unshare":
            users = "user, " if self.user_namespace else ""
            return f"sandbox: util-linux unshare (new {users}PID, mount and network namespaces; read-only course copy)"
        return warning(self.note)

    def tmp_path(self, layout: Layout) -> str:
        """The child's temp folder as the child names it."""
        return TMP_INSIDE if self.isolated else str(layout.tmp)

    def env(self, layout: Layout) -> dict[str, str]:
        """Environment variables the child needs on top of the grader's (temp folder, home, data)."""
        tmp = self.tmp_path(layout)
        env = {"TMPDIR": tmp, "HOME": tmp, "HYPOTHESIS_STORAGE_DIRECTORY": f"{tmp}/.hypothesis"}
        if layout.data:
            env["COURSE_DATA"] = DATA_INSIDE if self.isolated else str(_data_links(layout))
        return env

    def command(self, argv: list[str], layout: Layout) -> tuple[list[str], Path]:
        """(the command that runs `argv` in the sandbox, the working directory to start it in)."""
        if self.tool == "bwrap":
            return _bwrap_command(_resolved_interpreter(argv), layout), layout.tmp
        if self.tool == "unshare":
            return _unshare_command(_resolved_interpreter(argv), layout, self.user_namespace), layout.tmp
        return list(argv), layout.course


def warning(reason: str) -> str:
    """The loud line that a grade made without a sandbox carries.

    It cites grading/README.md only where that file exists (the course checkout, not a student release)."""
    if Path(__file__).with_name("README.md").is_file():
        why = "see grading/README.md"
    else:
        why = "a self-grade of your own code scores the same; only the isolation is missing"
    return ("WARNING: GRADED WITHOUT A SANDBOX: the submitted code ran with the grader's own rights "
            f"(process group + subreaper only; {why}). {reason} To fix: {INSTALL_HINT}.")


def choose(request: str | None = None) -> Sandbox:
    """The sandbox to use: `request` (or $GRADING_SANDBOX, default "auto") among CHOICES.

    "auto" takes the first tool that runs here, else falls back to "none" with the reason; a tool
    asked for by name that cannot run is a SandboxError.
    """
    request = request or os.environ.get(ENV) or "auto"
    if request not in CHOICES:
        raise SandboxError(f"unknown sandbox {request!r} (from --sandbox or ${ENV}); choose one of {CHOICES}")
    if request == "none":
        return Sandbox("none", note=f"The sandbox was turned off ({ENV}=none or --sandbox none).")
    failures = []
    for tool in ("bwrap", "unshare") if request == "auto" else (request,):
        sandbox, problem = _working(tool)
        if sandbox is not None:
            return sandbox
        failures.append(f"{tool}: {problem}")
    if request != "auto":
        raise SandboxError(f"the sandbox {request} cannot run here: {failures[0]}; {INSTALL_HINT}")
    return Sandbox("none", note="No sandbox tool could run here (" + "; ".join(failures) + ").")


@functools.cache
def _working(tool: str) -> tuple[Sandbox | None, str]:
    """(a Sandbox of `tool` that ran a probe, None and why not)."""
    if shutil.which(tool) is None:
        return None, "not installed"
    if tool == "unshare" and not all(shutil.which(t) for t in ("mount", "pivot_root", "setpriv", "ip")):
        return None, "mount, pivot_root or setpriv (util-linux), or ip (iproute2), is missing"
    variants = [Sandbox(tool)]
    if tool == "unshare" and os.geteuid() == 0:
        variants.append(Sandbox(tool, user_namespace=False))
    problem = ""
    for sandbox in variants:
        problem = probe(sandbox)
        if not problem:
            return sandbox, ""
    return None, problem


def probe(sandbox: Sandbox) -> str:
    """Run the interpreter in `sandbox` on an empty layout; "" if it worked, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="grading-probe-") as tmp:
        layout = Layout(Path(tmp, "course"), Path(tmp, "tmp"))
        layout.course.mkdir()
        layout.tmp.mkdir()
        command, cwd = sandbox.command([sys.executable, "-c", "import os; print(os.getcwd(), os.getpid())"], layout)
        try:
            done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return str(error)
        if done.returncode != 0 or done.stdout.split() != [COURSE_INSIDE, "1" if sandbox.tool == "unshare" else "2"]:
            return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}, output {done.stdout!r}"])[-1]
    return ""


# ---------------------------------------------------------------------------------------------
# What the child sees


def _resolved_executable() -> str:
    """This interpreter by the real path of its folder: a virtual environment reached through a
    symbolic link (``.venv -> /elsewhere/.venv``) is run from where it really is. The file name itself
    is kept (a venv's python is a link to the base interpreter; resolving it would leave the venv)."""
    folder, name = os.path.split(sys.executable)
    return os.path.join(os.path.realpath(folder), name)


def _resolved_interpreter(argv: list[str]) -> list[str]:
    """`argv` with this interpreter named by :func:`_resolved_executable` (the path the sandbox binds)."""
    if argv and argv[0] == sys.executable:
        return [_resolved_executable(), *argv[1:]]
    return list(argv)


def _read_only_folders() -> list[tuple[str, str]]:
    """(host folder, path inside) of the system folders and the interpreter's prefixes and folders, each
    at its real path: an unresolved link could sit under a folder the sandbox replaces (/tmp). The
    folder of the binary a venv's ``python`` links to is among them (a base interpreter outside its
    prefix). Sandboxes mount them after the private /tmp, so that a venv under /tmp stays visible."""
    folders = [(p, p) for p in SYSTEM_FOLDERS if os.path.isdir(p) and not os.path.islink(p)]
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                os.path.dirname(_resolved_executable()), os.path.dirname(os.path.realpath(sys.executable))}
    for real in sorted({os.path.realpath(prefix) for prefix in prefixes}):
        if not any(real == p or real.startswith(p + "/") for _, p in folders):
            folders.append((real, real))
    return folders


def _system_links() -> list[tuple[str, str]]:
    """(target, link) of the system folders that are symbolic links (/bin -> usr/bin)."""
    return [(os.readlink(p), p) for p in SYSTEM_FOLDERS if os.path.islink(p)]


def _data_links(layout: Layout) -> Path:
    """Without a sandbox: a folder of links dataset name -> its folder, for COURSE_DATA."""
    folder = layout.tmp.parent / "data"
    folder.mkdir(exist_ok=True)
    for name, path in layout.data.items():
        if not (folder / name).exists():
            (folder / name).symlink_to(Path(path).resolve())
    return folder


def _bwrap_command(argv: list[str], layout: Layout) -> list[str]:
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--bind", str(layout.tmp), TMP_INSIDE]  # first: a venv under /tmp is mounted over it
    for host, inside in _read_only_folders():
        command += ["--ro-bind", host, inside]
    for target, link in _system_links():
        command += ["--symlink", target, link]
    command += ["--proc", "/proc", "--dev", "/dev", "--ro-bind", str(layout.course), COURSE_INSIDE]
    for name, path in sorted(layout.data.items()):
        command += ["--ro-bind", str(path), f"{DATA_INSIDE}/{name}"]
    return command + ["--remount-ro", "/", "--chdir", COURSE_INSIDE, "--", *argv]


def _mount_flags(path: str) -> str:
    """Options of a read-only bind mount of `path`: ro plus the flags of the mount holding it that the
    remount must keep (a user namespace may not drop them): nosuid, nodev, noexec and the atime flag."""
    best, flags = "", []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best = point
                flags = [f for f in fields[5].split(",") if f in ("nosuid", "nodev", "noexec", "noatime",
                                                                  "relatime", "strictatime", "nodiratime")]
    return ",".join(["ro", *flags])


# The unshare sandbox: a shell script run as PID 1 of the new namespaces. $R is an empty folder of the
# grader's; a tmpfs mounted on it becomes the new root, the old root is unmounted after pivot_root,
# and the command runs without any capability. The private /tmp is mounted before the read-only
# folders, so that an interpreter under /tmp is mounted over it rather than hidden by it.
_UNSHARE_SCRIPT = """set -eu
R=$1; shift
{ip} link set lo up
mount -t tmpfs -o mode=755 grading-root "$R"
cd "$R"
mkdir -p proc dev/shm .{tmp} .old
mount --bind {tmp_host} "$R{tmp}"
mkdir -p {folders}
{binds}
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/sys"
for d in {devices}; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
ln -s /proc/self/fd "$R/dev/fd"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
pivot_root . .old
umount -l /.old
rmdir /.old
mount -o remount,ro,bind /
cd {course}
exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"
"""


def _unshare_command(argv: list[str], layout: Layout, user_namespace: bool) -> list[str]:
    read_only = [*_read_only_folders(), (str(layout.course), COURSE_INSIDE)]
    read_only += [(str(path), f"{DATA_INSIDE}/{name}") for name, path in sorted(layout.data.items())]
    binds = [f"mount --bind -o {_mount_flags(host)} {shlex.quote(host)} .{shlex.quote(inside)}"
             for host, inside in read_only]
    binds += [f"ln -s {shlex.quote(target)} .{shlex.quote(link)}" for target, link in _system_links()]
    folders = " ".join("." + shlex.quote(inside) for _, inside in read_only)
    script = (_UNSHARE_SCRIPT.replace("{binds}", "\n".join(binds)).replace("{devices}", " ".join(DEVICES))
              .replace("{folders}", folders)
              .replace("{tmp_host}", shlex.quote(str(layout.tmp))).replace("{tmp}", TMP_INSIDE)
              .replace("{course}", COURSE_INSIDE).replace("{ip}", shlex.quote(shutil.which("ip") or "ip")))
    root = layout.tmp.parent / f"root-{os.urandom(4).hex()}"
    root.mkdir()
    users = ["--user", "--map-root-user"] if user_namespace else []
    return ["unshare", *users, "--pid", "--fork", "--kill-child", "--mount", "--net", "--ipc", "--uts",
            "--propagation", "private", "--", "/bin/sh", "-c", script, "grading-sandbox", str(root), *argv]


# ---------------------------------------------------------------------------------------------
# Without a sandbox: subreaper and kill every descendant


def become_subreaper() -> bool:
    """Make this process adopt the orphans of its descendants (Linux PR_SET_CHILD_SUBREAPER)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _process_table() -> dict[int, tuple[str, int]]:
    """pid -> (state letter, parent pid) of every process /proc shows."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                    state, parent = handle.read().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            table[int(entry)] = (state, int(parent))
    return table


def kill_descendants(spare: set[int], seconds: float = 5.0) -> int:
    """SIGKILL every descendant of this process outside the `spare` children's subtrees, again until
    none is left (a subreaper adopts the orphans), and reap the adopted ones. Returns how many it killed."""
    me, killed, end = os.getpid(), set(), time.monotonic() + seconds
    while time.monotonic() < end:
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (_, parent) in table.items():
            children.setdefault(parent, []).append(pid)
        for pid in children.get(me, []):
            if pid not in spare and table[pid][0] == "Z":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        todo = [pid for pid in children.get(me, []) if pid not in spare]
        alive = []
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            if table[pid][0] != "Z":
                alive.append(pid)
        if not alive and not any(pid not in spare for pid in children.get(me, [])):
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
    return len(killed)


def live_children() -> set[int]:
    """This process's children that have not ended (the ones :func:`kill_descendants` should spare)."""
    me = os.getpid()
    return {pid for pid, (state, parent) in _process_table().items() if parent == me and state != "Z"}
