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

Each comparison runs in one process: the two sides take turns every 5 windows (the hidden state
restarts at each turn, for both), for `--rounds` rounds. The ratio is the median over rounds of
ours / reference within a round (both sides saw the same machine load), so one lucky or unlucky
spell of another program on the machine does not decide it; the best round of each side is shown too.

    python -m hw6_rnn.bench                     # writes bench/results/hw6.json and hw6.md
    python -m hw6_rnn.bench --windows 20 --rounds 2 --threads 2
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from common.bench_results import write_bench_results
from common.torch_utils import TrainStep
from hw6_rnn.data import load_lm_corpus
from hw6_rnn.layers import FusedRNN, StackedRNN
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows
from hw6_rnn.train import train_lm_epoch

SPEED_TARGET = 1.0
CHUNK = 5                 # windows per turn when the two language models alternate
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


def bench_language_model(corpus, size: tuple, windows: int, rounds: int) -> dict[str, Any]:
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
    our_windows = bptt_windows(rows, bptt)[:windows]
    example_data = rows.t().contiguous()                                 # (L, B): the example's layout
    step = TrainStep(ours, torch.optim.SGD(ours.parameters(), lr=lr), clip)
    train_lm_epoch(ours, step, our_windows[:3])                          # warm-up, untimed
    example_train(reference, example_data, bptt, lr, clip, 0, 3, batch)
    ours_speed, reference_speed = [], []
    for _ in range(rounds):   # the sides alternate every CHUNK windows, so a busy spell hits both alike
        seconds, tokens = [0.0, 0.0], [0, 0]
        for first in range(0, windows, CHUNK):
            start = time.perf_counter()
            tokens[0] += train_lm_epoch(ours, step, our_windows[first : first + CHUNK])[1]
            seconds[0] += time.perf_counter() - start
            start = time.perf_counter()
            tokens[1] += example_train(reference, example_data, bptt, lr, clip, first, min(CHUNK, windows - first),
                                       batch)
            seconds[1] += time.perf_counter() - start
        ours_speed.append(tokens[0] / seconds[0])
        reference_speed.append(tokens[1] / seconds[1])
    ratios = sorted(ours / reference for ours, reference in zip(ours_speed, reference_speed, strict=True))
    return {"ours_tokens_per_s": round(max(ours_speed)), "reference_tokens_per_s": round(max(reference_speed)),
            "ratio": round(ratios[len(ratios) // 2], 3),
            "ratio_of_best_rounds": round(max(ours_speed) / max(reference_speed), 3),
            "rounds_ours": [round(x) for x in ours_speed],
            "rounds_reference": [round(x) for x in reference_speed], "windows": windows}


def bench_layer(batch: int, time_steps: int, hidden: int, layers: int, rounds: int, repeats: int) -> dict[str, Any]:
    torch.manual_seed(0)
    ours = StackedRNN("lstm", hidden, hidden, layers)
    fused = FusedRNN("lstm", hidden, hidden, layers).load_from(ours)
    inputs = torch.randn(batch, time_steps, hidden)
    lengths = torch.full((batch,), time_steps)

    def timed(module) -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            outputs, _ = module(inputs, lengths)
            outputs.sum().backward()
        return (time.perf_counter() - start) / repeats

    ours_times, torch_times = [], []
    for _ in range(rounds):
        ours_times.append(timed(ours))
        torch_times.append(timed(fused))
    best_ours, best_torch = min(ours_times), min(torch_times)
    return {"shape": f"[{batch}, {time_steps}, {hidden}], {layers} layers", "ours_ms": round(1000 * best_ours, 2),
            "torch_ms": round(1000 * best_torch, 2), "ours_over_torch": round(best_ours / best_torch, 2)}


def _round_ratios(row: dict[str, Any]) -> list[float]:
    return [round(o / r, 2) for o, r in zip(row["rounds_ours"], row["rounds_reference"], strict=True)]


def write_results(args: argparse.Namespace, lm: dict[str, Any], layer: dict[str, Any]) -> None:
    command = "python -m hw6_rnn.bench " + " ".join(sys.argv[1:])
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    payload = {"command": command.strip(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "torch": torch.__version__, "threads": torch.get_num_threads(), "load_average": load,
               "language_model": lm, "layer": layer, "target_ratio": SPEED_TARGET}
    lines = ["# hw6: PTB LSTM language model vs pytorch/examples word_language_model; LSTM layer vs nn.LSTM", "",
             f"Command: `{payload['command']}`  ",
             f"Machine: {payload['machine']}, torch {torch.__version__}, {payload['threads']} torch thread(s), "
             f"load average at the end {tuple(round(x, 1) for x in load) if load else 'n/a'}", "",
             "| model sizes | ours tokens/s (best round) | pytorch/examples tokens/s (best round) | ours / example "
             "(median of rounds) |", "|---|---|---|---|"]
    for name, row in lm.items():
        lines.append(f"| {name} | {row['ours_tokens_per_s']:,} | {row['reference_tokens_per_s']:,} "
                     f"| {row['ratio']:.2f} |")
    lines += ["", f"Target: ours / example >= {SPEED_TARGET}. Training tokens/s over the first {args.windows} "
              "windows of PTB train (bptt 35); the two sides alternate every 5 windows; same initial weights. "
              "Per-round ratios: " + "; ".join(f"{name.split(' (')[0]} {_round_ratios(row)}"
                                               for name, row in lm.items()) + ".", "",
              "| LSTM layer, forward + backward | yours (StackedRNN) ms | torch.nn.LSTM ms | yours / torch |",
              "|---|---|---|---|",
              f"| {layer['shape']} | {layer['ours_ms']} | {layer['torch_ms']} | {layer['ours_over_torch']} |", "",
              "The hand-written layer runs one Python-level cell step per time step (about 10 small kernels "
              "each); nn.LSTM runs the whole recurrence in one C++ call. Reported, no target."]
    write_bench_results("hw6", payload, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=60, help="BPTT windows per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for both sides")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    corpus = load_lm_corpus("ptb")
    lm = {}
    for name, size in SIZES.items():
        lm[name] = bench_language_model(corpus, size, args.windows, args.rounds)
        print(f"{name}: ours {lm[name]['ours_tokens_per_s']:,} tokens/s, pytorch/examples "
              f"{lm[name]['reference_tokens_per_s']:,} tokens/s, ratio {lm[name]['ratio']:.2f}", flush=True)
    layer = bench_layer(20, 35, 200, 2, args.rounds, repeats=3)
    print(f"LSTM layer {layer['shape']}: yours {layer['ours_ms']} ms, nn.LSTM {layer['torch_ms']} ms "
          f"({layer['ours_over_torch']}x)")
    write_results(args, lm, layer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
