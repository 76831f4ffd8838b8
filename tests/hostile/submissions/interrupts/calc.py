"""Hostile: mul raises KeyboardInterrupt, which ends a pytest session."""


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    raise KeyboardInterrupt


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
