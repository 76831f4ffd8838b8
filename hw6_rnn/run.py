"""hw6: recurrent networks in PyTorch: an SST classifier, a language model, the vanishing-gradient experiment.

    python -m hw6_rnn.run --config hw6_rnn/config.quick.yaml
    python -m hw6_rnn.run --parts '[lm]' --lm.corpus sst_chars --lm.epochs 2
    python -m hw6_rnn.run --parts '[classifier]' --classifier.datasets '[sst5]' --device cuda --amp true

Writes into ``runs/hw6_rnn/<run id>/``: per classifier dataset ``<name>_best.pt``, ``<name>_confusion.png``,
``<name>_loss.png``, ``<name>_dev_accuracy.png``; for the language model ``lm_<level>_best.pt`` and
``lm_<level>_perplexity.png``; ``vanishing.png``; and ``metrics.json`` with every figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from common.plots import plot_curves
from common.run import Run, run_cli, summary_row
from common.torch_utils import amp_enabled, resolve_device
from hw6_rnn.data import load_lm_corpus, load_sst_classification
from hw6_rnn.train import ClassifierConfig, LMConfig, VanishingConfig, train_classifier, train_language_model
from hw6_rnn.vanishing import vanishing_experiment

DATASET_NAMES = {"sst2": "SST-2", "sst5": "SST-5"}


@dataclass
class Config:
    seed: int = 0
    device: str = "auto"              # auto: a CUDA GPU when there is one, else the CPU
    amp: bool = False                 # float16 mixed precision (only on a GPU; ignored on the CPU)
    threads: int | None = None        # torch CPU threads (null: torch's default)
    data: Path | None = None          # data folder holding sst/ (null: COURSE_DATA, data/, ../shared/data)
    parts: list[Literal["classifier", "lm", "vanishing"]] = field(
        default_factory=lambda: ["classifier", "lm", "vanishing"])
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    lm: LMConfig = field(default_factory=LMConfig)
    vanishing: VanishingConfig = field(default_factory=VanishingConfig)

    def __post_init__(self) -> None:
        if not self.parts:
            raise ValueError("parts is empty; list some of classifier, lm, vanishing")


def main(config: Config, run: Run) -> dict[str, Any]:
    device = resolve_device(config.device)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    amp = amp_enabled(device, config.amp)
    run.log(f"hw6_rnn: device {device}{' with float16 mixed precision' if amp else ''}, "
            f"{torch.get_num_threads()} CPU threads")
    metrics: dict[str, Any] = {"device": str(device), "amp": amp, "summary": []}
    if "classifier" in config.parts:
        settings = config.classifier
        for view in settings.datasets:
            data = load_sst_classification(view, settings.phrases, settings.min_freq, settings.max_train, config.data)
            result = train_classifier(settings, data, view, run, device, amp, config.seed)
            metrics[view] = result
            label = f"{DATASET_NAMES[view]} test"
            kind = f"{'bi' if settings.bidirectional else ''}{settings.cell.upper()} classifier"
            metrics["summary"] += [summary_row(label, f"{kind} accuracy", round(result["test_accuracy"], 4)),
                                   summary_row(label, f"{kind} macro-F1", round(result["test_macro_f1"], 4))]
    if "lm" in config.parts:
        settings = config.lm
        corpus = load_lm_corpus(settings.corpus, settings.max_train_tokens, settings.min_freq, config.data)
        result = train_language_model(settings, corpus, run, device, amp)
        metrics["lm"] = result
        dataset = "PTB test" if settings.corpus == "ptb" else "SST test (characters)"
        metrics["summary"] += [
            summary_row(dataset, f"{settings.num_layers}x{settings.hidden_size} {settings.cell.upper()} LM perplexity "
                        f"({result['epochs_completed']:g} epochs)", round(result["test_perplexity"], 2)),
            summary_row(dataset.split()[0] + " train", f"LM training {result['unit']}/s ({device})",
                        round(result["tokens_per_second"])),
        ]
    if "vanishing" in config.parts:
        settings = config.vanishing
        norms = vanishing_experiment(settings.steps, settings.hidden_size, settings.input_size, settings.batch_size,
                                     settings.forget_bias, config.seed)
        steps_back = list(range(settings.steps))
        plot_curves({name: (steps_back, values) for name, values in norms.items()}, run.path("vanishing.png"),
                    xlabel="steps back from the last input", ylabel="mean ||dL/dx||", logy=True,
                    title="Gradient reaching back through time (untrained cells)")
        metrics["vanishing"] = norms
        for name, values in norms.items():
            run.log(f"vanishing: {name}: gradient norm 1 step back {values[1]:.3g}, 20 steps back "
                    f"{values[min(20, len(values) - 1)]:.3g}")
    return metrics


if __name__ == "__main__":
    run_cli("hw6_rnn", Config, main)
