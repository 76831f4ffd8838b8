"""Reference figures: what the solution reaches, and how far from it a correct solution may land.

Each homework declares them in ``hwN_name/reference.yaml`` (shipped to students), one list per config::

    quick:
      - key: sst2_test_accuracy            # the `key` of the run's summary row it checks
        dataset: SST-2 test
        metric: DAN accuracy (best dev epoch)
        value: 0.7952
        tolerance: 0.01                    # |run - value| <= tolerance is "within"
        why: seeds 0-4 span 0.789-0.801; the two masked-average forms differ by 0.0005
        look_at: the masked average (task_average) and word dropout (task_word_dropout)
    full:
      - ...

`make run-hwN` ends with each figure of the run beside its reference ("within", or "outside: look
at ..."), and the README's quick table is these files' quick figures (a test keeps the two equal).

    python -m common.reference readme      # the README's quick table, from the reference files
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from common.homeworks import find_homeworks
from common.paths import REPO_ROOT

ConfigName = Literal["quick", "full"]
FILE = "reference.yaml"
FIELDS = ("key", "dataset", "metric", "value", "tolerance", "why", "look_at")


@dataclass(frozen=True)
class Reference:
    """One reference figure (see the module doc for the fields)."""

    key: str
    dataset: str
    metric: str
    value: float
    tolerance: float
    why: str
    look_at: str

    def check(self, figure: float) -> str:
        """``within`` or ``outside: look at ...`` for this run's `figure`."""
        return "within" if abs(figure - self.value) <= self.tolerance + 1e-12 else f"outside: look at {self.look_at}"


def load_references(folder: Path, config: ConfigName) -> list[Reference]:
    """The `config` figures of the homework in `folder` ([] when its reference.yaml has none)."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every homework declares its reference figures there")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or set(data) - {"quick", "full"}:
        raise ValueError(f"{path}: expected a mapping with the sections quick and full, got {data!r:.200}")
    references = []
    for number, entry in enumerate(data.get(config) or [], start=1):
        if not isinstance(entry, dict) or set(entry) != set(FIELDS):
            found = sorted(entry) if isinstance(entry, dict) else entry
            raise ValueError(f"{path}: {config} figure {number} must have exactly the keys {list(FIELDS)}, got {found}")
        numbers = (entry["value"], entry["tolerance"])
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
            raise ValueError(f"{path}: {config} figure {entry['key']!r}: value and tolerance must be numbers")
        if entry["tolerance"] < 0 or not str(entry["why"]).strip():
            raise ValueError(f"{path}: {config} figure {entry['key']!r}: a tolerance >= 0 with the reason for it (why)")
        references.append(Reference(**{**entry, "value": float(numbers[0]), "tolerance": float(numbers[1])}))
    keys = [reference.key for reference in references]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: {config} keys must be unique, got {keys}")
    return references


def compare(summary: Sequence[dict[str, Any]], references: Sequence[Reference]) -> list[tuple[str, ...]]:
    """(metric, this run, reference +- tolerance, check) for each reference figure, matched to the run's
    summary rows by key; a figure the run did not report is "missing"."""
    by_key = {row.get("key"): row for row in summary if row.get("key")}
    rows = []
    for reference in references:
        label = f"{reference.dataset}: {reference.metric}"
        expected = f"{format_value(reference.value)} ± {format_value(reference.tolerance)}"
        row = by_key.get(reference.key)
        if row is None or not isinstance(row["value"], int | float):
            rows.append((label, "-", expected, f"missing: the run reported no figure {reference.key!r}"))
        else:
            rows.append((label, format_value(row["value"]), expected, reference.check(row["value"])))
    return rows


def format_value(value: Any) -> str:
    """Integers with thousands separators; other numbers as written."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def readme_table(root: Path = REPO_ROOT) -> str:
    """The README's quick table: every homework's quick reference figures, in course order."""
    lines = ["| homework | dataset | metric | value |", "|---|---|---|---|"]
    for hw in find_homeworks(root):
        for reference in load_references(root / hw.name, "quick"):
            lines.append(f"| {hw.name} | {reference.dataset} | {reference.metric} | {format_value(reference.value)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["readme"]:
        print("usage: python -m common.reference readme", file=sys.stderr)
        return 2
    print(readme_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
