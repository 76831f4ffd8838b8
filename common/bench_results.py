"""Every benchmark in one shape (``make bench-hwN``): the sides of a comparison timed in alternating
rounds, each ratio with its spread over the rounds, a verdict only where the machine let the rounds
mean something, and the results written to ``bench/results/<name>.{json,md}``.

A *side* is a function that does one round's work and returns the seconds it took (`per_call` makes
one from a plain function), or a dict of seconds for several timed parts of that work.
`run_rounds` calls the sides in turn and reverses their order every round (A B, B A, A B, ...), so
a change in the machine's load, or a drift, hits every side alike; it samples the load average
before the first round and after each one. `Rounds.ratio` compares two sides round by round, and
`judge` gives the verdict on the per-round ratios:

* **no verdict, the machine was loaded** when other programs' part of the 1-minute load average
  (this process's own part subtracted) rose above the cores the benchmark leaves free, plus
  LOAD_ALLOWANCE; **no verdict, the rounds disagree** when, on a quiet machine, the interquartile
  range of the per-round ratios is wider than RATIO_SPREAD_LIMIT of their median, or either side's
  round times spread wider than SIDE_SPREAD_LIMIT of their median (the load changed during the run,
  or the timed work itself varies);
* **no verdict, too close to call** when the middle half of the per-round ratios lies on both
  sides of the target, or there are fewer than MIN_ROUNDS rounds;
* otherwise **met** or **not met**, by the median of the per-round ratios.

One thread per side is the default of every benchmark (`bench_threads`): on a shared machine a
second BLAS or OpenMP thread competes with other programs and can change a ratio several times over.
"""
from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np

from common.fileio import atomic_write_json, atomic_write_text
from common.paths import REPO_ROOT

BENCH_RESULTS = REPO_ROOT / "bench" / "results"

MIN_ROUNDS = 3              # fewer rounds show no spread, so they give no verdict
LOAD_ALLOWANCE = 0.5        # other programs' load beyond the free cores that timings still tolerate
RATIO_SPREAD_LIMIT = 0.15   # interquartile range of the per-round ratios / their median
SIDE_SPREAD_LIMIT = 0.25    # interquartile range of one side's round times / their median
LOAD_AVERAGE_SECONDS = 60.0  # time constant of the kernel's 1-minute load average

Side = Callable[[], "float | dict[str, float]"]
Status = Literal["met", "not met", "no verdict", "no target"]


@dataclass(frozen=True)
class Target:
    """What a ratio should be: `goal` ("at most" or "at least") `limit`."""

    goal: Literal["at most", "at least"]
    limit: float

    def holds(self, value: float) -> bool:
        return value <= self.limit if self.goal == "at most" else value >= self.limit

    def __str__(self) -> str:
        return f"{'<=' if self.goal == 'at most' else '>='} {self.limit:g}"


def at_most(limit: float) -> Target:
    return Target("at most", limit)


def at_least(limit: float) -> Target:
    return Target("at least", limit)


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str  # one sentence that starts with the status


def relative_spread(values: Sequence[float]) -> float:
    """Interquartile range / median of `values` (0 for fewer than two values)."""
    if len(values) < 2:
        return 0.0
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return float((q3 - q1) / median) if median else math.inf


def judge(per_round: Sequence[float], side_seconds: Mapping[str, Sequence[float]], other_load: float,
          threads: int, cores: int, target: Target | None) -> Verdict:
    """The verdict on per-round ratios (see the module docstring for the rules).

    per_round: one ratio per round; side_seconds: each compared side's seconds per round;
    other_load: the largest load average of other programs seen during the rounds; threads: the
    threads each side used; cores: the cores this process may run on.
    """
    if not per_round:
        raise ValueError("expected at least one round but got none; run the benchmark with --rounds 1 or more")
    q1, median, q3 = (float(x) for x in np.percentile(per_round, [25, 50, 75]))
    free_cores = cores - threads
    loaded = other_load > free_cores + LOAD_ALLOWANCE
    why = [f"other programs' load average up to {other_load:.1f} where the benchmark left "
           f"{max(free_cores, 0)} of {cores} cores free"] if loaded else []
    spread = relative_spread(per_round)
    if spread > RATIO_SPREAD_LIMIT:
        why.append(f"per-round ratios {min(per_round):.2f}-{max(per_round):.2f}, interquartile range "
                   f"{spread:.0%} of the median")
    for name, seconds in side_seconds.items():
        if relative_spread(seconds) > SIDE_SPREAD_LIMIT:
            why.append(f"{name}'s round times spread by {relative_spread(seconds):.0%} of their median")
    if why:
        if loaded:
            return Verdict("no verdict", f"no verdict: the machine was loaded ({'; '.join(why)}); "
                                         "rerun on an idle machine")
        return Verdict("no verdict", f"no verdict: the rounds disagree on a quiet machine ({'; '.join(why)}); "
                                     "rerun with more rounds (--rounds)")
    if target is None:
        return Verdict("no target", "no target: reported only")
    if len(per_round) < MIN_ROUNDS:
        return Verdict("no verdict", f"no verdict: {len(per_round)} round(s) show no spread; rerun with "
                                     f"--rounds {MIN_ROUNDS} or more")
    if q1 <= target.limit <= q3:
        return Verdict("no verdict", f"no verdict: too close to call (the middle half of the rounds, "
                                     f"{q1:.2f}-{q3:.2f}, spans the target {target}); rerun with more rounds")
    if target.holds(median):
        return Verdict("met", f"met: {median:.2f} {target}")
    return Verdict("not met", f"not met: {median:.2f}, target {target}")


@dataclass(frozen=True)
class Ratio:
    """One comparison of two sides over the same rounds, with its verdict.

    name: e.g. "edugrad / torch (time)"; per_round: the ratio in each round."""

    name: str
    per_round: tuple[float, ...]
    target: Target | None
    verdict: Verdict

    @property
    def median(self) -> float:
        return float(np.median(self.per_round))

    def cell(self) -> str:
        """'0.84 (rounds 0.80-0.90)': the median ratio and the range of the rounds."""
        return f"{self.median:.2f} (rounds {min(self.per_round):.2f}-{max(self.per_round):.2f})"

    def line(self) -> str:
        return f"{self.name}: {self.cell()}; {self.verdict.reason}"

    def as_dict(self) -> dict[str, Any]:
        q1, q3 = np.percentile(self.per_round, [25, 75])
        return {"name": self.name, "median": round(self.median, 4), "interquartile_range": [round(q1, 4),
                round(q3, 4)], "range": [round(min(self.per_round), 4), round(max(self.per_round), 4)],
                "per_round": [round(x, 4) for x in self.per_round],
                "target": None if self.target is None else str(self.target),
                "verdict": self.verdict.status, "reason": self.verdict.reason}


# ---- the load average -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSample:
    wall: float  # seconds (monotonic clock)
    cpu: float   # this process's CPU seconds, all threads
    load: float  # the 1-minute load average


def sample_load() -> LoadSample:
    return LoadSample(time.monotonic(), time.process_time(), os.getloadavg()[0])


def own_load_now() -> float:
    """This process's part of the 1-minute load average so far: its mean busy threads since it
    started, weighted as the kernel weights them (0 where /proc is missing)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    if age <= 0:
        return 0.0
    return time.process_time() / age * (1 - math.exp(-age / LOAD_AVERAGE_SECONDS))


def other_load(samples: Sequence[LoadSample], own_at_first: float) -> list[float]:
    """Other programs' part of each sample's load average: the sample minus this process's own part,
    which follows the kernel's exponential average of this process's busy threads (CPU seconds
    per wall second between samples). A process that waits for a core counts in the load average
    but gains no CPU time, so a contended machine reads as more loaded, never less."""
    own, others = own_at_first, [max(samples[0].load - own_at_first, 0.0)]
    for before, after in pairwise(samples):
        seconds = after.wall - before.wall
        busy = (after.cpu - before.cpu) / seconds if seconds > 0 else 0.0
        decay = math.exp(-seconds / LOAD_AVERAGE_SECONDS)
        own = own * decay + busy * (1 - decay)
        others.append(max(after.load - own, 0.0))
    return others


# ---- rounds ---------------------------------------------------------------------------------------


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Rounds:
    """Seconds of every measurement in every round, and the load average around them."""

    seconds: dict[str, list[float]]
    load: list[float]         # the 1-minute load average before the first round and after each
    other_load: list[float]   # the same with this process's own part subtracted
    threads: int
    cores: int

    def median(self, name: str) -> float:
        return float(np.median(self.seconds[name]))

    def ratio(self, numerator: str, denominator: str, of: Literal["time", "speed"] = "time",
              target: Target | None = None, name: str | None = None) -> Ratio:
        """numerator / denominator round by round: of their times, or of their speeds (the same work
        in each, so the inverse ratio of times)."""
        for side in (numerator, denominator):
            if side not in self.seconds:
                raise KeyError(f"expected a measurement named {side!r} but got {sorted(self.seconds)}")
        top, bottom = self.seconds[numerator], self.seconds[denominator]
        per_round = tuple(t / b if of == "time" else b / t for t, b in zip(top, bottom, strict=True))
        verdict = judge(per_round, {numerator: top, denominator: bottom}, max(self.other_load), self.threads,
                        self.cores, target)
        return Ratio(name or f"{numerator} / {denominator} ({of})", per_round, target, verdict)

    def load_line(self) -> str:
        return (f"1-minute load average {min(self.load):.1f}-{max(self.load):.1f} during the rounds (other "
                f"programs up to {max(self.other_load):.1f}) on {self.cores} cores, {self.threads} thread(s) per side")

    def as_dict(self) -> dict[str, Any]:
        return {"seconds_per_round": {k: [round(x, 6) for x in v] for k, v in self.seconds.items()},
                "load_average": [round(x, 2) for x in self.load],
                "other_programs_load": [round(x, 2) for x in self.other_load],
                "threads_per_side": self.threads, "cores": self.cores}


def run_rounds(sides: Mapping[str, Side], rounds: int, threads: int, warmup: int = 0,
               progress: bool = True) -> Rounds:
    """Call every side once per round, in alternating order (A B, B A, ...), `warmup` untimed calls
    each first; a side's result is its seconds, or a dict of seconds of its timed parts."""
    if rounds < 1:
        raise ValueError(f"expected --rounds >= 1 but got {rounds}; a ratio needs at least one round")
    for side in sides.values():
        for _ in range(warmup):
            side()
    own = own_load_now()
    samples, seconds = [sample_load()], {}
    names = list(sides)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            result = sides[name]()
            for key, value in (result.items() if isinstance(result, dict) else [(name, result)]):
                seconds.setdefault(key, []).append(float(value))
        samples.append(sample_load())
        if progress:
            timings = ", ".join(f"{key} {values[-1]:.3g} s" for key, values in seconds.items())
            print(f"round {round_number + 1}/{rounds}: {timings}; load average {samples[-1].load:.1f}", flush=True)
    return Rounds(seconds, [s.load for s in samples], other_load(samples, own), threads, available_cores())


def per_call(fn: Callable[[], Any], min_seconds: float = 0.0) -> Callable[[], float]:
    """`fn` as a side: each round calls it often enough to last about `min_seconds` and returns the
    seconds of one call. At 0, one call a round; above, the number of calls is fixed here, after a
    warm-up call, by counting the calls that fit in a quarter of `min_seconds`."""
    calls = 1
    if min_seconds > 0:
        fn()
        counted, start = 0, time.perf_counter()
        while counted == 0 or time.perf_counter() - start < min_seconds / 4:
            fn()
            counted += 1
        calls = counted * 4

    def side() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls

    return side


# ---- threads, machine and results -------------------------------------------------------------------


@contextmanager
def bench_threads(threads: int) -> Iterator[None]:
    """numpy's BLAS, OpenMP and (if imported) torch on `threads` threads inside the block."""
    from threadpoolctl import threadpool_limits

    if threads < 1:
        raise ValueError(f"expected --threads >= 1 but got {threads}")
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def processor(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor as /proc/cpuinfo names it, with its family, model and widest vector units (a
    virtual machine's name alone can hide which chip it runs on), e.g. "Intel(R) Xeon(R) Processor
    (family 6, model 143; AVX-512, AMX)"; elsewhere what the platform module says."""
    try:
        first = cpuinfo.read_text().split("\n\n")[0]
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    units = [name for flag, name in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("amx_tile", "AMX")) if flag in flags]
    return (f"{fields.get('model name', platform.machine())} (family {fields.get('cpu family', '?')}, model "
            f"{fields.get('model', '?')}; {', '.join(units) or 'no AVX2'})")


def machine(threads: int) -> dict[str, Any]:
    """What the figures were measured on: processor, cores, threads per side, versions, date."""
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    if "torch" in sys.modules:
        versions["torch"] = sys.modules["torch"].__version__
    return {"cpu": processor(), "cores": available_cores(), "threads_per_side": threads, **versions,
            "date": time.strftime("%Y-%m-%d %H:%M")}


def machine_line(env: Mapping[str, Any]) -> str:
    versions = ", ".join(f"{key} {env[key]}" for key in ("python", "numpy", "torch") if key in env)
    return (f"{env['cpu']}, {env['cores']} cores, {env['threads_per_side']} thread(s) per side; {versions}; "
            f"{env['date']}")


def verdict_table(ratios: Sequence[tuple[str, Ratio]]) -> list[str]:
    """Markdown rows: what is compared, the median ratio with the rounds' range, the target, the verdict."""
    lines = ["| comparison | ratio (median, rounds' range) | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {label}: {ratio.name} | {ratio.cell()} | {ratio.target or '-'} | {ratio.verdict.reason} |"
              for label, ratio in ratios]
    return lines


def write_bench_results(name: str, payload: Any, markdown: str, folder: Path = BENCH_RESULTS) -> None:
    """Write `payload` as ``<folder>/<name>.json`` and `markdown` as ``<folder>/<name>.md``; say where."""
    json_path, markdown_path = folder / f"{name}.json", folder / f"{name}.md"
    atomic_write_json(json_path, payload)
    atomic_write_text(markdown_path, markdown if markdown.endswith("\n") else markdown + "\n")
    print(f"wrote {json_path} and {markdown_path}")
