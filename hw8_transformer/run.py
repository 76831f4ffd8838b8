"""Fine-tune a pre-trained encoder on SST-2, and train a linear probe on the frozen encoder beside it.

    python -m hw8_transformer.run --config hw8_transformer/config.quick.yaml
    python -m hw8_transformer.run --model-path /path/to/bert-base-uncased --train.lr 3e-5
    python -m hw8_transformer.run --resume runs/hw8_transformer/<id>          # continue a killed run
    torchrun --nproc_per_node 4 -m hw8_transformer.run --config hw8_transformer/config.yaml
    accelerate launch --multi_gpu --num_processes 4 -m hw8_transformer.run --config hw8_transformer/config.yaml

Config (config.py) -> SST-2, tokenised (data.py) -> per mode (probe, finetune): a classifier (model.py),
fit (train.py; ``<mode>.best.ckpt``, ``<mode>.last.ckpt``) -> the checkpoint chosen on dev, scored and
plotted (evaluate.py); the fine-tuned one exported once to ``best/``, which with pooling cls
``transformers.pipeline("text-classification", model=...)`` loads (export.py). The summary reports the
dev accuracy after the last update and, with ``eval_test``, the test accuracy of the checkpoint chosen on
dev (never the best dev accuracy, a maximum over the evaluations on dev). Under torchrun rank 0 writes
the run folder; the other processes train beside it and write nothing.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from common.checkpoint import load_model
from common.resources import find_model
from common.run import Run, run_cli, summary_row
from common.seed import seed_everything
from hw8_transformer.config import Config, Mode
from hw8_transformer.data import LABEL_NAMES, TokenizedSplit, load_sst2, tokenize_split
from hw8_transformer.distributed import Process, init_distributed, shutdown
from hw8_transformer.evaluate import report
from hw8_transformer.export import from_sequence_classification, save_classifier
from hw8_transformer.model import PretrainedClassifier, check_vocab_match, load_encoder
from hw8_transformer.train import fit


def main(config: Config, run: Run) -> dict[str, Any]:
    process = init_distributed(config.device)
    try:
        return _main(config, run, process)
    finally:
        shutdown(process)


def _main(config: Config, run: Run, process: Process) -> dict[str, Any]:
    cpu_start = time.process_time()
    encoder_path = find_model(config.model_name, config.model_path, "HW8_MODEL_PATH")
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
        if result is None:   # a torchrun process other than rank 0: nothing to report
            continue
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


def build_model(config: Config, encoder_path: Path, device: torch.device,
                pooling: str) -> tuple[torch.nn.Module, Any]:
    """A fresh classifier on `encoder_path` (ours, or transformers' own class viewed as ours) and its tokenizer."""
    if config.head == "auto" and pooling == "cls":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        load_encoder(encoder_path)  # the same checks of the folder and the tokenizer
        sequence_model = AutoModelForSequenceClassification.from_pretrained(
            encoder_path, num_labels=len(LABEL_NAMES), classifier_dropout=config.dropout, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(encoder_path)
        check_vocab_match(tokenizer, sequence_model)
        return from_sequence_classification(sequence_model).to(device), tokenizer
    encoder, tokenizer = load_encoder(encoder_path, add_pooling_layer=pooling == "cls")
    return PretrainedClassifier(encoder, len(LABEL_NAMES), pooling, config.dropout).to(device), tokenizer


def train_mode(mode: Mode, config: Config, run: Run, process: Process, encoder_path: Path,
               data: dict[str, TokenizedSplit]) -> dict[str, Any] | None:
    """Train one classifier (a linear probe or full fine-tuning) with its own checkpoints; on rank 0, load the
    checkpoint chosen on dev, export it (fine-tuning) and report it."""
    settings = config.probe if mode == "probe" else config.train
    pooling = (config.probe_pooling or config.pooling) if mode == "probe" else config.pooling
    model, tokenizer = build_model(config, encoder_path, process.device, pooling)
    if mode == "probe":
        model.set_encoder_trainable(False)
    run.log(f"--- {mode} (pooling {pooling}) ---")
    checkpoints = run.checkpoints.part(mode)
    history = fit(model, data["train"], data["dev"], tokenizer.pad_token_id, settings, process, config.seed,
                  checkpoints, run.log, run.progress)
    if not run.is_main:
        return None
    load_model(checkpoints.path("best"), model)
    if mode == "finetune":
        save_classifier(model, tokenizer, run.path("best"))
    return report(mode, model, history, data, tokenizer.pad_token_id, settings.precision, settings.eval_batch_size,
                  config.mistakes_shown, run)


if __name__ == "__main__":
    run_cli("hw8_transformer", Config, main, description="Fine-tune a pre-trained encoder (all-MiniLM-L6-v2) on "
            "SST-2 with our own training loop, beside a linear probe on the frozen encoder; under torchrun, "
            "DistributedDataParallel.")
