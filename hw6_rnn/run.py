"""hw6: recurrent networks in PyTorch: an SST classifier, a language model, the vanishing-gradient experiment.

    python -m hw6_rnn.run --config hw6_rnn/config.quick.yaml
    python -m hw6_rnn.run --parts '[lm]' --lm.corpus sst_chars --lm.epochs 2
    python -m hw6_rnn.run --parts '[classifier]' --classifier.datasets '[sst5]' --device cuda --amp true
    python -m hw6_rnn.run --resume runs/hw6_rnn/<id>          # continue a killed run

Config (config.py) -> per classifier dataset: SST, fit (epochs, best and last checkpoints), test
figures and plots (common/classifier.py; the optimizers in train.py) -> the language model likewise
(data.py, train.py, evaluate.py) -> the vanishing-gradient experiment (vanishing.py). Writes into
``runs/hw6_rnn/<run id>/``: per classifier dataset ``<name>.best.ckpt``, ``<name>.last.ckpt``,
``<name>_confusion.png``, ``<name>_loss.png``, ``<name>_dev_accuracy.png``; for the language model
``lm.best.ckpt``, ``lm.last.ckpt`` and ``lm_<level>_perplexity.png``; ``vanishing.png``; and
``metrics.json`` with every figure.
"""
from __future__ import annotations

from typing import Any

import torch

from common.classifier import classifier_metrics, fit_classifier, load_sst_classification
from common.config import config_to_dict
from common.run import Run, run_cli, summary_row
from common.torch_utils import amp_enabled, resolve_device
from hw6_rnn.config import Config
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.evaluate import lm_metrics, plot_vanishing
from hw6_rnn.train import build_classifier, build_language_model, classifier_step, fit_language_model
from hw6_rnn.vanishing import vanishing_experiment

DATASET_NAMES = {"sst2": "SST-2", "sst5": "SST-5"}


def main(config: Config, run: Run) -> dict[str, Any]:
    device = resolve_device(config.device)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    amp = amp_enabled(device, config.amp)
    run.log(f"hw6_rnn: device {device}{' with float16 mixed precision' if amp else ''}, "
            f"{torch.get_num_threads()} CPU threads")
    metrics: dict[str, Any] = {"device": str(device), "amp": amp, "summary": []}
    if "classifier" in config.parts:
        for view in config.classifier.datasets:
            metrics[view] = classifier(view, config, run, device, amp)
            metrics["summary"] += classifier_rows(view, config, metrics[view])
    if "lm" in config.parts:
        metrics["lm"] = language_model(config, run, device, amp)
        metrics["summary"] += lm_rows(config, metrics["lm"], device)
    if "vanishing" in config.parts:
        metrics["vanishing"] = vanishing(config, run)
    return metrics


def classifier(view: str, config: Config, run: Run, device: torch.device, amp: bool) -> dict[str, Any]:
    """Train (or finish training) the `view` classifier and score its best dev epoch on test."""
    settings = config.classifier
    data = load_sst_classification(view, settings.phrases, settings.min_freq, settings.max_train, config.data)
    model = build_classifier(settings, data, run.log).to(device)
    history = fit_classifier(classifier_step(model, settings, amp), data, run, view, settings.epochs,
                             settings.batch_size, config.seed, config_to_dict(settings))
    return classifier_metrics(model, data, history, view, run, device, amp)


def language_model(config: Config, run: Run, device: torch.device, amp: bool) -> dict[str, Any]:
    """Train (or finish training) the language model; test perplexity and samples of its best epoch."""
    settings = config.lm
    corpus = load_lm_corpus(settings.corpus, settings.max_train_tokens, settings.min_freq, config.data)
    model = build_language_model(settings, len(corpus.vocab)).to(device)
    history = fit_language_model(model, corpus, settings, run, amp)
    return lm_metrics(model, corpus, settings, history, run, device, amp)


def vanishing(config: Config, run: Run) -> dict[str, list[float]]:
    """Gradient norms through time of three untrained cells, plotted in ``vanishing.png``."""
    settings = config.vanishing
    norms = vanishing_experiment(settings.steps, settings.hidden_size, settings.input_size, settings.batch_size,
                                 settings.forget_bias, config.seed)
    plot_vanishing(norms, run)
    for name, values in norms.items():
        run.log(f"vanishing: {name}: gradient norm 1 step back {values[1]:.3g}, 20 steps back "
                f"{values[min(20, len(values) - 1)]:.3g}")
    return norms


def classifier_rows(view: str, config: Config, result: dict[str, Any]) -> list[dict[str, Any]]:
    settings = config.classifier
    label, kind = f"{DATASET_NAMES[view]} test", f"{'bi' if settings.bidirectional else ''}{settings.cell.upper()}"
    return [summary_row(label, f"{kind} classifier accuracy", round(result["test_accuracy"], 4),
                        key=f"{view}_test_accuracy"),
            summary_row(label, f"{kind} classifier macro-F1", round(result["test_macro_f1"], 4),
                        key=f"{view}_test_macro_f1")]


def lm_rows(config: Config, result: dict[str, Any], device: torch.device) -> list[dict[str, Any]]:
    settings = config.lm
    dataset = "PTB test" if settings.corpus == "ptb" else "SST test (characters)"
    model = f"{settings.num_layers}x{settings.hidden_size} {settings.cell.upper()} LM"
    return [summary_row(dataset, f"{model} perplexity ({result['epochs_completed']:g} epochs)",
                        round(result["test_perplexity"], 2), key=f"{settings.corpus}_test_perplexity"),
            summary_row(dataset.split()[0] + " train", f"LM training {result['unit']}/s ({device})",
                        round(result["tokens_per_second"]))]


if __name__ == "__main__":
    run_cli("hw6_rnn", Config, main, description="Train a (bi)LSTM sentiment classifier on SST and a recurrent "
            "language model (PTB words or SST characters) with truncated BPTT, sample from it, and measure how "
            "much gradient reaches back through an Elman and an LSTM cell.")
