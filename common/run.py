"""The run protocol shared by every homework.

A homework's ``run.py`` declares its config dataclass (in its ``config.py``) and a
``main(config, run) -> dict`` and ends with::

    if __name__ == "__main__":
        run_cli("hw1_vocab", Config, main, description="Count SST's words: ...")

``python -m hw1_vocab.run --config hw1_vocab/config.quick.yaml --min_freq 3`` then: reads the config
and overrides -> seeds everything -> makes ``runs/hw1_vocab/<run id>/`` (``--run-id``, default a
timestamp) -> saves the resolved ``config.yaml`` -> calls ``main`` -> writes ``metrics.json``
(atomically) -> prints a one-line summary. ``log.txt`` collects everything ``run.log`` prints. Plots
go beside them (``run.path("zipf.png")``). ``--help`` lists every config key with its type, default
and meaning.

Resuming: a homework that trains keeps ``last.ckpt`` in the run folder (``run.checkpoints``, see
common/checkpoint.py), at every epoch's end and every ``--checkpoint-minutes`` within one (default 10).
``python -m hw4_dan.run --resume runs/hw4_dan/<id>`` continues that run in its folder with its saved
config, and ends with the same ``metrics.json`` as a run that never stopped (but for timings).

Under torchrun, the process of rank 0 is the run; the others get the same config and seed, log
nothing and write nothing (``run.is_main`` is False; their ``run.dir`` is a temporary folder, or the
resumed run's folder, from which they read).

``main`` returns a JSON-serialisable dict. Its optional ``"summary"`` entry, a list of
:func:`summary_row` dicts, gives the rows this homework contributes to the ``make run`` table.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from tqdm.auto import tqdm

from common.checkpoint import Checkpoints
from common.config import ConfigError, config_to_dict, describe_config, load_config
from common.fileio import atomic_write_json, atomic_write_text
from common.paths import REPO_ROOT
from common.seed import seed_everything

T = TypeVar("T")


@dataclass
class Run:
    """One run's output folder, log and checkpoints; handed to a homework's ``main``."""

    hw: str
    dir: Path
    is_main: bool = True               # False in a torchrun process other than rank 0: it writes nothing
    resumed: bool = False              # continuing an interrupted run in its folder (--resume)
    checkpoint_minutes: float | None = 10.0

    def path(self, name: str) -> Path:
        """Path of an output file inside this run's folder."""
        return self.dir / name

    @cached_property
    def checkpoints(self) -> Checkpoints:
        """``last.ckpt`` / ``best.ckpt`` in the run folder (read-only in a process other than rank 0)."""
        return Checkpoints(self.dir, self.checkpoint_minutes, writable=self.is_main)

    def log(self, message: str) -> None:
        """Print `message` (above any progress bar) and append it to ``log.txt``."""
        if not self.is_main:
            return
        tqdm.write(message)
        with open(self.dir / "log.txt", "a", encoding="utf-8") as log_file:
            log_file.write(message + "\n")

    def progress(self, iterable: Iterable[T], desc: str, total: int | None = None, **kwargs: Any) -> Iterable[T]:
        """A tqdm progress bar over `iterable` on stderr, refreshed at most once a second on a terminal and
        once every 30 seconds when stderr is a file or a pipe (a log then stays readable)."""
        return tqdm(iterable, desc=f"{self.hw}: {desc}", total=total, mininterval=1.0 if sys.stderr.isatty() else 30.0,
                    dynamic_ncols=True, disable=not self.is_main, **kwargs)


def summary_row(dataset: str, metric: str, value: float | int | str, key: str | None = None) -> dict[str, Any]:
    """One row of the ``make run`` table: what was measured, on which data, and the figure; `key` names
    the figure in the homework's reference.yaml (common/reference.py) that it is checked against."""
    row = {"dataset": dataset, "metric": metric, "value": value}
    return row if key is None else {**row, "key": key}


def new_run_dir(hw: str, runs_root: Path, run_id: str | None) -> Path:
    """``runs_root/hw/run_id``, created; the default id is a timestamp, never an existing folder."""
    base_id = run_id or time.strftime("%Y%m%d-%H%M%S")
    candidate, suffix = runs_root / hw / base_id, 1
    while candidate.exists() and any(candidate.iterdir()):
        suffix += 1
        candidate = runs_root / hw / f"{base_id}-{suffix}"
    candidate.mkdir(parents=True, exist_ok=True)
    return candidate


@dataclass
class Launch:
    """How a run was asked for on the command line."""

    runs_root: Path = REPO_ROOT / "runs"
    run_id: str | None = None
    resume: Path | None = None
    checkpoint_minutes: float | None = 10.0
    rank: int = field(default_factory=lambda: int(os.environ.get("RANK", "0")))


def run_cli(hw: str, schema: type[T], main: Callable[[T, Run], dict[str, Any]], argv: Sequence[str] | None = None,
            *, description: str = "") -> dict:
    """Parse the command line, run `main` under the protocol and return its metrics (see module doc)."""
    keys = "\n".join(f"  --{key:<28} {kind}, default {default}: {meaning}"
                     for key, kind, default, meaning in describe_config(schema))
    parser = argparse.ArgumentParser(
        prog=f"python -m {hw}.run", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{description or f'Train and evaluate {hw}.'}\n\nAny config key can be overridden: "
                    "--key value, --section.key value.",
        epilog=f"config keys (the defaults of the code; a config file replaces them):\n{keys}")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / hw / "config.yaml",
                        help=f"YAML config file (default: {hw}/config.yaml, the full run; its values replace the "
                             "defaults listed below)")
    parser.add_argument("--runs-root", type=Path, default=REPO_ROOT / "runs", help="where run folders are made")
    parser.add_argument("--run-id", default=None, help="run folder name (default: a timestamp; a name already used "
                                                         "gets -2, -3, ...: the run's first line says which folder)")
    parser.add_argument("--resume", type=Path, default=None, metavar="RUN_DIR",
                        help="continue the interrupted run in RUN_DIR with its saved config.yaml")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0, metavar="M",
                        help="save last.ckpt every M minutes within an epoch too (default 10; fractions "
                             "allowed); runs without epochs save at each finished step of their own (hw9: each cell)")
    args, overrides = parser.parse_known_args(argv)
    if args.run_id is not None and (Path(args.run_id).name != args.run_id or args.run_id in ("", ".", "..")):
        parser.error(f"--run-id must be a plain folder name (it is made under {args.runs_root}/{hw}/), "
                     f"got {args.run_id!r}; to put runs elsewhere use --runs-root")
    launch = Launch(args.runs_root, args.run_id, args.resume, args.checkpoint_minutes)
    try:
        if args.resume is not None:
            config_path = _resumable(args.resume, overrides)
        else:
            config_path = args.config
        config = load_config(schema, config_path, overrides)
    except ConfigError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return execute(hw, config, main, config_path=args.config if args.resume is None else config_path, launch=launch)


def _resumable(folder: Path, overrides: Sequence[str]) -> Path:
    """The saved config of the run folder `folder`, checked to be a run that can be continued."""
    if overrides:
        raise ConfigError(f"--resume continues a run with its saved config; drop the overrides {' '.join(overrides)}")
    if not (folder / "config.yaml").is_file():
        raise ConfigError(f"{folder} is not a run folder (no config.yaml); pass runs/<homework>/<run id>")
    if (folder / "metrics.json").is_file():
        raise ConfigError(f"{folder} has finished (metrics.json is there); start a new run instead")
    return folder / "config.yaml"


def execute(hw: str, config: T, main: Callable[[T, Run], dict[str, Any]], runs_root: Path = REPO_ROOT / "runs",
            run_id: str | None = None, config_path: Path | None = None, launch: Launch | None = None) -> dict[str, Any]:
    """Seed, make (or reopen) the run folder, save the config, call `main`, write ``metrics.json``;
    return the metrics. `launch` (from the command line) overrides `runs_root` and `run_id`."""
    launch = launch or Launch(Path(runs_root), run_id, rank=0)
    seed_everything(getattr(config, "seed", 0))
    with tempfile.TemporaryDirectory(prefix=f"{hw}-rank{launch.rank}-") as scratch:
        run = _open_run(hw, launch, Path(scratch))
        if run.is_main and not run.resumed:
            atomic_write_text(run.path("config.yaml"), yaml.safe_dump(config_to_dict(config), sort_keys=False))
        action = "resuming in" if run.resumed else "run folder"
        run.log(f"{hw}: {action} {run.dir} (config {config_path or 'given in code'})")
        start = time.perf_counter()
        try:
            metrics = main(config, run)
        except BaseException:
            run.log(f"{hw}: run failed after {time.perf_counter() - start:.1f} s\n{traceback.format_exc()}")
            raise
    seconds = round(time.perf_counter() - start, 2)
    metrics = {"hw": hw, "config": str(config_path) if config_path else None, "seconds": seconds, **metrics}
    if run.is_main:
        atomic_write_json(run.path("metrics.json"), metrics)
    headline = "; ".join(f"{row['metric']} = {_format(row['value'])}" for row in metrics.get("summary", []))
    run.log(f"{hw}: done in {seconds:.1f} s. {headline} -> {run.path('metrics.json')}")
    return metrics


def _open_run(hw: str, launch: Launch, scratch: Path) -> Run:
    """The Run of this process: a new folder, the resumed one, or (ranks other than 0) a scratch folder."""
    is_main = launch.rank == 0
    if launch.resume is not None:
        folder = Path(launch.resume)
    elif is_main:
        folder = new_run_dir(hw, Path(launch.runs_root), launch.run_id)
    else:
        folder = scratch
    return Run(hw, folder, is_main, launch.resume is not None, launch.checkpoint_minutes)


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("common.run is a library; run a homework with: python -m hw1_vocab.run --config ...")
