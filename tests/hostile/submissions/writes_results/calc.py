"""Hostile: mul is wrong; at import it writes a perfect results.json in every place it can guess."""
import json
import os
from pathlib import Path

FAKE = {"score": 1000, "max_score": 10, "tests": [{"name": "everything", "score": 1000, "max_score": 10}]}
targets = [Path.cwd() / "results.json", Path.cwd().parent / "results.json"]
if os.environ.get("HOSTILE_RESULTS_TARGET"):
    targets.append(Path(os.environ["HOSTILE_RESULTS_TARGET"]))
for target in targets:
    try:
        target.write_text(json.dumps(FAKE))
    except OSError:
        pass


def add(a: int, b: int) -> int:
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError("add expects two integers")
    return a + b


def mul(a: int, b: int) -> int:
    return a + b


def square(x: int) -> int:
    return x * x


class Counter:
    def count(self, items: list, item: object) -> int:
        return items.count(item)
