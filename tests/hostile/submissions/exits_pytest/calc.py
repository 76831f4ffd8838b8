"""Hostile: Counter.count calls pytest.exit, which ends a pytest session (with exit status 0)."""
import pytest


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
        pytest.exit("done early", returncode=0)
