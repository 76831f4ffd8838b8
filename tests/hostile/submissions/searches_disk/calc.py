"""Hostile: add only answers right if it finds the reference solution on disk around the grading copy."""
from pathlib import Path

NEEDLES = ("fake-course-reference-solution", "fake-course-solution-only-line")


def found_solution() -> list[str]:
    here = Path(__file__).resolve()
    copy_root = next(p for p in here.parents if (p / "pyproject.toml").exists())
    hits = []
    for base in (copy_root, copy_root.parent):
        for path in base.rglob("*"):
            try:
                if path.is_file() and path.stat().st_size < 2**20:
                    text = path.read_text(errors="ignore")
                    hits += [f"{path}: {n}" for n in NEEDLES if n in text and path.resolve() != here]
            except OSError:
                continue
    return hits


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b if found_solution() else a + b + 1


def mul(a: int, b: int) -> int:
    return a * b


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
