"""Our training loop against Hugging Face ``Trainer`` (``make bench-hw8``): training and evaluation
examples per second on the same SST-2 phrases, the same packaged MiniLM, batch size, learning rate,
sequence cap and machine, in one process.

Both fine-tune the same classifier (pooling cls = ``AutoModelForSequenceClassification``, see
export.py) from the same weights with AdamW and a linear schedule; ``Trainer`` gets the tokenised
dataset and ``DataCollatorWithPadding`` (dynamic padding, random batches: its defaults), and, as a
third row, ``train_sampling_strategy="group_by_length"``. Ours uses its length-grouped batches.
The three alternate round by round (common/bench_results.py), one torch CPU thread by default: a
ratio is the median of the per-round ratios, shown with their range, with no verdict when the
machine was loaded. On a GPU the comparison runs in fp32 and bf16. Target: ours >= 1.5x
Trainer's training examples/s.

    python -m hw8_transformer.bench                       # writes bench/results/hw8.json and hw8.md
    python -m hw8_transformer.bench --train-examples 256 --rounds 3 --threads 2
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch

from common.bench_results import (
    at_least,
    bench_threads,
    machine,
    machine_line,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from common.resources import find_model
from common.seed import seed_everything
from hw8_transformer.config import TrainSettings
from hw8_transformer.data import load_sst2, make_loader, tokenize_split
from hw8_transformer.distributed import Process
from hw8_transformer.evaluate import evaluate
from hw8_transformer.export import from_sequence_classification
from hw8_transformer.train import fit

SPEED_TARGET = 1.5


def fresh_model(path, device: torch.device, dropout: float = 0.1):
    """The same classifier every time: transformers' class (for Trainer) and ours sharing its weights."""
    from transformers import AutoModelForSequenceClassification

    seed_everything(0)
    sequence_model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2,
                                                                        classifier_dropout=dropout)
    return sequence_model.to(device)


def time_ours(path, train, dev, tokenizer, args, device, precision: str) -> dict[str, float]:
    """Seconds per example of our `fit` (training) and `evaluate`."""
    model = from_sequence_classification(fresh_model(path, device))
    settings = TrainSettings(lr=args.lr, warmup=0.0, epochs=1, batch_size=args.batch_size, eval_every=10**9,
                             eval_batch_size=args.eval_batch_size, precision=precision)
    history = fit(model, train, dev, tokenizer.pad_token_id, settings, Process(0, 1, device), log=lambda _: None)
    _sync(device)
    start = time.perf_counter()
    evaluate(model, dev, tokenizer.pad_token_id, device, args.eval_batch_size, precision)
    _sync(device)
    return {"train": 1 / history.examples_per_second, "eval": (time.perf_counter() - start) / len(dev)}


def time_trainer(path, train_rows, dev_rows, tokenizer, args, device, precision: str,
                 sampling: str) -> dict[str, float]:
    """Seconds per example of ``trainer.train()`` (set-up included) and ``trainer.evaluate()``."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    model = fresh_model(path, device)
    with tempfile.TemporaryDirectory() as output:
        training_args = TrainingArguments(
            output_dir=output, per_device_train_batch_size=args.batch_size,
            per_device_eval_batch_size=args.eval_batch_size, learning_rate=args.lr, num_train_epochs=1,
            lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.01, max_grad_norm=1.0,
            bf16=precision == "bf16", use_cpu=device.type == "cpu", report_to="none", save_strategy="no",
            eval_strategy="no", logging_strategy="no", disable_tqdm=True, seed=0, dataloader_num_workers=0,
            train_sampling_strategy=sampling)
        trainer = Trainer(model=model, args=training_args, train_dataset=train_rows, eval_dataset=dev_rows,
                          data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer)
        _sync(device)
        start = time.perf_counter()
        trainer.train()
        _sync(device)
        train_seconds = (time.perf_counter() - start) / len(train_rows)  # one epoch: every row once
        start = time.perf_counter()
        trainer.evaluate()
        _sync(device)
        eval_seconds = (time.perf_counter() - start) / len(dev_rows)
    return {"train": train_seconds, "eval": eval_seconds}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def as_rows(split, with_length: bool) -> Any:
    """A ``datasets.Dataset`` of input_ids / attention_mask / labels (and lengths) for Trainer."""
    from datasets import Dataset

    columns = {"input_ids": split.input_ids, "attention_mask": [[1] * len(ids) for ids in split.input_ids],
               "labels": split.labels.tolist()}
    if with_length:
        columns["length"] = split.lengths.tolist()
    return Dataset.from_dict(columns)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    path = find_model("all-MiniLM-L6-v2", args.model_path, "HW8_MODEL_PATH")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    splits = load_sst2(["train", "dev"], args.data, args.train_examples, seed=0)
    train = tokenize_split(splits["train"], tokenizer, args.max_length)
    dev = tokenize_split(splits["dev"].select(range(min(args.dev_examples, len(splits["dev"])))), tokenizer,
                         args.max_length)
    padded = {name: _padded_share(split, args.batch_size, grouped) for name, split, grouped in
              (("ours (length-grouped)", train, True), ("random batches", train, False))}
    use_gpu = torch.cuda.is_available() and not args.cpu_only
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if use_gpu else [])
    results = []
    for device in devices:
        for precision in (["fp32", "bf16"] if device.type == "cuda" else ["fp32"]):
            print(f"{device.type} {precision} ...", flush=True)

            def side(name: str, run) -> Callable[[], dict[str, float]]:
                return lambda: {f"{name} {part}": seconds for part, seconds in run().items()}

            measured = run_rounds({
                "ours": side("ours", lambda d=device, p=precision: time_ours(path, train, dev, tokenizer, args, d, p)),
                "Trainer": side("Trainer", lambda d=device, p=precision: time_trainer(
                    path, as_rows(train, False), as_rows(dev, False), tokenizer, args, d, p, "random")),
                "Trainer group_by_length": side("Trainer group_by_length", lambda d=device, p=precision: time_trainer(
                    path, as_rows(train, True), as_rows(dev, False), tokenizer, args, d, p, "group_by_length")),
            }, args.rounds, args.threads)
            ratios = {"training": measured.ratio("ours train", "Trainer train", of="speed",
                                                 target=at_least(SPEED_TARGET)),
                      "evaluation": measured.ratio("ours eval", "Trainer eval", of="speed"),
                      "training, against Trainer group_by_length": measured.ratio(
                          "ours train", "Trainer group_by_length train", of="speed")}
            for ratio in ratios.values():
                print(ratio.line(), flush=True)
            results.append({"device": device.type, "precision": precision, "rounds": measured, "ratios": ratios,
                            "examples_per_second": {name: 1 / measured.median(name) for name in measured.seconds}})
    return {"results": results, "padding_share": padded, "train_examples": len(train), "dev_examples": len(dev),
            "mean_train_tokens": float(train.lengths.mean())}


def _padded_share(split, batch_size: int, grouped: bool) -> float:
    """Share of the token slots in one epoch's batches that are padding (length-grouped or random batches)."""
    if grouped:
        batches = list(make_loader(split, 0, batch_size, shuffle=True).batch_sampler)
    else:
        batches = list(torch.randperm(len(split), generator=torch.Generator().manual_seed(0)).split(batch_size))
    lengths = split.lengths
    slots = sum(len(batch) * lengths[list(batch)].max() for batch in batches)
    return float(1 - lengths.sum() / slots)


def write_results(args: argparse.Namespace, env: dict[str, Any], measured: dict[str, Any]) -> None:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    settings = {key: getattr(args, key) for key in ("train_examples", "dev_examples", "batch_size", "eval_batch_size",
                                                    "max_length", "lr", "rounds", "threads")}
    command = "python -m hw8_transformer.bench " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in settings.items())
    rows = measured["results"]
    payload = {"benchmark": "hw8: our fine-tuning loop vs Hugging Face Trainer, all-MiniLM-L6-v2 on SST-2 phrases",
               "command": command, "machine": {**env, "gpu": gpu}, "settings": settings, "speed_target": SPEED_TARGET,
               **measured, "results": [{**r, "rounds": r["rounds"].as_dict(),
                                        "ratios": {k: v.as_dict() for k, v in r["ratios"].items()}} for r in rows]}
    lines = ["# hw8: our training loop vs Hugging Face Trainer (all-MiniLM-L6-v2, SST-2)", "",
             f"Command: `{command}`  ", f"Machine: {machine_line(env)}; GPU {gpu}  ",
             f"Load: {rows[0]['rounds'].load_line()} (CPU rounds)  ",
             f"Data: {measured['train_examples']:,} random training phrases (mean "
             f"{measured['mean_train_tokens']:.1f} tokens), {measured['dev_examples']} dev sentences. Padding share "
             f"of the training batches: {measured['padding_share']['ours (length-grouped)']:.1%} length-grouped, "
             f"{measured['padding_share']['random batches']:.1%} random.", "",
             "| device | precision | loop | training examples/s | evaluation examples/s |", "|---|---|---|---|---|"]
    for r in rows:
        speeds = r["examples_per_second"]
        for name in ("ours", "Trainer", "Trainer group_by_length"):
            lines.append(f"| {r['device']} | {r['precision']} | {name} | {speeds[f'{name} train']:.1f} | "
                         f"{speeds[f'{name} eval']:.1f} |")
    lines += ["", *verdict_table([(f"{r['device']} {r['precision']} {name}", ratio)
                                  for r in rows for name, ratio in r["ratios"].items()]),
              "", f"Target: ours >= {SPEED_TARGET}x Trainer's training examples/s (Trainer with its defaults: random "
              "batches, dynamic padding). Examples/s = examples / wall seconds of `fit` updates (ours) or "
              f"`trainer.train()` (Trainer, set-up included); medians of {args.rounds} alternating rounds.", ""]
    print("\n".join(lines))
    write_bench_results("hw8", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw8_transformer.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--train-examples", type=int, default=640)
    parser.add_argument("--dev-examples", type=int, default=872)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-batch-size", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for each side (default 1)")
    parser.add_argument("--data", default=None, help="data folder holding sst2/")
    parser.add_argument("--model-path", default=None, help="a local checkpoint instead of the packaged MiniLM")
    parser.add_argument("--cpu-only", action="store_true", help="skip the GPU even if there is one")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    env = machine(args.threads)
    with bench_threads(args.threads):
        measured = measure(args)
    write_results(args, env, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
