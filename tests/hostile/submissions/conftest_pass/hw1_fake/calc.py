"""Hostile: nothing implemented; the conftest.py files beside it try to mark every test passed."""


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    raise NotImplementedError


def mul(a: int, b: int) -> int:
    raise NotImplementedError


def square(x: int) -> int:
    raise NotImplementedError


class Counter:
    def count(self, items: list, item: object) -> int:
        raise NotImplementedError
