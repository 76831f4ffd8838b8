"""Checkpoints of a training run, and a loop that resumes exactly where a killed run stopped.

A run folder keeps two checkpoints, both written atomically (a kill mid-write leaves the old one):
``last.ckpt`` (everything needed to continue) and ``best.ckpt`` (what the homework evaluates, e.g.
the weights with the best dev score). A homework's ``fit`` drives its epochs through a
:class:`TrainingLoop`::

    loop = TrainingLoop(run.checkpoints, state=lambda: {...}, restore=lambda state: ..., log=run.log)
    for epoch in loop.epochs(config.epochs):        # a resumed run starts at its saved epoch
        for batch in loop.batches(epoch_batches):   # ... and batch; last.ckpt every few minutes
            ...                                      # one training step
        ...                                          # evaluate, schedule; last.ckpt at the epoch's end

`state()` returns what the homework must restore (parameters, optimizer and schedule state, history,
the partial sums of the epoch in progress, its own random generators); the loop adds its position
and the global random states (Python, numpy, torch), and restores those exactly where it saved them,
so a resumed run draws the same numbers as one that never stopped. One rule makes that hold: the
order of an epoch's batches must come from the seed and the epoch number, not from a running generator.
"""
from __future__ import annotations

import pickle
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from common.fileio import atomic_path

T = TypeVar("T")
CheckpointName = Literal["last", "best"]
FORMAT = 2


class CheckpointError(ValueError):
    """A checkpoint that does not fit what it is loaded into; the message names the fix."""


def save_state(path: str | Path, state: Mapping[str, Any]) -> Path:
    """Pickle `state` to `path` atomically (torch tensors are moved to the CPU first)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        pickle.dump({"format": FORMAT, **_to_cpu(dict(state))}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_state(path: str | Path) -> dict[str, Any]:
    """What :func:`save_state` wrote. Only load checkpoints you wrote: unpickling runs code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; train a model first (its run writes it)")
    with open(path, "rb") as handle:
        state = pickle.load(handle)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint written by common.checkpoint.save_state")
    return state


def check_vocabularies(path: str | Path, saved: Mapping[str, Sequence[str]], given: Mapping[str, Any]) -> None:
    """Raise CheckpointError unless every vocabulary in `given` has the tokens `saved` under its name:
    indices from another vocabulary would silently mean other words."""
    for name, vocab in given.items():
        tokens = saved.get(name)
        if tokens is None:
            raise CheckpointError(f"{path} holds no vocabulary {name!r} (it has {sorted(saved)})")
        if list(tokens) != list(vocab.tokens):
            where = next((i for i, (a, b) in enumerate(zip(tokens, vocab.tokens, strict=False)) if a != b),
                         min(len(tokens), len(vocab.tokens)))
            raise CheckpointError(
                f"{path}: the {name!r} vocabulary differs from the one the model was trained with "
                f"(saved {len(tokens)} tokens, given {len(vocab)}; first difference at index {where}); "
                "rebuild the vocabulary from the same data and settings, or load the vocabulary saved with the run")


def model_state(model: Any, vocabularies: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None,
                extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a homework evaluates or ships: a model's ``state_dict()`` (torch or edugrad), its
    vocabularies' tokens, its config and `extra` (save it with :func:`save_state` or ``Checkpoints.save``)."""
    return {"model": model.state_dict(),
            "vocabularies": {name: list(vocab.tokens) for name, vocab in (vocabularies or {}).items()},
            "config": dict(config or {}), "extra": dict(extra or {})}


def load_model(path: str | Path, model: Any, vocabularies: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load the weights of a saved :func:`model_state` into `model` (onto the device its parameters are on),
    after checking `vocabularies` against the saved ones; return the whole payload."""
    payload = load_state(path)
    check_vocabularies(path, payload["vocabularies"], vocabularies or {})
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path} does not fit this model (different sizes or layers? train with the same "
                              f"config): {error}") from None
    return payload


class Checkpoints:
    """The run folder's ``last.ckpt`` and ``best.ckpt``; `every_minutes`: how often :meth:`due` says a
    mid-epoch ``last.ckpt`` is wanted (None: only at epoch ends). `writable` False (a torchrun process
    other than rank 0) reads but never writes. A run that trains several models gives each its own
    pair with :meth:`part` (``probe.last.ckpt``, ``probe.best.ckpt``)."""

    def __init__(self, folder: str | Path, every_minutes: float | None = 10.0, writable: bool = True,
                 prefix: str = "") -> None:
        if every_minutes is not None and every_minutes < 0:
            raise ValueError(f"every_minutes must be >= 0 or None, got {every_minutes}")
        self.folder, self.every_minutes, self.writable, self.prefix = Path(folder), every_minutes, writable, prefix
        self.last_saved = time.monotonic()

    def part(self, name: str) -> Checkpoints:
        """The checkpoints of one of several models trained in this run (files ``<name>.last.ckpt`` ...)."""
        return Checkpoints(self.folder, self.every_minutes, self.writable, f"{self.prefix}{name}.")

    def path(self, name: CheckpointName) -> Path:
        return self.folder / f"{self.prefix}{name}.ckpt"

    def save(self, name: CheckpointName, state: Mapping[str, Any]) -> None:
        if self.writable:
            save_state(self.path(name), state)
        if name == "last":
            self.last_saved = time.monotonic()

    def load(self, name: CheckpointName) -> dict[str, Any] | None:
        """The saved state, or None when this run has not written it yet."""
        return load_state(self.path(name)) if self.path(name).is_file() else None

    def due(self) -> bool:
        """Has `every_minutes` passed since ``last.ckpt`` was written?"""
        return self.every_minutes is not None and time.monotonic() - self.last_saved >= 60 * self.every_minutes


def random_states() -> dict[str, Any]:
    """The global generators' states: Python's `random`, numpy's, and torch's (CPU and CUDA) when imported."""
    states: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state()}
    torch = sys.modules.get("torch")
    if torch is not None:
        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_available():
            states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: Mapping[str, Any]) -> None:
    """Restore what :func:`random_states` returned."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    if "torch" in states:
        import torch

        torch.set_rng_state(states["torch"])
        if "cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["cuda"])


class TrainingLoop:
    """Where a training run is (epoch from 1, batches of it done) and how to save and restore the rest."""

    def __init__(self, checkpoints: Checkpoints, state: Callable[[], dict[str, Any]],
                 restore: Callable[[dict[str, Any]], None], log: Callable[[str], None] = print) -> None:
        self.checkpoints, self.state = checkpoints, state
        self.epoch, self.batch, self.pending_random = 1, 0, None
        saved = checkpoints.load("last")
        self.resumed = saved is not None
        if saved is not None:
            restore(saved["state"])
            self.epoch, self.batch, self.pending_random = saved["epoch"], saved["batch"], saved["random"]
            where = f"epoch {self.epoch}, batch {self.batch}" if self.batch else f"the start of epoch {self.epoch}"
            log(f"resumed from {checkpoints.path('last')} at {where}")

    def epochs(self, last: int) -> Iterator[int]:
        """Epochs from the current one to `last`; ``last.ckpt`` is saved after each body has run."""
        while self.epoch <= last:
            if self.batch == 0:
                self._restore_random()
            yield self.epoch
            self.epoch, self.batch = self.epoch + 1, 0
            self.save()
        self._restore_random()  # a run resumed after its last epoch: what follows draws as it would have

    def batches(self, batches: Sequence[T]) -> Iterator[T]:
        """The epoch's batches from the first one not yet done; ``last.ckpt`` whenever one is due."""
        for index in range(self.batch, len(batches)):
            self._restore_random()
            yield batches[index]
            self.batch = index + 1
            if self.checkpoints.due() and self.batch < len(batches):
                self.save()

    def save(self) -> None:
        """Write ``last.ckpt`` now: the homework's state, the position and the global random states."""
        self.checkpoints.save("last", {"epoch": self.epoch, "batch": self.batch, "random": random_states(),
                                       "state": self.state()})

    def _restore_random(self) -> None:
        if self.pending_random is not None:
            set_random_states(self.pending_random)
            self.pending_random = None


def _to_cpu(value: Any) -> Any:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(_to_cpu(item) for item in value)
    return value
