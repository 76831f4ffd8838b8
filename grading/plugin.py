"""pytest plugin that the autograder loads into its child process (``-p grading.plugin``).

It does nothing unless GRADING_CONFIG names a config file written by the parent. It reads that file
and deletes it in ``pytest_configure``, before any test module (and so any submitted code) is
imported. It then streams one signed JSON line per event over an inherited pipe:
``item`` (collect mode: node id, points, visibility, the test's own timeout), ``start``, ``report``
(one per test phase), ``collecterror``, ``interrupted`` (a KeyboardInterrupt or ``pytest.exit`` ended
the session) and ``finish``. The parent verifies the HMAC of every line and trusts nothing else
the child produces (exit code, files, stdout).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os

import pytest

from grading.points import is_hidden, split_points

_state: dict = {}
MAX_TEXT = 3000


def _send(event: dict) -> None:
    line = json.dumps(event, sort_keys=True)
    sig = hmac.new(_state["key"], line.encode("utf-8"), hashlib.sha256).hexdigest()
    os.write(_state["fd"], f"{sig} {line}\n".encode())


def _text(report) -> str:
    text = str(report.longrepr) if report.longrepr is not None else ""
    if len(text) > MAX_TEXT:
        text = "...\n" + text[-MAX_TEXT:]
    return text


def points_and_visibility(item: pytest.Item, points: dict[str, float] | None = None) -> tuple[float, str]:
    """Points of a test and its Gradescope visibility.

    points: grading.points.split_points of every collected item (a parametrised test's points split
    across its cases); without it, the session's collected items (computed once per session).
    """
    if points is None:
        items = getattr(item.session, "items", None) or [item]
        cached = getattr(item.session, "_grading_points", None)
        if cached is None or cached[0] != len(items) or item.nodeid not in cached[1]:
            cached = (len(items), split_points(items if item in items else [*items, item]))
            item.session._grading_points = cached
        points = cached[1]
    return points[item.nodeid], "after_due_date" if is_hidden(item) else "visible"


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.pop("GRADING_CONFIG", None)
    if not path:
        return
    with open(path, encoding="utf-8") as handle:
        settings = json.load(handle)
    os.unlink(path)
    _state.update(key=bytes.fromhex(settings["key"]), fd=int(settings["fd"]), mode=settings["mode"],
                  only=set(settings.get("only") or []), imports=settings.get("import_modules") or [])
    if settings.get("no_shrink"):
        _skip_hypothesis_shrinking()


def _skip_hypothesis_shrinking() -> None:
    """Make a failing hypothesis test report its first failing example instead of shrinking it.

    Loaded before any test module, so ``@settings(...)`` decorators inherit it. Used by the release
    round-trip check, where every stubbed test fails and shrinking would only cost time.
    """
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile("grading-no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("grading-no-shrink")


def own_timeout(item: pytest.Item) -> float | None:
    """The seconds of the test's own ``@pytest.mark.timeout(s)`` (pytest-timeout's marker), or None."""
    marker = item.get_closest_marker("timeout")
    if marker is None:
        return None
    return marker.kwargs.get("timeout", marker.args[0] if marker.args else None)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not _state:
        return
    if _state["mode"] == "collect":
        split = split_points(items)
        for item in items:
            points, visibility = points_and_visibility(item, split)
            _send({"ev": "item", "id": item.nodeid, "points": points, "visibility": visibility,
                   "timeout": own_timeout(item)})
    elif _state["only"]:
        keep = [item for item in items if item.nodeid in _state["only"]]
        dropped = [item for item in items if item.nodeid not in _state["only"]]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Import the modules the parent asked for (the release check); report failures as collect errors."""
    if not _state:
        return
    import importlib
    import traceback

    for module in _state["imports"]:
        try:
            importlib.import_module(module)
        except BaseException:  # any failure to import is what we report
            _send({"ev": "collecterror", "id": f"import {module}", "text": traceback.format_exc()[-MAX_TEXT:]})


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _state and report.failed:
        _send({"ev": "collecterror", "id": report.nodeid, "text": _text(report)})


def pytest_runtest_logstart(nodeid: str, location) -> None:
    if _state:
        _send({"ev": "start", "id": nodeid})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _state:
        _send({"ev": "report", "id": report.nodeid, "when": report.when, "outcome": report.outcome,
               "text": _text(report) if report.failed or report.skipped else ""})


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    """KeyboardInterrupt or pytest.exit from submitted code: the tests not yet run must run elsewhere."""
    if _state:
        _send({"ev": "interrupted", "text": excinfo.exconly()[-MAX_TEXT:]})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _state:
        _send({"ev": "finish", "status": int(exitstatus)})
