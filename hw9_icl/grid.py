"""The run's long part (given code): every cell of the grid (k x strategy, and random labels), the
ensemble's template x draw cells and the generation experiment, each scored once, and resumable.

A finished cell's result is kept in two places. The run folder's ``last.ckpt`` holds every cell this run
has finished (rewritten atomically after each one), so ``python -m hw9_icl.run --resume runs/hw9_icl/<id>``
continues without scoring them again, and its log names each cell it reuses. The cache shared by every
run (``cache_dir``, one JSON file per cell keyed by the model, template, data and cell) lets another run,
or a larger grid, compute only what is new.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from common.fileio import atomic_write_json
from common.run import Run
from hw9_icl.config import Config
from hw9_icl.evaluate import (
    Cell,
    accuracies,
    content_free_bias,
    demonstrations,
    ensemble_accuracies,
    load_data,
    score_cell,
)
from hw9_icl.generation import generate_answers, parse_answer
from hw9_icl.models import LanguageModel, encode_prompt
from hw9_icl.prompts import Demonstration, Template, build_prompt, load_template


class CellStore:
    """Scores each cell once: from this run's ``last.ckpt``, else from the shared cache, else computed."""

    def __init__(self, run: Run, cache_dir: Path) -> None:
        self.run, self.cache_dir = run, Path(cache_dir)
        saved = run.checkpoints.load("last")
        self.finished: dict[str, dict[str, Any]] = saved["cells"] if saved else {}
        self.restored = set(self.finished)  # finished before the run stopped, not yet asked for since
        if saved:
            run.log(f"hw9: resuming from {run.checkpoints.path('last')}: finished cells {len(self.finished)}, "
                    "none of them scored again")

    def get(self, lm: LanguageModel, kind: str, key: dict, compute: Callable[[], Any]) -> tuple[Any, float | None]:
        """(`compute()`'s result for `key`, the seconds it took in this run (before a resume too) or None when
        it was not computed for this request: read from the shared cache, or asked for before in this run)."""
        digest = hashlib.sha256(json.dumps({"kind": kind, **key}, sort_keys=True).encode()).hexdigest()[:20]
        name = f"{lm.fingerprint}/{kind}-{digest}"
        if name in self.restored:
            self.restored.remove(name)
            self.run.log(f"hw9: reused {kind} {_describe(key)} from last.ckpt")
            return self.finished[name]["result"], self.finished[name]["seconds"]
        if name in self.finished:  # e.g. an ensemble member that is also a grid cell
            return self.finished[name]["result"], None
        path = self.cache_dir / f"{name}.json"
        if path.is_file():
            result, seconds = json.loads(path.read_text(encoding="utf-8"))["result"], None
        else:
            started = time.perf_counter()
            result = compute()
            seconds = round(time.perf_counter() - started, 1)
            atomic_write_json(path, {"key": {"kind": kind, **key}, "seconds": seconds, "result": result})
        self.finished[name] = {"result": result, "seconds": seconds}
        self.run.checkpoints.save("last", {"cells": self.finished})
        return result, seconds


def _describe(key: dict) -> str:
    what = [f"{name}={key[name]}" for name in ("k", "strategy", "seed", "labels", "name") if name in key]
    return f"({key['template']['name']} template, {', '.join(what)})"


@dataclass
class GridResults:
    """Every model's rows: grid cells, random-label cells, generation settings and ensembles."""

    rows: list[dict] = field(default_factory=list)
    random_labels: list[dict] = field(default_factory=list)
    generation: list[dict] = field(default_factory=list)
    ensembles: list[dict] = field(default_factory=list)


def data_key(config: Config, template: Template, num_reviews: int, pool_seed: int) -> dict:
    """What a cell's scores depend on besides the cell itself and the model."""
    return {"template": asdict(template), "split": config.split, "dev": num_reviews,
            "pool": [config.pool_size, config.min_words, config.max_words, pool_seed],
            "calibration_sample": config.calibration_sample}


def grid_cells(config: Config) -> list[Cell]:
    """The grid's cells in scoring order: k = 0, each k > 0 with each strategy, then the random-label cells."""
    cells = [Cell(0, "none", config.seed)] if 0 in config.ks else []
    cells += [Cell(k, strategy, config.seed, config.order) for k in config.ks if k > 0
              for strategy in config.strategies]
    return cells + [Cell(k, "balanced", config.seed, config.order, "random") for k in config.random_labels_ks]


def score_grid(config: Config, lm: LanguageModel, model_name: str, template: Template, data: tuple, vectors: tuple,
               store: CellStore, results: GridResults) -> None:
    """Score every cell of the grid for one model; append a row per cell to `results` (rows or random_labels).
    `data`: (pool, dev); `vectors`: the sentence embeddings (pool [P, 384], dev [N, 384]) or (None, None)."""
    pool, dev = data
    gold = [item.label for item in dev]
    label_names = [word.strip() for word in template.labels]
    key = data_key(config, template, len(dev), config.seed)
    for cell in store.run.progress(grid_cells(config), f"{model_name} grid"):
        scored = Cell(cell.k, "random" if cell.strategy == "none" else cell.strategy, cell.seed, cell.order,
                      cell.labels)
        result, seconds = store.get(lm, "cell", {**key, **cell.key()}, partial(
            score_cell, lm, template, pool, dev, scored, *vectors, config.batch_size, config.calibration_sample))
        raw, calibrated, batch_calibrated = accuracies(result, gold)
        p_cf = [round(p, 4) for p in content_free_bias(result)]
        row = {"model": model_name, "k": cell.k, "strategy": cell.strategy, "labels": cell.labels,
               "accuracy": raw, "calibrated": calibrated, "batch_calibrated": batch_calibrated,
               "p_cf": p_cf, "seconds": seconds}
        (results.random_labels if cell.labels == "random" else results.rows).append(row)
        store.run.log(f"hw9: {model_name} k={cell.k} {cell.strategy} ({cell.labels} labels): accuracy {raw:.3f}, "
                      f"calibrated {calibrated:.3f}, batch-calibrated {batch_calibrated:.3f}; p_cf "
                      f"({', '.join(label_names)}) = ({', '.join(f'{p:.3f}' for p in p_cf)})" + _took(seconds))


def score_ensemble(config: Config, lm: LanguageModel, model_name: str, dev: Sequence[Demonstration],
                   store: CellStore) -> dict[str, Any]:
    """Score every template x seed cell of the ensemble; its accuracies and each member's."""
    gold = [item.label for item in dev]
    results, members = [], []
    for seed in config.ensemble_seeds:
        pool, _ = load_data(config.data, config.num_dev, config.min_words, config.max_words, config.pool_size,
                            seed, config.split)
        for name in config.ensemble_templates:
            template = load_template(name)
            cell = Cell(config.ensemble_k, "balanced" if config.ensemble_k > 0 else "random", seed, config.order)
            key = {**data_key(config, template, len(dev), seed), **cell.key()}
            result, seconds = store.get(lm, "cell", key, partial(score_cell, lm, template, pool, dev, cell,
                                                                  batch_size=config.batch_size))
            results.append(result)
            member = dict(zip(("template", "seed", "accuracy", "calibrated", "batch_calibrated"),
                              (name, seed, *accuracies(result, gold)), strict=True))
            members.append(member)
            store.run.log(f"hw9: {model_name} ensemble member {name} seed {seed}: accuracy {member['accuracy']:.3f}, "
                          f"calibrated {member['calibrated']:.3f}, batch-calibrated {member['batch_calibrated']:.3f}"
                          + _took(seconds))
    raw, calibrated, batch_calibrated = ensemble_accuracies(results, gold)
    store.run.log(f"hw9: {model_name} ensemble of {len(results)} (k={config.ensemble_k}): accuracy {raw:.3f}, "
                  f"calibrated {calibrated:.3f}, batch-calibrated {batch_calibrated:.3f}")
    return {"model": model_name, "k": config.ensemble_k, "templates": list(config.ensemble_templates),
            "seeds": list(config.ensemble_seeds), "accuracy": raw, "calibrated": calibrated,
            "batch_calibrated": batch_calibrated, "members": members}


def score_generation(config: Config, lm: LanguageModel, model_name: str, template: Template, data: tuple,
                     store: CellStore) -> list[dict]:
    """Accuracy and unparseable answers of generated labels after balanced demonstrations, per decoding setting."""
    pool, dev = data
    subset = dev[:config.generation_num_dev]
    demos = demonstrations(Cell(config.generation_k, "balanced", config.seed, config.order), pool)
    prompts = [sum(encode_prompt(lm, build_prompt(template, demos, item.sentence)), []) for item in subset]
    rows = []
    for settings in config.decoding:
        key = {**data_key(config, template, len(dev), config.seed), "k": config.generation_k, "n": len(subset),
               **asdict(settings)}
        answers, _ = store.get(lm, "generation", key, partial(generate_answers, lm.model, lm.tokenizer, prompts,
                                                              settings, lm.pad_id, config.batch_size, config.seed))
        parsed = [parse_answer(answer, template.labels) for answer in answers]
        correct = sum(p == item.label for p, item in zip(parsed, subset, strict=True))
        rows.append({"model": model_name, "decoding": settings.name, "k": config.generation_k,
                     "accuracy": correct / len(subset), "unparseable": sum(p is None for p in parsed),
                     "n": len(subset), "examples": answers[:5]})
        store.run.log(f"hw9: {model_name} generation {settings.name}: accuracy {correct / len(subset):.3f}, "
                      f"{rows[-1]['unparseable']} of {len(subset)} unparseable, e.g. {answers[:3]}")
    return rows


def _took(seconds: float | None) -> str:
    return f" [{seconds:.0f} s]" if seconds is not None else " [cached]"
