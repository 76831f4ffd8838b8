"""Benchmark: one training epoch of the DAN in edugrad against the identical model in PyTorch (CPU).

    python -m hw4_dan.bench                  # SST-2 phrases, config.yaml's model; about a minute
    python -m hw4_dan.bench --threads 2 --rounds 7

Both sides start from the same weights and see the same batches, the same word-dropout masks and
the same optimizer: Adam on the layers, and on the embedding table a row-wise ("lazy") Adam that
updates only the rows a batch uses (edugrad: SparseEmbedding + RowOptimizer; PyTorch:
nn.Embedding(sparse=True) + SparseAdam). Batches and masks are made before the clock starts. For
reference it also times PyTorch with a dense embedding gradient (nn.Embedding's default, Adam on
every row at every step; one epoch, before the rounds). The two sides alternate epoch by epoch for
`--rounds` rounds, one thread each by default (common/bench_results.py): the ratio is the median
of the per-round ratios, with their range, and there is no verdict when the machine was loaded.
Writes bench/results/hw4.json and bench/results/hw4.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.bench_results import (
    BENCH_RESULTS,
    at_most,
    bench_threads,
    machine,
    machine_line,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from common.config import load_config
from common.run import REPO_ROOT
from hw4_dan.dan import DAN, classification_loss, word_dropout
from hw4_dan.data import NUM_CLASSES, build_vocabulary, encode, load_sst, padded_batches
from hw4_dan.run import Config
from hw4_dan.train import Optimizers

Batch = tuple[np.ndarray, np.ndarray, np.ndarray]  # indices [B, T], kept-token mask [B, T], labels [B]


def make_batches(config: Config, view: str) -> tuple[list[Batch], int]:
    """One epoch of training batches with their word-dropout masks drawn in advance; the vocabulary size."""
    splits = load_sst(view, config.train_phrases, config.data, config.lowercase)
    vocab = build_vocabulary(splits["train"], config.min_freq)
    train = encode(splits["train"], vocab, NUM_CLASSES[view], "train")
    rng = np.random.default_rng(config.seed)
    batches = [(batch.indices, word_dropout(batch.mask, config.word_dropout, rng), train.labels[ids])
               for ids, batch in padded_batches(train, config.batch_size, shuffle=True, seed=config.seed)]
    return batches, len(vocab)


def new_edugrad_model(config: Config, vocab_size: int, num_classes: int) -> DAN:
    # word dropout is in the batches already, so the model's own is off
    return DAN(vocab_size, config.dim, config.hidden, config.depth, num_classes, config.activation, word_dropout=0.0,
               rng=np.random.default_rng(config.seed), init_scale=config.init_scale)


class TorchDAN(torch.nn.Module):
    """The same network in PyTorch, its weights copied from an edugrad DAN (Linear weights transposed)."""

    def __init__(self, model: DAN, sparse: bool):
        super().__init__()
        self.embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(model.embedding.weight.value.copy()),
                                                            freeze=False, sparse=sparse)
        layers = list(model.feedforward.layers) + [model.output]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(layer.in_features, layer.out_features) for layer in layers)
        with torch.no_grad():
            for ours, theirs in zip(layers, self.layers, strict=True):
                theirs.weight.copy_(torch.from_numpy(ours.weight.value.T))
                theirs.bias.copy_(torch.from_numpy(ours.bias.value))
        self.activation = torch.relu if model.feedforward.activation == "relu" else torch.tanh

    def forward(self, indices: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1)  # (B, T, 1)
        x = (self.embedding(indices) * weights).sum(dim=1) / weights.sum(dim=1)  # (B, d)
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))  # (B, hidden)
        return self.layers[-1](x)  # (B, C)

    def weight_matrices(self) -> list[torch.Tensor]:
        return [layer.weight for layer in self.layers]


def edugrad_epoch(config: Config, vocab_size: int, num_classes: int, batches: list[Batch]) -> tuple[float, DAN]:
    model = new_edugrad_model(config, vocab_size, num_classes)
    optimizers = Optimizers.create(model, "adam", config.lr)
    start = time.perf_counter()
    for indices, mask, labels in batches:
        optimizers.zero_grad()
        loss = classification_loss(model(indices, mask), labels, model.weight_matrices(), config.l2)
        loss.backward()
        optimizers.step()
    return time.perf_counter() - start, model


def torch_epoch(config: Config, vocab_size: int, num_classes: int, batches: list[Batch], sparse: bool):
    model = TorchDAN(new_edugrad_model(config, vocab_size, num_classes), sparse)
    dense = [p for name, p in model.named_parameters() if not name.startswith("embedding")]
    optimizers = [torch.optim.Adam(dense, lr=config.lr)]
    embedding = list(model.embedding.parameters())
    optimizers.append((torch.optim.SparseAdam if sparse else torch.optim.Adam)(embedding, lr=config.lr))
    tensors = [(torch.from_numpy(i), torch.from_numpy(m.astype(np.float32)), torch.from_numpy(y))
               for i, m, y in batches]
    start = time.perf_counter()
    for indices, mask, labels in tensors:
        for optimizer in optimizers:
            optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(indices, mask), labels)
        loss = loss + config.l2 * sum((w * w).sum() for w in model.weight_matrices())
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()
    return time.perf_counter() - start, model


def max_logit_difference(config: Config, vocab_size: int, num_classes: int, batches: list[Batch], steps: int) -> float:
    """Largest |edugrad logit - torch logit| on a few batches after `steps` training steps on both sides:
    the check that the two sides train the same model."""
    model = edugrad_epoch(config, vocab_size, num_classes, batches[:steps])[1].eval()
    torch_model = torch_epoch(config, vocab_size, num_classes, batches[:steps], sparse=True)[1]
    worst = 0.0
    with torch.no_grad():
        for indices, mask, _ in batches[:5]:
            ours = model(indices, mask).value
            theirs = torch_model(torch.from_numpy(indices), torch.from_numpy(mask.astype(np.float32))).numpy()
            worst = max(worst, float(np.abs(ours - theirs).max()))
    return worst


def run_benchmark(config: Config, view: str, rounds: int, threads: int) -> dict[str, Any]:
    batches, vocab_size = make_batches(config, view)
    num_classes = NUM_CLASSES[view]
    print("PyTorch with a dense embedding gradient, one epoch ...", flush=True)
    dense_seconds = torch_epoch(config, vocab_size, num_classes, batches, sparse=False)[0]
    measured = run_rounds({"edugrad": lambda: edugrad_epoch(config, vocab_size, num_classes, batches)[0],
                           "torch": lambda: torch_epoch(config, vocab_size, num_classes, batches, sparse=True)[0]},
                          rounds, threads)
    return {
        "view": view, "examples": int(sum(len(b[2]) for b in batches)), "batches": len(batches),
        "vocab_size": vocab_size, "dim": config.dim, "hidden": config.hidden, "depth": config.depth,
        "batch_size": config.batch_size, "optimizer": "adam (layers) + row-wise adam (embedding)", "lr": config.lr,
        "rounds": measured, "torch_dense_epoch_seconds": dense_seconds,
        "ratio": measured.ratio("edugrad", "torch", target=at_most(1.0)),
        "ratio_dense": measured.median("edugrad") / dense_seconds,
        "max_logit_difference_after_10_steps": max_logit_difference(config, vocab_size, num_classes, batches, 10),
    }


def to_markdown(result: dict[str, Any], env: dict[str, Any]) -> str:
    measured = result["rounds"]
    edugrad, torch_sparse = measured.median("edugrad"), measured.median("torch")
    lines = [
        "# hw4 benchmark: one DAN training epoch, edugrad vs PyTorch (CPU)", "",
        f"Machine: {machine_line(env)}  ", f"Load: {measured.load_line()}", "",
        f"SST-2 training phrases ({result['examples']:,} examples, {result['batches']} batches of "
        f"{result['batch_size']}), vocabulary {result['vocab_size']:,}, DAN {result['dim']}-d embeddings, "
        f"{result['depth']} x {result['hidden']} ReLU layers, Adam lr {result['lr']}; same initial weights, batches "
        f"and word-dropout masks on both sides. Medians of {len(measured.seconds['edugrad'])} alternating epochs each "
        "(the dense variant: one epoch).", "",
        "| implementation | embedding gradient | seconds per epoch | edugrad / this |",
        "|---|---|---|---|",
        f"| edugrad | used rows only (SparseEmbedding + RowOptimizer(Adam)) | {edugrad:.2f} | 1.00 |",
        f"| PyTorch | used rows only (sparse=True + SparseAdam) | {torch_sparse:.2f} | {result['ratio'].median:.2f} |",
        f"| PyTorch | dense (nn.Embedding default, Adam on every row) | {result['torch_dense_epoch_seconds']:.2f} | "
        f"{result['ratio_dense']:.2f} |", "",
        *verdict_table([("one epoch, the identical sparse model", result["ratio"])]), "",
        f"After 10 steps from the same start the two models' logits differ by at most "
        f"{result['max_logit_difference_after_10_steps']:.2g} (float32 sums in another order; SparseAdam adds eps "
        "before the bias correction of v, edugrad's Adam after it).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "hw4_dan" / "config.yaml")
    parser.add_argument("--view", choices=sorted(NUM_CLASSES), default="sst2")
    parser.add_argument("--rounds", type=int, default=5, help="alternating epochs timed per implementation")
    parser.add_argument("--threads", type=int, default=1, help="numpy's BLAS and torch threads alike (default 1)")
    parser.add_argument("--out", type=Path, default=BENCH_RESULTS)
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error("--threads and --rounds must be >= 1")
    config = load_config(Config, args.config)
    env = machine(args.threads)
    with bench_threads(args.threads):
        result = run_benchmark(config, args.view, args.rounds, args.threads)
    print(result["ratio"].line())
    markdown = to_markdown(result, env)
    print(markdown)
    payload = {"environment": env, **result, "rounds": result["rounds"].as_dict(), "ratio": result["ratio"].as_dict()}
    write_bench_results("hw4", payload, markdown, folder=args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
