"""In-context learning on SST-2 with a causal LM: accuracy vs k for each demonstration strategy, with and
without calibration; random labels; generation with several decoding settings; base vs instruct.

    python -m hw9_icl.run --config hw9_icl/config.quick.yaml
    python -m hw9_icl.run --config hw9_icl/config.quick.yaml --ks '[0, 4, 8]' --strategies '[nearest]' --template qa
    python -m hw9_icl.run --model_path ~/models/OLMo-2-0425-1B --instruct_model_path ~/models/OLMo-2-0425-1B-Instruct
    python -m hw9_icl.run --ks '[0]' --random_labels_ks '[]' --generation_num_dev 0 --split test

An ensemble (``ensemble_templates``) scores k class-balanced demonstrations drawn with each of
``ensemble_seeds`` (the demonstration pool drawn with the same seed, as ``--seed`` does) under each
template, and averages the cells' normalised or calibrated log-probabilities.

The headline is the grid cell named by ``headline`` (k, strategy, calibration), declared in the config
before the run: never the best cell of the grid, which would be chosen on the very reviews it is reported
on. Each cell's content-free label distribution p_cf (the bias that calibration divides out) is reported
beside its accuracies.

Every grid cell's scores are cached in ``cache_dir`` (default ``runs/hw9_icl/cells``), keyed by the model,
template, data and cell, so a rerun (or a larger grid) recomputes only what is new. Writes
``accuracy.md`` (the table), ``accuracy_vs_k.png``, ``metrics.json`` into ``runs/hw9_icl/<run id>/``.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from common.fileio import atomic_write_json, atomic_write_text
from common.run import REPO_ROOT, Run, run_cli, summary_row
from hw9_icl.evaluate import (
    Cell,
    accuracies,
    check_split,
    content_free_bias,
    demonstrations,
    ensemble_accuracies,
    load_data,
    score_cell,
)
from hw9_icl.generation import DecodingSettings, generate_answers, parse_answer
from hw9_icl.models import LanguageModel, encode_prompt, load_language_model
from hw9_icl.neighbours import embed_sentences
from hw9_icl.plots import plot_accuracy_vs_k
from hw9_icl.prompts import build_prompt, load_template
from hw9_icl.selection import STRATEGIES


def _default_decoding() -> list[DecodingSettings]:
    return [DecodingSettings("greedy"), DecodingSettings("t0.7-p0.9", temperature=0.7, top_p=0.9)]


# headline.calibration -> (the grid row's key, how the report names it)
CALIBRATIONS = {"none": ("accuracy", "uncalibrated"), "content_free": ("calibrated", "calibrated"),
                "batch": ("batch_calibrated", "batch-calibrated")}


@dataclass
class Headline:
    """The grid cell reported as the run's headline, declared before the run (k = 0 ignores the strategy)."""

    k: int = 4
    strategy: str = "balanced"
    calibration: Literal["none", "content_free", "batch"] = "batch"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES or self.calibration not in CALIBRATIONS or self.k < 0:
            raise ValueError(f"expected a headline cell with k >= 0, a strategy of {list(STRATEGIES)} and a "
                             f"calibration of {list(CALIBRATIONS)}, but got k={self.k}, {self.strategy!r}, "
                             f"{self.calibration!r}")

    def describe(self) -> str:
        cell = "k=0" if self.k == 0 else f"k={self.k} {self.strategy}"
        return f"{cell}, {CALIBRATIONS[self.calibration][1]}"


@dataclass
class Config:
    seed: int = 0
    data: Path | None = None                 # data folder holding sst2/ (default: the resolver's order)
    model_path: str | None = None            # default: Gemma 3 270M from the course model folder
    instruct_model_path: str | None = None   # a second (instruction-tuned) model evaluated on the same grid
    chat: str = "auto"                       # auto (chat template if the tokenizer has one) | yes | no
    template: str = "review"                 # a name in templates.yaml
    split: str = "dev"                       # dev (choose settings here) | test (confirm a dev choice, once)
    num_dev: int = 0                         # first N sentences of the split (0: all 872 dev / 1,821 test)
    pool_size: int = 4000                    # demonstration pool drawn from SST-2 train phrases (0: all)
    min_words: int = 6
    max_words: int = 30
    ks: list[int] = field(default_factory=lambda: [0, 1, 2, 4, 8, 16])
    strategies: list[str] = field(default_factory=lambda: list(STRATEGIES))
    order: str = "as_selected"               # as_selected | reversed | shuffled
    random_labels_ks: list[int] = field(default_factory=lambda: [4, 8])  # balanced demos, random labels
    generation_k: int = 4                    # balanced demonstrations for the generation experiment
    generation_num_dev: int = 100            # first N reviews of the split for generation (0: skip)
    decoding: list[DecodingSettings] = field(default_factory=_default_decoding)
    batch_size: int = 16
    calibration_sample: int = 32
    ensemble_templates: list[str] = field(default_factory=list)  # [] = no ensemble
    ensemble_seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    ensemble_k: int = 16
    cache_dir: Path | None = None            # default runs/hw9_icl/cells
    headline: Headline = field(default_factory=Headline)  # the cell reported as the headline, declared here

    def __post_init__(self) -> None:
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategies {unknown}; choose from {list(STRATEGIES)}")
        check_split(self.split)
        if any(k < 0 for k in self.ks) or not self.ks:
            raise ValueError(f"ks must be a non-empty list of k >= 0, got {self.ks}")
        if self.ensemble_templates and (self.ensemble_k < 0 or not self.ensemble_seeds):
            raise ValueError(f"an ensemble needs ensemble_k >= 0 and at least one seed, got k = {self.ensemble_k}, "
                             f"seeds {self.ensemble_seeds}")
        for name in self.ensemble_templates:
            load_template(name)  # an unknown name fails here, before any model is loaded


def main(config: Config, run: Run) -> dict[str, Any]:
    template = load_template(config.template)
    pool, dev = load_data(config.data, config.num_dev, config.min_words, config.max_words, config.pool_size,
                          config.seed, config.split)
    gold = [item.label for item in dev]
    cache_dir = Path(config.cache_dir or REPO_ROOT / "runs" / "hw9_icl" / "cells")
    run.log(f"hw9: {len(dev)} {config.split} reviews, a pool of {len(pool)} demonstrations, template {template.name!r}")
    pool_vectors = dev_vectors = None
    if "nearest" in config.strategies and any(k > 0 for k in config.ks):
        started = time.perf_counter()
        pool_vectors = embed_sentences([item.sentence for item in pool], cache_dir)
        dev_vectors = embed_sentences([item.sentence for item in dev], cache_dir)
        run.log(f"hw9: sentence embeddings {pool_vectors.shape} + {dev_vectors.shape} "
                f"({time.perf_counter() - started:.0f} s, cached in {cache_dir})")
    data_key = _data_key(config, template, len(dev), config.seed)
    models = [config.model_path] + ([config.instruct_model_path] if config.instruct_model_path else [])
    rows, generation, random_labels, ensembles = [], [], [], []
    label_names = [word.strip() for word in template.labels]
    for model_path in models:
        lm = load_language_model(model_path, config.chat)
        model_name = f"{lm.name}{' (chat)' if lm.chat else ''}"
        run.log(f"hw9: model {model_name}, context {lm.context_length} tokens")

        cached = partial(_cached, cache_dir / lm.fingerprint, data_key, run)

        cells = [Cell(0, "none", config.seed)] if 0 in config.ks else []
        cells += [Cell(k, strategy, config.seed, config.order) for k in config.ks if k > 0
                  for strategy in config.strategies]
        cells += [Cell(k, "balanced", config.seed, config.order, "random") for k in config.random_labels_ks]
        for cell in run.progress(cells, f"{model_name} grid"):
            strategy = "random" if cell.strategy == "none" else cell.strategy
            result, seconds = cached("cell", cell.key(), partial(
                score_cell, lm, template, pool, dev, Cell(cell.k, strategy, cell.seed, cell.order, cell.labels),
                pool_vectors, dev_vectors, config.batch_size, config.calibration_sample))
            raw, calibrated, batch_calibrated = accuracies(result, gold)
            p_cf = [round(p, 4) for p in content_free_bias(result)]
            row = {"model": model_name, "k": cell.k, "strategy": cell.strategy, "labels": cell.labels,
                   "accuracy": raw, "calibrated": calibrated, "batch_calibrated": batch_calibrated,
                   "p_cf": p_cf, "seconds": seconds}
            (random_labels if cell.labels == "random" else rows).append(row)
            run.log(f"hw9: {model_name} k={cell.k} {cell.strategy} ({cell.labels} labels): accuracy {raw:.3f}, "
                    f"calibrated {calibrated:.3f}, batch-calibrated {batch_calibrated:.3f}; p_cf "
                    f"({', '.join(label_names)}) = ({', '.join(f'{p:.3f}' for p in p_cf)})"
                    + (f" [{seconds:.0f} s]" if seconds is not None else " [cached]"))
        if config.ensemble_templates:
            ensembles.append(_ensemble(config, lm, model_name, dev, cache_dir / lm.fingerprint, run))
        if config.generation_num_dev > 0:
            generation += _generation(config, lm, model_name, template, pool, dev, cached, run)
    headlines = _headlines(config.headline, rows, multiple=len(models) > 1)
    if not headlines:
        run.log(f"hw9: the declared headline cell ({config.headline.describe()}) is not in this grid, so the run "
                "reports no headline; to have one, name a cell of the grid with --headline.k / --headline.strategy")
    _write_report(run, config, rows, random_labels, generation, ensembles, label_names)
    return _metrics(rows, random_labels, generation, ensembles, headlines, len(dev), config.split,
                    config.headline.calibration)


def _data_key(config: Config, template, num_reviews: int, pool_seed: int) -> dict:
    """What a cached cell depends on besides the cell itself and the model."""
    return {"template": asdict(template), "split": config.split, "dev": num_reviews,
            "pool": [config.pool_size, config.min_words, config.max_words, pool_seed],
            "calibration_sample": config.calibration_sample}


def _ensemble(config: Config, lm: LanguageModel, model_name: str, dev, folder: Path, run: Run) -> dict[str, Any]:
    """Score (cached) every template x seed cell of the ensemble; its accuracies and each member's."""
    gold = [item.label for item in dev]
    results, members = [], []
    for seed in config.ensemble_seeds:
        pool, _ = load_data(config.data, config.num_dev, config.min_words, config.max_words, config.pool_size,
                            seed, config.split)
        for name in config.ensemble_templates:
            template = load_template(name)
            cell = Cell(config.ensemble_k, "balanced" if config.ensemble_k > 0 else "random", seed, config.order)
            result, seconds = _cached(folder, _data_key(config, template, len(dev), seed), run, "cell", cell.key(),
                                      partial(score_cell, lm, template, pool, dev, cell,
                                              batch_size=config.batch_size))
            results.append(result)
            members.append(dict(zip(("template", "seed", "accuracy", "calibrated", "batch_calibrated"),
                                    (name, seed, *accuracies(result, gold)), strict=True)))
            member = members[-1]
            run.log(f"hw9: {model_name} ensemble member {name} seed {seed}: accuracy {member['accuracy']:.3f}, "
                    f"calibrated {member['calibrated']:.3f}, batch-calibrated {member['batch_calibrated']:.3f}"
                    + (f" [{seconds:.0f} s]" if seconds is not None else " [cached]"))
    raw, calibrated, batch_calibrated = ensemble_accuracies(results, gold)
    run.log(f"hw9: {model_name} ensemble of {len(results)} (k={config.ensemble_k}): accuracy {raw:.3f}, "
            f"calibrated {calibrated:.3f}, batch-calibrated {batch_calibrated:.3f}")
    return {"model": model_name, "k": config.ensemble_k, "templates": list(config.ensemble_templates),
            "seeds": list(config.ensemble_seeds), "accuracy": raw, "calibrated": calibrated,
            "batch_calibrated": batch_calibrated, "members": members}


def _cached(folder: Path, data_key: dict, run: Run, kind: str, key: dict,
            compute: Callable[[], Any]) -> tuple[Any, float | None]:
    """`compute()`'s result, read from ``folder`` when this `key` was computed before; (result, seconds or None)."""
    key = {**data_key, **key}
    digest = hashlib.sha256(json.dumps({"kind": kind, **key}, sort_keys=True).encode()).hexdigest()[:20]
    path = folder / f"{kind}-{digest}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))["result"], None
    started = time.perf_counter()
    result = compute()
    seconds = round(time.perf_counter() - started, 1)
    atomic_write_json(path, {"key": {"kind": kind, **key}, "seconds": seconds, "result": result})
    return result, seconds


def _generation(config: Config, lm: LanguageModel, model_name: str, template, pool, dev, cached, run: Run) -> list:
    """Accuracy and unparseable answers of generated labels, for each decoding setting."""
    subset = dev[:config.generation_num_dev]
    demos = demonstrations(Cell(config.generation_k, "balanced", config.seed, config.order), pool)
    prompts = [sum(encode_prompt(lm, build_prompt(template, demos, item.sentence)), []) for item in subset]
    rows = []
    for settings in config.decoding:
        answers, seconds = cached("generation", {"k": config.generation_k, "n": len(subset), **asdict(settings)},
                                  partial(generate_answers, lm.model, lm.tokenizer, prompts, settings, lm.pad_id,
                                          config.batch_size, config.seed))
        parsed = [parse_answer(answer, template.labels) for answer in answers]
        correct = sum(p == item.label for p, item in zip(parsed, subset, strict=True))
        rows.append({"model": model_name, "decoding": settings.name, "k": config.generation_k,
                     "accuracy": correct / len(subset), "unparseable": sum(p is None for p in parsed),
                     "n": len(subset), "examples": answers[:5]})
        run.log(f"hw9: {model_name} generation {settings.name}: accuracy {correct / len(subset):.3f}, "
                f"{rows[-1]['unparseable']} of {len(subset)} unparseable, e.g. {answers[:3]}")
    return rows


def _headlines(headline: Headline, rows: list[dict], multiple: bool) -> list[dict]:
    """The declared headline cell of each model, where the grid holds it: {model, cell, calibration, accuracy}."""
    found = []
    for row in rows:
        if row["k"] == headline.k and (headline.k == 0 or row["strategy"] == headline.strategy):
            cell = f"{row['model']}: {headline.describe()}" if multiple else headline.describe()
            found.append({"model": row["model"], "cell": cell, "k": headline.k, "strategy": row["strategy"],
                          "calibration": headline.calibration, "accuracy": row[CALIBRATIONS[headline.calibration][0]],
                          "chosen": "declared in the config before the run (headline), not picked from the grid"})
    return found


def _write_report(run: Run, config: Config, rows, random_labels, generation, ensembles, label_names) -> None:
    bias = f"p_cf ({' / '.join(label_names)})"
    lines = [f"SST-2 {config.split}, template `{config.template}`; headline cell, declared in the config: "
             f"{config.headline.describe()}. p_cf: the label distribution of the content-free inputs "
             "(the bias that calibration divides out).", "",
             f"| model | k | strategy | accuracy | calibrated | batch-calibrated | {bias} | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['k']} | {r['strategy']} | {r['accuracy']:.3f} | {r['calibrated']:.3f} | "
              f"{r['batch_calibrated']:.3f} | {_proportions(r['p_cf'])} | "
              f"{'cached' if r['seconds'] is None else r['seconds']} |" for r in rows]
    if random_labels:
        lines += ["", "Random labels (balanced demonstrations):", "",
                  "| model | k | gold labels | random labels | gold, calibrated | random, calibrated | "
                  f"{bias}, random |",
                  "|---|---|---|---|---|---|---|"]
        for r in random_labels:
            twin = next((g for g in rows if g["model"] == r["model"] and g["k"] == r["k"]
                         and g["strategy"] == "balanced"), None)
            gold_text = f"{twin['accuracy']:.3f} | " if twin else "n/a | "
            gold_cal = f"{twin['calibrated']:.3f} | " if twin else "n/a | "
            lines.append(f"| {r['model']} | {r['k']} | {gold_text}{r['accuracy']:.3f} | {gold_cal}"
                         f"{r['calibrated']:.3f} | {_proportions(r['p_cf'])} |")
    if generation:
        lines += ["", "Generation (balanced demonstrations):", "",
                  "| model | decoding | k | accuracy | unparseable |", "|---|---|---|---|---|"]
        lines += [f"| {g['model']} | {g['decoding']} | {g['k']} | {g['accuracy']:.3f} | "
                  f"{g['unparseable']} of {g['n']} |" for g in generation]
    for e in ensembles:
        lines += ["", f"Ensemble of {len(e['members'])} prompts ({e['model']}: k={e['k']} class-balanced, templates "
                  f"{', '.join(e['templates'])}, seeds {', '.join(map(str, e['seeds']))}; log-probabilities averaged):",
                  "", "| members | accuracy | calibrated | batch-calibrated |", "|---|---|---|---|"]
        lines += [f"| {m['template']}, seed {m['seed']} | {m['accuracy']:.3f} | {m['calibrated']:.3f} | "
                  f"{m['batch_calibrated']:.3f} |" for m in e["members"]]
        lines.append(f"| **the ensemble** | {e['accuracy']:.3f} | {e['calibrated']:.3f} | "
                     f"{e['batch_calibrated']:.3f} |")
    atomic_write_text(run.path("accuracy.md"), "\n".join(lines) + "\n")
    plot_accuracy_vs_k(rows + random_labels, run.path("accuracy_vs_k.png"),
                       title=f"SST-2 {config.split} ({config.template} template)")


def _proportions(values: list[float]) -> str:
    return " / ".join(f"{value:.3f}" for value in values)


def _metrics(rows, random_labels, generation, ensembles, headlines, num_dev: int, split: str,
             calibration: str) -> dict[str, Any]:
    """The metrics; the summary holds declared figures only (keys for reference.yaml: the first model's)."""
    dataset = f"SST-2 {split} ({num_dev})"
    first = rows[0]["model"] if rows else None
    summary = [summary_row(dataset, f"accuracy, {h['cell']} (declared in the config)", round(h["accuracy"], 4),
                           key="headline_accuracy" if h["model"] == first else None) for h in headlines]
    for zero in (r for r in rows if r["k"] == 0):
        name = f"{zero['model']}: " if len({r["model"] for r in rows}) > 1 else ""
        summary += [summary_row(dataset, f"{name}k=0 accuracy", round(zero["accuracy"], 4),
                                key="zero_shot_accuracy" if zero["model"] == first else None),
                    summary_row(dataset, f"{name}k=0 accuracy, calibrated on the content-free inputs",
                                round(zero["calibrated"], 4),
                                key="zero_shot_calibrated" if zero["model"] == first else None)]
    column, variant = CALIBRATIONS[calibration]
    summary += [summary_row(dataset, f"{e['model']}: ensemble of {len(e['members'])} prompts (k={e['k']}), {variant} "
                            "(declared in the config)", round(e[column], 4),
                            key="ensemble_accuracy" if e["model"] == first else None) for e in ensembles]
    return {"grid": rows, "random_labels": random_labels, "generation": generation, "ensembles": ensembles,
            "headline": headlines,
            "summary": summary,
            "accuracy_table": np.round([[r["k"], r["accuracy"], r["calibrated"], r["batch_calibrated"]] for r in rows],
                                       4).tolist()}


if __name__ == "__main__":
    run_cli("hw9_icl", Config, main)
