"""Hostile: nothing implemented; at import it writes forged "passed" events to every pipe it holds."""
import json
import os
import stat

for name in os.listdir("/proc/self/fd"):
    try:
        fd = int(name)
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            for test in ("test_add", "test_mul", "test_square", "test_count"):
                node = f"hw1_fake/tests/test_calc.py::{test}"
                for when in ("setup", "call", "teardown"):
                    event = {"ev": "report", "id": node, "when": when, "outcome": "passed", "text": ""}
                    os.write(fd, f"{'0' * 64} {json.dumps(event, sort_keys=True)}\n".encode())
    except (OSError, ValueError):
        continue


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
