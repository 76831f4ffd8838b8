"""Scoring the trained language model and drawing the run's figures (given code; the classifier's test
figures come from common/classifier.py's classifier_metrics).

    perplexity = evaluate_perplexity(model, corpus.test, batch_size=10, bptt=35, device=device)
    texts = sample_texts(model, corpus, config.lm)                                # the prompt, continued
    metrics = lm_metrics(model, corpus, config.lm, history, run, device)         # test, samples + plot
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from common.metrics import perplexity
from common.plots import plot_curves
from common.run import Run
from common.torch_utils import autocast, count_parameters
from hw6_rnn.config import LMConfig
from hw6_rnn.data import LMCorpus
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows, generate

if TYPE_CHECKING:
    from hw6_rnn.train import LMHistory


@torch.no_grad()
def evaluate_perplexity(model: RNNLanguageModel, stream: torch.Tensor, batch_size: int, bptt: int,
                        device: torch.device, amp: bool = False) -> float:
    """Perplexity of a 1-D index stream, read as `batch_size` rows with the state carried across windows."""
    model.eval()
    rows = batchify(stream, batch_size).to(device)                        # (B, L)
    total_nll, tokens, state = torch.zeros((), device=device, dtype=torch.float64), 0, None
    for inputs, targets in bptt_windows(rows, bptt):
        with autocast(device, amp):
            logits, state = model(inputs, state)                           # (B, t, V)
        total_nll += F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="sum").double()
        tokens += targets.numel()
    return perplexity(float(total_nll), tokens)


def sample_texts(model: RNNLanguageModel, corpus: LMCorpus, config: LMConfig) -> list[str]:
    """`config.samples` continuations of `config.prompt` (seeds 0, 1, ...); characters stop at ``</s>``."""
    prompt = corpus.prompt_tokens(config.prompt)
    stop = "</s>" if corpus.level == "char" else None
    joiner = "" if corpus.level == "char" else " "
    return [config.prompt + joiner + joiner.join(generate(model, corpus.vocab, prompt, config.sample_tokens,
                                                          config.temperature, config.top_k, config.top_p, stop,
                                                          seed=seed))
            for seed in range(config.samples)]


def lm_metrics(model: RNNLanguageModel, corpus: LMCorpus, config: LMConfig, history: LMHistory, run: Run,
               device: torch.device, amp: bool = False) -> dict[str, Any]:
    """Test perplexity of `model` (trained), samples from the prompt, the training's figures and its plot."""
    test = evaluate_perplexity(model, corpus.test, config.eval_batch_size, config.bptt, device, amp)
    texts = sample_texts(model, corpus, config)
    for text in texts:
        run.log(f"lm sample: {text}")
    plot_perplexity(corpus.level, history.curves, run)
    return {"valid_perplexity": history.best_valid, "test_perplexity": test,
            "epochs_completed": round(history.epochs_done, 3), "stopped_by_time_budget": history.stopped,
            "curves": history.curves, "epoch_seconds": history.epoch_seconds,
            "train_seconds": round(history.seconds, 1),
            "tokens_per_second": round(history.trained_tokens / history.step_seconds, 1),
            "unit": "words" if corpus.level == "word" else "characters", "samples": texts,
            "parameters": count_parameters(model), "vocab_size": len(corpus.vocab)}


def plot_perplexity(level: str, curves: dict[str, list[float]], run: Run) -> None:
    """``lm_<level>_perplexity.png``: training and validation perplexity per epoch, log scale."""
    plot_curves({name: curves[name] for name in ("train perplexity", "valid perplexity")},
                run.path(f"lm_{level}_perplexity.png"), xlabel="epoch", ylabel="perplexity", logy=True,
                title=f"LM ({level} level): perplexity per epoch")


def plot_vanishing(norms: dict[str, list[float]], run: Run) -> None:
    """``vanishing.png``: each cell's gradient norm by steps back from the last input, log scale."""
    plot_curves({name: (list(range(len(values))), values) for name, values in norms.items()},
                run.path("vanishing.png"), xlabel="steps back from the last input", ylabel="mean ||dL/dx||",
                logy=True, title="Gradient reaching back through time (untrained cells)")

