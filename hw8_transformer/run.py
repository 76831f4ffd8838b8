"""Fine-tune a pre-trained encoder on SST-2 (and/or train a linear probe on the frozen encoder).

    python -m hw8_transformer.run --config hw8_transformer/config.quick.yaml
    python -m hw8_transformer.run --model-path /path/to/bert-base-uncased --train.lr 3e-5
    torchrun --nproc_per_node 4 -m hw8_transformer.run --config hw8_transformer/config.yaml
    accelerate launch --multi_gpu --num_processes 4 -m hw8_transformer.run --config hw8_transformer/config.yaml

The summary reports the dev accuracy after the last update, a model fixed before any dev figure is seen, and
(with ``eval_test``) the test accuracy of the checkpoint chosen on dev; the best dev accuracy itself is a
maximum over the evaluations on dev, so it is kept in ``metrics.json`` but never reported as the headline.

Writes into ``runs/hw8_transformer/<run id>/``: ``best/`` (the best-on-dev fine-tuned checkpoint; with
pooling cls ``transformers.pipeline("text-classification", model=...)`` loads it), ``loss_<mode>.png``,
``dev_accuracy_<mode>.png``, ``confusion_<mode>.png`` (mode: probe or finetune), ``metrics.json``
(accuracies, the most confident dev mistakes, accuracy by sentence length, examples/s). Under torchrun
only rank 0 writes.
"""
from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from common.config import load_config
from common.metrics import confusion_matrix
from common.plots import plot_confusion_matrix, plot_curves
from common.resources import find_model
from common.run import REPO_ROOT, Run, run_cli, summary_row
from common.seed import seed_everything
from hw8_transformer.analysis import accuracy_by_length, confident_mistakes
from hw8_transformer.data import LABEL_NAMES, TokenizedSplit, load_sst2, tokenize_split
from hw8_transformer.distributed import Process, init_distributed, shutdown
from hw8_transformer.export import save_classifier
from hw8_transformer.model import POOLINGS, PretrainedClassifier, load_encoder
from hw8_transformer.train import TrainSettings, evaluate, fit

HW = "hw8_transformer"
MODEL_ENV = "HW8_MODEL_PATH"
Mode = Literal["probe", "finetune"]


def _probe_defaults() -> TrainSettings:
    return TrainSettings(lr=1e-3, weight_decay=0.0, warmup=0.0, epochs=1.0)


@dataclass
class Config:
    seed: int = 0
    data: Path | None = None                  # folder holding sst2/ (default: the course data resolver)
    model_name: str = "all-MiniLM-L6-v2"      # found by common.resources.find_model
    model_path: Path | None = None            # a local checkpoint folder instead (or $HW8_MODEL_PATH)
    pooling: str = "cls"                      # cls (pooler on [CLS]) | mean (masked mean of token states)
    probe_pooling: str | None = "mean"        # the linear probe's pooling (None: the same as pooling)
    dropout: float = 0.1
    head: Literal["ours", "auto"] = "ours"    # auto: AutoModelForSequenceClassification (pooling cls)
    modes: list[str] = field(default_factory=lambda: ["probe", "finetune"])
    max_length: int = 64                      # tokens, [CLS] and [SEP] included; longer sentences are cut
    train_examples: int | None = None         # a random subset of the 67,349 training phrases
    eval_test: bool = False                   # also report the labelled test split (1,821 sentences)
    device: str = "auto"                      # auto | cpu | cuda
    mistakes_shown: int = 10
    train: TrainSettings = field(default_factory=TrainSettings)
    probe: TrainSettings = field(default_factory=_probe_defaults)

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS or self.probe_pooling not in (*POOLINGS, None):
            raise ValueError(f"pooling and probe_pooling must be one of {POOLINGS}, got {self.pooling!r} "
                             f"and {self.probe_pooling!r}")
        unknown = [mode for mode in self.modes if mode not in ("probe", "finetune")]
        if unknown or not self.modes:
            raise ValueError(f"modes must list probe and/or finetune, got {self.modes}")
        if self.head == "auto" and self.pooling != "cls":
            raise ValueError("head auto (AutoModelForSequenceClassification) pools with cls; set pooling: cls "
                             "(a mean-pooled linear probe always uses our head)")


def build_model(config: Config, encoder_path: Path, device: torch.device,
                pooling: str) -> tuple[torch.nn.Module, Any]:
    """A fresh classifier on `encoder_path` (ours, or transformers' own class viewed as ours) and its tokenizer."""
    if config.head == "auto" and pooling == "cls":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from hw8_transformer.export import from_sequence_classification
        from hw8_transformer.model import check_vocab_match

        load_encoder(encoder_path)  # the same checks of the folder and the tokenizer
        sequence_model = AutoModelForSequenceClassification.from_pretrained(
            encoder_path, num_labels=len(LABEL_NAMES), classifier_dropout=config.dropout, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(encoder_path)
        check_vocab_match(tokenizer, sequence_model)
        return from_sequence_classification(sequence_model).to(device), tokenizer
    encoder, tokenizer = load_encoder(encoder_path, add_pooling_layer=pooling == "cls")
    return PretrainedClassifier(encoder, len(LABEL_NAMES), pooling, config.dropout).to(device), tokenizer


def main(config: Config, run: Run) -> dict[str, Any]:
    process = init_distributed(config.device)
    try:
        return _main(config, run, process)
    finally:
        shutdown(process)


def _main(config: Config, run: Run, process: Process) -> dict[str, Any]:
    cpu_start = time.process_time()
    encoder_path = find_model(config.model_name, config.model_path, MODEL_ENV)
    run.log(f"encoder: {encoder_path}; {process.world_size} process(es) on {process.device}")
    splits = load_sst2(["train", "dev", "test"] if config.eval_test else ["train", "dev"], config.data,
                       config.train_examples, config.seed)
    _, tokenizer = load_encoder(encoder_path)
    data = {name: tokenize_split(split, tokenizer, config.max_length) for name, split in splits.items()}
    for name, split in data.items():
        run.log(f"{name}: {len(split):,} examples, mean {split.lengths.mean():.1f} tokens, "
                f"{split.num_truncated} truncated to {config.max_length} tokens")
    metrics: dict[str, Any] = {"device": str(process.device), "world_size": process.world_size,
                               "encoder": str(encoder_path), "truncated": {k: v.num_truncated for k, v in data.items()}}
    summary = []
    subset = f"{len(data['train']):,} train phrases" if config.train_examples else "full train"
    for mode in config.modes:
        seed_everything(config.seed)
        result = train_mode(mode, config, run, process, encoder_path, data)
        metrics[mode] = result
        label = f"{'linear probe' if mode == 'probe' else 'fine-tuned'}, pooling {result['pooling']}"
        summary.append(summary_row(f"SST-2 dev ({subset})", f"accuracy after the last update, {label}",
                                   result["final_dev_accuracy"], key=f"{mode}_dev_accuracy"))
        if "test_accuracy" in result:
            summary.append(summary_row(f"SST-2 test ({subset})", f"accuracy of the checkpoint chosen on dev, {label}",
                                       result["test_accuracy"], key=f"{mode}_test_accuracy"))
    metrics["cpu_seconds"] = round(time.process_time() - cpu_start, 1)  # all threads: compare with wall time
    metrics["summary"] = summary
    return metrics


def train_mode(mode: Mode, config: Config, run: Run, process: Process, encoder_path: Path,
               data: dict[str, TokenizedSplit]) -> dict[str, Any]:
    """Train one classifier (a linear probe or full fine-tuning), keep its best-on-dev state, analyse it."""
    settings = config.probe if mode == "probe" else config.train
    pooling = (config.probe_pooling or config.pooling) if mode == "probe" else config.pooling
    model, tokenizer = build_model(config, encoder_path, process.device, pooling)
    if mode == "probe":
        model.set_encoder_trainable(False)
    best: dict[str, Any] = {}

    def keep_best(current: torch.nn.Module) -> None:
        best["state"] = copy.deepcopy({k: v.detach().cpu() for k, v in current.state_dict().items()})
        if mode == "finetune":
            save_classifier(current, tokenizer, run.path("best"))

    run.log(f"--- {mode} (pooling {pooling}) ---")
    history = fit(model, data["train"], data["dev"], tokenizer.pad_token_id, settings, process, config.seed,
                  save_best=keep_best, log=run.log, progress=run.progress if process.is_main else _silent)
    if "state" in best:
        model.load_state_dict(best["state"])
    dev = evaluate(model, data["dev"], tokenizer.pad_token_id, process.device, settings.eval_batch_size,
                   settings.precision)
    result: dict[str, Any] = {
        "pooling": pooling, "dev_accuracy": dev.accuracy, "dev_loss": dev.loss, "best_update": history.best_update,
        "final_dev_accuracy": history.eval_accuracy[-1],
        "train_examples_per_second": round(history.examples_per_second, 2),
        "train_seconds": round(history.train_seconds, 2),
        "curve": {"update_loss": history.update_loss, "eval_updates": history.eval_updates,
                  "dev_accuracy": history.eval_accuracy},
        "confident_mistakes": confident_mistakes(data["dev"].sentences, data["dev"].labels, dev.probabilities,
                                                 config.mistakes_shown),
        "accuracy_by_length": accuracy_by_length(data["dev"].sentences, data["dev"].labels, dev.predictions),
    }
    if "test" in data:
        result["test_accuracy"] = evaluate(model, data["test"], tokenizer.pad_token_id, process.device,
                                           settings.eval_batch_size, settings.precision).accuracy
    run.log(f"{mode}: dev accuracy {history.eval_accuracy[-1]:.4f} after the last update, the best "
            f"{dev.accuracy:.4f} at update {history.best_update} (a maximum over the evaluations on dev); "
            f"{history.examples_per_second:.1f} training examples/s; by length {result['accuracy_by_length']}")
    if process.is_main:
        plot_curves({mode: history.update_loss}, run.path(f"loss_{mode}.png"), xlabel="update",
                    ylabel="training loss (mean cross-entropy)", title=f"{HW}: {mode}")
        plot_curves({mode: (history.eval_updates, history.eval_accuracy)}, run.path(f"dev_accuracy_{mode}.png"),
                    xlabel="update", ylabel="dev accuracy", title=f"{HW}: {mode}")
        matrix = confusion_matrix(data["dev"].labels, dev.predictions, len(LABEL_NAMES))
        plot_confusion_matrix(matrix, LABEL_NAMES, run.path(f"confusion_{mode}.png"), title=f"SST-2 dev, {mode}")
    return result


def _silent(iterable, **_: Any):
    return iterable


class _QuietRun(Run):
    """The run of a process other than rank 0 under torchrun: it logs nothing and writes into a temp folder."""

    def log(self, message: str) -> None:
        pass


def run_worker(argv: list[str] | None = None) -> None:
    """Ranks > 0 under torchrun: the same config and seed as rank 0, no files written."""
    parser = argparse.ArgumentParser(prog=f"python -m {HW}.run")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / HW / "config.yaml")
    parser.add_argument("--runs-root", type=Path)
    parser.add_argument("--run-id")
    args, overrides = parser.parse_known_args(argv)
    config = load_config(Config, args.config, overrides)
    seed_everything(config.seed)
    with tempfile.TemporaryDirectory(prefix=f"{HW}-rank{os.environ['RANK']}-") as folder:
        main(config, _QuietRun(HW, Path(folder)))


if __name__ == "__main__":
    if int(os.environ.get("RANK", "0")) == 0:
        run_cli(HW, Config, main)
    else:
        run_worker()
