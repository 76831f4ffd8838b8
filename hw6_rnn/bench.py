"""hw6 benchmark (``make bench-hw6``): our PTB language model's training speed against PyTorch's own
example, and our hand-written LSTM layer against ``torch.nn.LSTM``.

(a) Language model. The reference is the training step of ``pytorch/examples``' word_language_model
    (``main.py`` + ``model.py``), re-implemented here: sequence-first tensors, an ``nn.LSTM``,
    ``log_softmax`` + ``NLLLoss``, ``clip_grad_norm_`` and the manual SGD update ``p -= lr * grad``
    over every parameter, ``loss.item()`` every step. Ours is hw6's own loop
    (:func:`hw6_rnn.train.train_lm_epoch` with the fused model, :class:`common.torch_utils.TrainStep`
    and ``torch.optim.SGD``). Both train on the same PTB windows with the same sizes, from the same
    initial weights; tokens/s = predicted tokens / seconds. Target: ours / reference >= 1.0.
(b) Layer. Forward + backward of your :class:`hw6_rnn.layers.StackedRNN` (a Python loop over time)
    against ``torch.nn.LSTM`` on the same input, same weights. Reported, no target.

Each comparison runs in one process, one torch thread per side by default: the two sides take
turns round by round (common/bench_results.py), each round 5 windows per side, the same windows for
both (the hidden state restarts at each turn, for both). The ratio is the median of the per-round
ratios, shown with their range, so one lucky or unlucky spell of another program on the machine
does not decide it; there is no verdict when the machine was loaded.

    python -m hw6_rnn.bench                     # writes bench/results/hw6.json and hw6.md
    python -m hw6_rnn.bench --rounds 4 --threads 2
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from common.bench_results import (
    at_least,
    bench_threads,
    machine,
    machine_line,
    per_call,
    run_rounds,
    verdict_table,
    write_bench_results,
)
from common.torch_utils import TrainStep
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.layers import FusedRNN, StackedRNN
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows
from hw6_rnn.train import train_lm_epoch

SPEED_TARGET = 1.0
CHUNK = 5                 # windows per side in each round
# name -> (embedding = hidden, layers, dropout, tied, batch, bptt, lr, clip)
SIZES = {
    "small (Zaremba et al.: 2x200, batch 20, no dropout)": (200, 2, 0.0, False, 20, 35, 1.0, 5.0),
    "full config (2x400, tied, dropout 0.4, batch 32)": (400, 2, 0.4, True, 32, 35, 20.0, 0.25),
}


class ExampleRNNModel(nn.Module):
    """pytorch/examples word_language_model's RNNModel (LSTM case): encoder, nn.LSTM, decoder, log_softmax."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float, tie_weights: bool) -> None:
        super().__init__()
        self.ntoken, self.nhid, self.nlayers = ntoken, nhid, nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight

    def forward(self, data: torch.Tensor, hidden):
        emb = self.drop(self.encoder(data))                              # (T, B, E)
        output, hidden = self.rnn(emb, hidden)                           # (T, B, H)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)  # (T*B, V)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def example_train(model: ExampleRNNModel, train_data: torch.Tensor, bptt: int, lr: float, clip: float,
                  first_window: int, windows: int, batch_size: int) -> int:
    """The example's ``train()`` over `windows` windows of `train_data` [L, B] from `first_window`; returns tokens."""
    criterion = nn.NLLLoss()
    model.train()
    total_loss, tokens = 0.0, 0
    hidden = model.init_hidden(batch_size)
    for i in range(first_window * bptt, min(train_data.size(0) - 1, (first_window + windows) * bptt), bptt):
        seq_len = min(bptt, len(train_data) - 1 - i)
        data, targets = train_data[i : i + seq_len], train_data[i + 1 : i + 1 + seq_len].view(-1)
        model.zero_grad()
        hidden = tuple(h.detach() for h in hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        tokens += targets.numel()
    return tokens


def bench_language_model(corpus, size: tuple, rounds: int, threads: int) -> dict[str, Any]:
    """Training speed of ours and of the example's loop, CHUNK windows a side per round; round i trains
    both on windows [i * CHUNK, (i + 1) * CHUNK) of PTB train."""
    hidden, layers, dropout, tied, batch, bptt, lr, clip = size
    torch.manual_seed(0)
    ours = RNNLanguageModel(len(corpus.vocab), hidden, hidden, layers, "lstm", dropout, tied, fused=True)
    reference = ExampleRNNModel(len(corpus.vocab), hidden, hidden, layers, dropout, tied)
    with torch.no_grad():   # the same initial weights
        reference.encoder.weight.copy_(ours.embedding.weight)
        reference.decoder.weight.copy_(ours.decoder.weight)
        reference.decoder.bias.copy_(ours.decoder.bias)
        for name, value in ours.rnn.rnn.named_parameters():
            getattr(reference.rnn, name).copy_(value)
    rows = batchify(corpus.train, batch)                                 # (B, L): ours is batch-first
    our_windows = bptt_windows(rows, bptt)[:rounds * CHUNK]
    example_data = rows.t().contiguous()                                 # (L, B): the example's layout
    step = TrainStep(ours, torch.optim.SGD(ours.parameters(), lr=lr), clip)
    train_lm_epoch(ours, step, our_windows[:3])                          # warm-up, untimed
    example_train(reference, example_data, bptt, lr, clip, 0, 3, batch)
    turns, tokens = {"ours": 0, "example": 0}, {"ours": 0, "example": 0}

    def ours_round() -> float:
        first = CHUNK * turns["ours"]
        start = time.perf_counter()
        tokens["ours"] += train_lm_epoch(ours, step, our_windows[first : first + CHUNK])[1]
        turns["ours"] += 1
        return time.perf_counter() - start

    def example_round() -> float:
        first = turns["example"]
        start = time.perf_counter()
        tokens["example"] += example_train(reference, example_data, bptt, lr, clip, CHUNK * first, CHUNK, batch)
        turns["example"] += 1
        return time.perf_counter() - start

    measured = run_rounds({"ours": ours_round, "pytorch/examples": example_round}, rounds, threads)
    if tokens["ours"] != tokens["example"]:
        raise RuntimeError(f"expected both sides to train on the same tokens but got {tokens}")
    per_round = tokens["ours"] / rounds
    return {"rounds": measured, "tokens_per_round": per_round,
            "ours_tokens_per_s": round(per_round / measured.median("ours")),
            "reference_tokens_per_s": round(per_round / measured.median("pytorch/examples")),
            "ratio": measured.ratio("ours", "pytorch/examples", of="speed", target=at_least(SPEED_TARGET))}


def bench_layer(batch: int, time_steps: int, hidden: int, layers: int, rounds: int, threads: int) -> dict[str, Any]:
    torch.manual_seed(0)
    ours = StackedRNN("lstm", hidden, hidden, layers)
    fused = FusedRNN("lstm", hidden, hidden, layers).load_from(ours)
    inputs = torch.randn(batch, time_steps, hidden)
    lengths = torch.full((batch,), time_steps)

    def forward_backward(module) -> Callable[[], None]:
        def run() -> None:
            outputs, _ = module(inputs, lengths)
            outputs.sum().backward()
        return run

    measured = run_rounds({"StackedRNN": per_call(forward_backward(ours), 0.3),
                           "nn.LSTM": per_call(forward_backward(fused), 0.3)}, rounds, threads, progress=False)
    return {"shape": f"[{batch}, {time_steps}, {hidden}], {layers} layers",
            "ours_ms": round(1000 * measured.median("StackedRNN"), 2),
            "torch_ms": round(1000 * measured.median("nn.LSTM"), 2),
            "ratio": measured.ratio("StackedRNN", "nn.LSTM"), "rounds": measured}


def write_results(args: argparse.Namespace, env: dict[str, Any], lm: dict[str, Any], layer: dict[str, Any]) -> None:
    command = f"python -m hw6_rnn.bench --rounds {args.rounds} --threads {args.threads}"
    payload = {"command": command, "machine": env, "target_ratio": SPEED_TARGET,
               "language_model": {name: {**row, "rounds": row["rounds"].as_dict(), "ratio": row["ratio"].as_dict()}
                                  for name, row in lm.items()},
               "layer": {**layer, "rounds": layer["rounds"].as_dict(), "ratio": layer["ratio"].as_dict()}}
    first = next(iter(lm.values()))["rounds"]
    lines = ["# hw6: PTB LSTM language model vs pytorch/examples word_language_model; LSTM layer vs nn.LSTM", "",
             f"Command: `{command}`  ", f"Machine: {machine_line(env)}  ", f"Load: {first.load_line()} (first size)",
             "", "| model sizes | ours tokens/s | pytorch/examples tokens/s |", "|---|---|---|"]
    lines += [f"| {name} | {row['ours_tokens_per_s']:,} | {row['reference_tokens_per_s']:,} |"
              for name, row in lm.items()]
    lines += ["", *verdict_table([(name.split(" (")[0], row["ratio"]) for name, row in lm.items()]), "",
              f"Training tokens/s (medians of the rounds) over the first {args.rounds * CHUNK} windows of PTB train "
              f"(bptt 35), {CHUNK} windows a side per round, the sides alternating; same initial weights.", "",
              "| LSTM layer, forward + backward | yours (StackedRNN) ms | torch.nn.LSTM ms | yours / torch |",
              "|---|---|---|---|",
              f"| {layer['shape']} | {layer['ours_ms']} | {layer['torch_ms']} | {layer['ratio'].cell()} |", "",
              "The hand-written layer runs one Python-level cell step per time step (about 10 small kernels "
              "each); nn.LSTM runs the whole recurrence in one C++ call. Reported, no target."]
    print("\n".join(lines))
    write_bench_results("hw6", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12, help=f"alternating rounds of {CHUNK} windows a side")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for each side (default 1)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1:
        parser.error(f"expected --threads and --rounds >= 1 but got {args.threads} and {args.rounds}")
    env = machine(args.threads)
    corpus = load_lm_corpus("ptb")
    lm = {}
    with bench_threads(args.threads):
        for name, size in SIZES.items():
            print(f"{name} ...", flush=True)
            lm[name] = bench_language_model(corpus, size, args.rounds, args.threads)
            print(f"ours {lm[name]['ours_tokens_per_s']:,} tokens/s, pytorch/examples "
                  f"{lm[name]['reference_tokens_per_s']:,} tokens/s; {lm[name]['ratio'].line()}", flush=True)
        layer = bench_layer(20, 35, 200, 2, 5, args.threads)
    print(f"LSTM layer {layer['shape']}: yours {layer['ours_ms']} ms, nn.LSTM {layer['torch_ms']} ms "
          f"({layer['ratio'].cell()})")
    write_results(args, env, lm, layer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
