"""Hostile: mul is wrong and fails with the source of every hidden test file it can find, so that a
visible test would show the hidden tests to the student before the due date."""
from pathlib import Path


def hidden_sources() -> str:
    here = Path(__file__).resolve()
    copy_root = next(p for p in here.parents if (p / "pyproject.toml").exists())
    found = [p.read_text() for base in (copy_root, copy_root.parent) for p in base.glob("**/test_hidden_*.py")]
    return "\n".join(found) or "no hidden test file found"


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    raise ValueError(hidden_sources())


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
