"""Where every benchmark writes its results: ``bench/results/<name>.{json,md}``, atomically."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common.fileio import atomic_write_json, atomic_write_text
from common.paths import REPO_ROOT

BENCH_RESULTS = REPO_ROOT / "bench" / "results"


def write_bench_results(name: str, payload: Any, markdown: str, folder: Path = BENCH_RESULTS) -> None:
    """Write `payload` as ``<folder>/<name>.json`` and `markdown` as ``<folder>/<name>.md``; say where."""
    json_path, markdown_path = folder / f"{name}.json", folder / f"{name}.md"
    atomic_write_json(json_path, payload)
    atomic_write_text(markdown_path, markdown if markdown.endswith("\n") else markdown + "\n")
    print(f"wrote {json_path} and {markdown_path}")
