"""What grading one homework needs on a fresh machine: its Python packages and its datasets.

Packages: the third-party modules imported (at the top or inside a function) by every module the
homework's files and the course's conftest.py reach through their imports (its tests, the earlier
homeworks and ``common`` modules they import), plus what the grader itself runs on, mapped to their pinned line in
requirements.txt. torch is installed apart from the rest, from the CPU wheel index.
Datasets: the manifest's ``data`` list.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections.abc import Mapping

from grading.course import Homework

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Always needed by the grader itself: pytest, its timeout plugin and the manifests' YAML reader.
GRADER_MODULES = ("pytest", "pytest_timeout", "yaml")


class NeedsError(ValueError):
    """A module the homework imports whose package requirements.txt does not pin."""


def imported_modules(source: bytes, rel: str) -> set[str]:
    """Absolute module names a Python file imports anywhere in it (``a.b`` for ``from a.b import c``,
    and ``a.b.c`` too, as c may be a module)."""
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _local_file(module: str, files: Mapping[str, bytes]) -> str | None:
    path = module.replace(".", "/")
    for rel in (f"{path}.py", f"{path}/__init__.py"):
        if rel in files:
            return rel
    return None


def third_party_imports(files: Mapping[str, bytes], hw: Homework) -> set[str]:
    """Top-level names of the non-local, non-standard modules reachable from `hw`'s files."""
    local_tops = {rel.split("/")[0].removesuffix(".py") for rel in files}
    todo = [rel for rel in files if rel.startswith(hw.name + "/") and rel.endswith(".py")]
    todo += [rel for rel in ("conftest.py",) if rel in files]
    seen, found = set(todo), set(GRADER_MODULES)
    while todo:
        rel = todo.pop()
        for module in imported_modules(files[rel], rel):
            top = module.split(".")[0]
            if top not in local_tops:
                if top not in sys.stdlib_module_names:
                    found.add(top)
                continue
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):  # a package's __init__ runs before its modules
                local = _local_file(".".join(parts[:depth]), files)
                if local and local not in seen:
                    seen.add(local)
                    todo.append(local)
    return found


def pinned_requirements(requirements: str) -> dict[str, str]:
    """Normalised distribution name -> its line, for the ``name==version`` lines of requirements.txt."""
    pins = {}
    for line in requirements.splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            pins[_normalise(line.split("==")[0])] = line
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_of(files: Mapping[str, bytes], hw: Homework) -> tuple[str | None, list[str]]:
    """(the pinned torch line or None, the other pinned lines) that grading `hw` needs."""
    pins = pinned_requirements(files.get("requirements.txt", b"").decode("utf-8"))
    distributions = importlib.metadata.packages_distributions()
    needed, unknown = set(), []
    for top in sorted(third_party_imports(files, hw)):
        names = [_normalise(d) for d in distributions.get(top, [top])]
        pinned = [n for n in names if n in pins]
        if pinned:
            needed.update(pinned)
        else:
            unknown.append(top)
    if unknown:
        raise NeedsError(f"{hw.name} imports {unknown}, which requirements.txt does not pin; add them there "
                         "(name==version) so the grading image installs them")
    torch = pins.pop("torch", None) if "torch" in needed else None
    return torch, sorted(pins[n] for n in needed if n != "torch")
