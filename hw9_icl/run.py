"""In-context learning on SST-2 with a causal LM: accuracy vs k for each demonstration strategy, with and
without calibration; random labels; generation with several decoding settings; base vs instruct; an
ensemble of templates x draws. Nothing is trained.

    python -m hw9_icl.run --config hw9_icl/config.quick.yaml
    python -m hw9_icl.run --config hw9_icl/config.quick.yaml --ks '[0, 4, 8]' --strategies '[nearest]' --template qa
    python -m hw9_icl.run --model_path ~/models/OLMo-2-0425-1B --instruct_model_path ~/models/OLMo-2-0425-1B-Instruct
    python -m hw9_icl.run --ks '[0]' --random_labels_ks '[]' --generation_num_dev 0 --split test
    python -m hw9_icl.run --resume runs/hw9_icl/<id>      # an interrupted run: finished cells are not scored again

An ensemble (``ensemble_templates``) scores k class-balanced demonstrations drawn with each of
``ensemble_seeds`` (the demonstration pool drawn with the same seed, as ``--seed`` does) under each
template, and averages the cells' normalised or calibrated log-probabilities.

The headline is the grid cell named by ``headline`` (k, strategy, calibration), declared in the config
before the run: never the best cell of the grid, which would be chosen on the very reviews it is reported
on. Each cell's content-free label distribution p_cf (the bias that calibration divides out) is reported
beside its accuracies.

The grid (grid.py) keeps every finished cell in the run folder's ``last.ckpt`` and in the cache shared by
every run (``cache_dir``, default ``runs/hw9_icl/cells``). Writes ``accuracy.md`` (the table),
``accuracy_vs_k.png`` and ``metrics.json`` into ``runs/hw9_icl/<run id>/`` (report.py).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from common.run import REPO_ROOT, Run, run_cli
from hw9_icl.config import Config
from hw9_icl.evaluate import load_data
from hw9_icl.grid import CellStore, GridResults, score_ensemble, score_generation, score_grid
from hw9_icl.models import load_language_model
from hw9_icl.neighbours import embed_sentences
from hw9_icl.prompts import load_template
from hw9_icl.report import declared_headlines, metrics, write_report


def main(config: Config, run: Run) -> dict[str, Any]:
    template = load_template(config.template)
    pool, dev = load_data(config.data, config.num_dev, config.min_words, config.max_words, config.pool_size,
                          config.seed, config.split)
    cache_dir = Path(config.cache_dir or REPO_ROOT / "runs" / "hw9_icl" / "cells")
    run.log(f"hw9: {len(dev)} {config.split} reviews, a pool of {len(pool)} demonstrations, template {template.name!r}")
    vectors = neighbour_vectors(config, pool, dev, cache_dir, run)
    store = CellStore(run, cache_dir)
    results = GridResults()
    models = [config.model_path] + ([config.instruct_model_path] if config.instruct_model_path else [])
    for model_path in models:
        lm = load_language_model(model_path, config.chat)
        model_name = f"{lm.name}{' (chat)' if lm.chat else ''}"
        run.log(f"hw9: model {model_name}, context {lm.context_length} tokens")
        score_grid(config, lm, model_name, template, (pool, dev), vectors, store, results)
        if config.ensemble_templates:
            results.ensembles.append(score_ensemble(config, lm, model_name, dev, store))
        if config.generation_num_dev > 0:
            results.generation += score_generation(config, lm, model_name, template, (pool, dev), store)
    headlines = declared_headlines(config.headline, results.rows, multiple=len(models) > 1)
    if not headlines:
        run.log(f"hw9: the declared headline cell ({config.headline.describe()}) is not in this grid, so the run "
                "reports no headline; to have one, name a cell of the grid with --headline.k / --headline.strategy")
    write_report(run, config, results, [word.strip() for word in template.labels])
    return metrics(results, headlines, len(dev), config.split, config.headline.calibration)


def neighbour_vectors(config: Config, pool, dev, cache_dir: Path, run: Run) -> tuple:
    """Sentence embeddings (pool [P, 384], reviews [N, 384]) when a cell uses ``nearest``, else (None, None)."""
    if "nearest" not in config.strategies or not any(k > 0 for k in config.ks):
        return None, None
    started = time.perf_counter()
    pool_vectors = embed_sentences([item.sentence for item in pool], cache_dir)
    dev_vectors = embed_sentences([item.sentence for item in dev], cache_dir)
    run.log(f"hw9: sentence embeddings {pool_vectors.shape} + {dev_vectors.shape} "
            f"({time.perf_counter() - started:.0f} s, cached in {cache_dir})")
    return pool_vectors, dev_vectors


if __name__ == "__main__":
    run_cli("hw9_icl", Config, main, description=(
        "Prompt a frozen causal LM (default Gemma 3 270M) to classify SST-2 reviews, nothing trained: a grid of "
        "k demonstrations x selection strategy, each uncalibrated, calibrated on content-free inputs and "
        "batch-calibrated; random labels; generation; an optional template x draw ensemble. Writes accuracy.md, "
        "accuracy_vs_k.png and metrics.json; --resume continues an interrupted grid without rescoring its cells."))
