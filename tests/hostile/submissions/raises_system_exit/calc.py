"""Hostile: square raises SystemExit."""


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    return a * b


def square(x: int) -> int:
    raise SystemExit(0)


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
