"""Training the classifier and the language model (given code): the classifier's optimizers (its fit is
common/classifier.py's), the language model's epoch loop, learning-rate schedule and time budget, each
model's best checkpoint, and an exact resume after a kill.

    history = fit_classifier(classifier_step(model, config.classifier), data, run, "sst2", ...)  # common
    history = fit_language_model(model, corpus, config.lm, run)

Each model of a run keeps its own checkpoints (common/checkpoint.py): ``sst2.best.ckpt`` (the weights
with the best dev accuracy, which the model ends with) and ``sst2.last.ckpt`` (everything needed to
continue), ``lm.best.ckpt`` (the best validation perplexity) and ``lm.last.ckpt``. ``python -m
hw6_rnn.run --resume runs/hw6_rnn/<id>`` continues each where it stopped, mid-epoch included; a model
that had finished is not trained again, and the language model's time budget counts the time before
the kill. Both use :class:`common.torch_utils.TrainStep` (clipping; mixed precision on a GPU).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch.nn import functional as F

from common.checkpoint import TrainingLoop, load_model, model_state
from common.classifier import ClassificationData, Trainer
from common.config import config_to_dict
from common.resources import find_model
from common.run import Run
from common.schedule import end_epoch, epoch_scheduler
from common.torch_utils import TrainStep, count_parameters
from hw6_rnn.cells import State
from hw6_rnn.classifier import RNNClassifier
from hw6_rnn.config import ClassifierConfig, LMConfig
from hw6_rnn.data import LMCorpus
from hw6_rnn.evaluate import evaluate_perplexity
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows
from hw6_rnn.pretrained import PRETRAINED_EMBEDDINGS, vocabulary_vectors


def build_classifier(config: ClassifierConfig, data: ClassificationData,
                     log: Callable[[str], None] = print) -> RNNClassifier:
    """A fresh classifier; with ``embeddings: minilm`` its embedding layer starts from pretrained vectors."""
    model = RNNClassifier(len(data.vocab), len(data.label_names), data.pad_index, config.embedding_dim,
                          config.hidden_size, config.num_layers, config.bidirectional, config.cell,
                          config.pooling, config.dropout, config.fused, config.sparse_embeddings)
    if config.embeddings != "random":
        name = PRETRAINED_EMBEDDINGS[config.embeddings]
        weights, coverage = vocabulary_vectors(data.vocab, find_model(name))      # (V, E)
        with torch.no_grad():
            model.embedding.weight.copy_(weights)
        log(f"embeddings: {name}'s wordpiece table, a word = the mean of its pieces; {coverage:.1%} of the "
            f"{len(data.vocab):,} words have no unknown piece")
    return model


def build_language_model(config: LMConfig, vocab_size: int) -> RNNLanguageModel:
    return RNNLanguageModel(vocab_size, config.embedding_dim, config.hidden_size, config.num_layers, config.cell,
                            config.dropout, config.tie_weights, config.fused)


def classifier_step(model: RNNClassifier, config: ClassifierConfig, amp: bool = False) -> TrainStep:
    """The classifier's train step: Adam (SparseAdam for a sparse embedding, whose rows are left out of
    clipping), clipping at `config.clip_norm`, mixed precision on a GPU with `amp`."""
    if config.sparse_embeddings:
        rest = [p for key, p in model.named_parameters() if not key.startswith("embedding.")]
        optimizers = [torch.optim.SparseAdam(list(model.embedding.parameters()), lr=config.lr),
                      torch.optim.Adam(rest, lr=config.lr, weight_decay=config.weight_decay)]
    else:
        rest = list(model.parameters())
        optimizers = [torch.optim.Adam(rest, lr=config.lr, weight_decay=config.weight_decay)]
    return TrainStep(model, optimizers, config.clip_norm, amp, next(model.parameters()).device, rest)


# ---------------------------------------------------------------------------------------------
# Language model


def detach_state(state: Any) -> Any:
    """Cut the graph behind a recurrent state (a tensor or nested tuple/list of tensors), for truncated BPTT."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach_state(part) for part in state)


def tbptt_step(model: RNNLanguageModel, step: TrainStep, inputs: torch.Tensor, targets: torch.Tensor,
               state: State | None) -> tuple[torch.Tensor, State]:
    """One update on a window (inputs, targets [B, t]) from the carried `state`, detached first so that
    gradients stop at the window's start. Returns (the window's mean loss, the state after it)."""
    state = detach_state(state)

    def loss_fn() -> torch.Tensor:
        nonlocal state
        logits, state = model(inputs, state)                               # (B, t, V)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    loss, _ = step(loss_fn)
    return loss, state


def train_lm_epoch(model: RNNLanguageModel, step: TrainStep, windows: Sequence[tuple[torch.Tensor, torch.Tensor]]
                   ) -> tuple[float, int, int]:
    """One plain pass of truncated BPTT over `windows`, the state carried from one to the next (the
    benchmark times it). Returns (summed loss over predicted tokens, tokens predicted, windows)."""
    model.train()
    state, total, tokens = None, torch.zeros((), device=next(model.parameters()).device), 0
    for inputs, targets in windows:
        loss, state = tbptt_step(model, step, inputs, targets, state)
        total += loss * targets.numel()
        tokens += targets.numel()
    return float(total), tokens, len(windows)


@dataclass
class LMHistory:
    """Per epoch: training and validation perplexity, seconds; the best validation perplexity; epochs
    (a fraction when the time budget cut one); tokens trained on and the seconds of those steps; seconds
    in all; `stopped`: the time budget ended training."""

    curves: dict[str, list[float]] = field(default_factory=lambda: {"train perplexity": [], "valid perplexity": []})
    epoch_seconds: list[float] = field(default_factory=list)
    best_valid: float = math.inf
    epochs_done: float = 0.0
    trained_tokens: int = 0
    step_seconds: float = 0.0
    seconds: float = 0.0
    stopped: bool = False


class LMTrainer(Trainer):
    """Plain SGD with clipping and the schedule; within an epoch the state carried from window to window
    and the sums of the epoch so far."""

    def __init__(self, model: RNNLanguageModel, corpus: LMCorpus, config: LMConfig, run: Run, amp: bool = False
                 ) -> None:
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
        super().__init__(TrainStep(model, optimizer, config.clip_norm, amp), run, "lm")
        self.corpus, self.config, self.amp = corpus, config, amp
        self.scheduler = epoch_scheduler(optimizer, config.schedule, config.lr_decay, config.decay_after, "min")
        self.history = LMHistory()
        self.start_epoch()

    @property
    def lr(self) -> float:
        return self.optimizers[0].param_groups[0]["lr"]

    def start_epoch(self) -> None:
        self.carried: State | None = None
        self.loss_sum, self.tokens, self.windows_done = torch.zeros((), device=self.device), 0, 0
        self.epoch_began = self.seconds()

    def state(self) -> dict[str, Any]:
        return {**super().state(), "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "history": asdict(self.history), "carried": detach_state(self.carried), "loss_sum": self.loss_sum,
                "tokens": self.tokens, "windows_done": self.windows_done, "epoch_began": self.epoch_began}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.history = LMHistory(**state["history"])
        carried = state["carried"]
        self.carried = None if carried is None else tuple(part.to(self.device) for part in carried)
        self.loss_sum, self.tokens = state["loss_sum"].to(self.device), state["tokens"]
        self.windows_done, self.epoch_began = state["windows_done"], state["epoch_began"]

    def out_of_time(self) -> bool:
        minutes = self.config.max_minutes
        return minutes is not None and self.seconds() > 60 * minutes

    def train_window(self, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        began = time.perf_counter()
        loss, self.carried = tbptt_step(self.model, self.step, inputs, targets, self.carried)
        self.loss_sum += loss * targets.numel()
        self.tokens += targets.numel()
        self.windows_done += 1
        self.history.step_seconds += time.perf_counter() - began

    def end_epoch(self, epoch: int, windows: int) -> None:
        """Score validation, record the epoch, keep the weights on a new best, schedule the rate."""
        history, config = self.history, self.config
        history.epochs_done += self.windows_done / windows
        history.trained_tokens += self.tokens
        valid = evaluate_perplexity(self.model, self.corpus.valid, config.eval_batch_size, config.bptt, self.device,
                                    self.amp)
        history.curves["train perplexity"].append(math.exp(min(float(self.loss_sum) / self.tokens, 700)))
        history.curves["valid perplexity"].append(valid)
        history.seconds = self.seconds()
        history.epoch_seconds.append(round(history.seconds - self.epoch_began, 1))
        self.run.log(f"lm epoch {epoch}: lr {self.lr:g}, train perplexity {history.curves['train perplexity'][-1]:.1f}"
                     f", valid perplexity {valid:.1f} (epoch {history.epoch_seconds[-1]:.0f} s, total "
                     f"{history.seconds:.0f} s)")
        if valid < history.best_valid:
            history.best_valid = valid
            self.checkpoints.save("best", model_state(self.model, {"tokens": self.corpus.vocab},
                                                      config_to_dict(config), extra={"epoch": epoch, "valid": valid}))
        end_epoch(self.scheduler, valid)
        if history.stopped:
            self.run.log(f"lm: stopped after {history.epochs_done:.2f} epochs: the time budget of "
                         f"{config.max_minutes} min is spent")


def fit_language_model(model: RNNLanguageModel, corpus: LMCorpus, config: LMConfig, run: Run, amp: bool = False
                       ) -> LMHistory:
    """Truncated BPTT over corpus.train cut into `batch_size` rows, the state carried across windows and
    reset at each epoch; stop when `max_minutes` is spent; keep the best validation epoch's weights
    (``lm.best.ckpt``), resume from ``lm.last.ckpt``. `model` ends with the best weights."""
    trainer = LMTrainer(model, corpus, config, run, amp)
    windows = bptt_windows(batchify(corpus.train, config.batch_size).to(trainer.device), config.bptt)
    run.log(f"lm ({corpus.level} level): {corpus.train.numel():,} train tokens, vocabulary {len(corpus.vocab):,}, "
            f"{count_parameters(model):,} parameters, {len(windows)} windows per epoch, device {trainer.device}")
    loop = TrainingLoop(trainer.checkpoints, trainer.state, trainer.restore, run.log)
    for epoch in loop.epochs(config.epochs):
        if trainer.history.stopped:
            break                                     # the time budget ran out in an earlier epoch
        if loop.batch == 0:
            trainer.start_epoch()
        model.train()
        for inputs, targets in run.progress(loop.batches(windows), f"lm epoch {epoch} (lr {trainer.lr:g})",
                                            total=len(windows), initial=loop.batch):
            trainer.train_window(inputs, targets)
            if trainer.out_of_time():
                trainer.history.stopped = True
                break
        trainer.end_epoch(epoch, len(windows))
    load_model(trainer.checkpoints.path("best"), model, {"tokens": corpus.vocab})
    return trainer.history
