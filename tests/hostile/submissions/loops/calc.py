"""Hostile: mul loops forever and swallows the exception pytest-timeout raises."""
import time


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
