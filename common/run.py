"""The run protocol shared by every homework.

A homework's ``run.py`` declares its config dataclass and a ``main(config, run) -> dict`` and ends with::

    if __name__ == "__main__":
        run_cli("hw1_vocab", Config, main)

``python -m hw1_vocab.run --config hw1_vocab/config.quick.yaml --min_freq 3`` then: reads the config
and overrides -> seeds everything -> makes ``runs/hw1_vocab/<run id>/`` -> saves the resolved
``config.yaml`` -> calls ``main`` -> writes ``metrics.json`` (atomically) -> prints a one-line summary.
``log.txt`` collects everything ``run.log`` prints. Plots go beside them (``run.path("zipf.png")``).

``main`` returns a JSON-serialisable dict. Its optional ``"summary"`` entry, a list of
:func:`summary_row` dicts, gives the rows this homework contributes to the ``make run`` table.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from tqdm.auto import tqdm

from common.config import ConfigError, config_to_dict, load_config
from common.fileio import atomic_write_json, atomic_write_text
from common.paths import REPO_ROOT
from common.seed import seed_everything

T = TypeVar("T")


@dataclass
class Run:
    """One run's output folder and log; handed to a homework's ``main``."""

    hw: str
    dir: Path

    def path(self, name: str) -> Path:
        """Path of an output file inside this run's folder."""
        return self.dir / name

    def log(self, message: str) -> None:
        """Print `message` (above any progress bar) and append it to ``log.txt``."""
        tqdm.write(message)
        with open(self.dir / "log.txt", "a", encoding="utf-8") as log_file:
            log_file.write(message + "\n")

    def progress(self, iterable: Iterable[T], desc: str, total: int | None = None, **kwargs: Any) -> Iterable[T]:
        """A tqdm progress bar over `iterable` (on stderr, refreshed at most once a second)."""
        return tqdm(iterable, desc=f"{self.hw}: {desc}", total=total, mininterval=1.0, dynamic_ncols=True, **kwargs)


def summary_row(dataset: str, metric: str, value: float | int | str) -> dict[str, Any]:
    """One row of the ``make run`` table: what was measured, on which data, and the figure."""
    return {"dataset": dataset, "metric": metric, "value": value}


def new_run_dir(hw: str, runs_root: Path, run_id: str | None) -> Path:
    """``runs_root/hw/run_id``, created; the default id is a timestamp, never an existing folder."""
    base_id = run_id or time.strftime("%Y%m%d-%H%M%S")
    candidate, suffix = runs_root / hw / base_id, 1
    while candidate.exists() and any(candidate.iterdir()):
        suffix += 1
        candidate = runs_root / hw / f"{base_id}-{suffix}"
    candidate.mkdir(parents=True, exist_ok=True)
    return candidate


def run_cli(
    hw: str, schema: type[T], main: Callable[[T, Run], dict[str, Any]], argv: Sequence[str] | None = None
) -> dict:
    """Parse the command line, run `main` under the protocol and return its metrics (see module doc)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {hw}.run",
        description=f"Train/evaluate {hw}. Any config key can be overridden: --key value, --section.key value.",
    )
    parser.add_argument("--config", type=Path, default=REPO_ROOT / hw / "config.yaml", help="YAML config file")
    parser.add_argument("--runs-root", type=Path, default=REPO_ROOT / "runs", help="where run folders are made")
    parser.add_argument("--run-id", default=None, help="run folder name (default: a timestamp)")
    args, overrides = parser.parse_known_args(argv)
    try:
        config = load_config(schema, args.config, overrides)
    except ConfigError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return execute(hw, config, main, args.runs_root, args.run_id, config_path=args.config)


def execute(
    hw: str,
    config: T,
    main: Callable[[T, Run], dict[str, Any]],
    runs_root: Path = REPO_ROOT / "runs",
    run_id: str | None = None,
    config_path: Path | None = None,
) -> dict[str, Any]:
    """Seed, make the run folder, save the config, call `main`, write ``metrics.json``; return the metrics."""
    seed_everything(getattr(config, "seed", 0))
    run = Run(hw, new_run_dir(hw, Path(runs_root), run_id))
    atomic_write_text(run.path("config.yaml"), yaml.safe_dump(config_to_dict(config), sort_keys=False))
    run.log(f"{hw}: run folder {run.dir} (config {config_path or 'given in code'})")
    start = time.perf_counter()
    try:
        metrics = main(config, run)
    except BaseException:
        run.log(f"{hw}: run failed after {time.perf_counter() - start:.1f} s\n{traceback.format_exc()}")
        raise
    seconds = round(time.perf_counter() - start, 2)
    metrics = {"hw": hw, "config": str(config_path) if config_path else None, "seconds": seconds, **metrics}
    atomic_write_json(run.path("metrics.json"), metrics)
    headline = "; ".join(f"{row['metric']} = {_format(row['value'])}" for row in metrics.get("summary", []))
    run.log(f"{hw}: done in {seconds:.1f} s. {headline} -> {run.path('metrics.json')}")
    return metrics


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("common.run is a library; run a homework with: python -m hw1_vocab.run --config ...")
