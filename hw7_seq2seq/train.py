"""Training the translation model (given code): the epoch loop, its schedule, checkpoint averaging,
the best checkpoint, and an exact resume after a kill.

    history = fit(model, corpus, config, run)   # then `model` holds the weights kept (run's best.ckpt)

Each epoch trains on length-bucketed batches in an order drawn from the seed and the epoch, then
scores validation (perplexity and greedy BLEU). The weights with the best validation BLEU are kept
in ``best.ckpt``; with ``train.average_last`` N > 1 the mean of the last N epochs' weights replaces
them when its validation BLEU is higher (checkpoint averaging). ``last.ckpt`` (common/checkpoint.py)
holds everything needed to continue: ``python -m hw7_seq2seq.run --resume runs/hw7_seq2seq/<id>``.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from common.checkpoint import TrainingLoop, load_model, model_state
from common.config import config_to_dict
from common.data import length_bucketed_batch_indices
from common.metrics import perplexity
from common.run import Run
from common.schedule import end_epoch, epoch_scheduler
from common.torch_utils import TrainStep
from hw7_seq2seq.config import Config
from hw7_seq2seq.data import Corpus, lengths, make_batch
from hw7_seq2seq.evaluate import evaluate_nll, summed_loss, translate_split
from hw7_seq2seq.model import Seq2Seq


@dataclass
class History:
    """Per epoch: training loss per token, validation perplexity and greedy BLEU, learning rate, minutes
    so far; the best epoch; `cut` when max_minutes ended training mid-epoch; `averaged` the averaging's result."""

    train_loss: list[float] = field(default_factory=list)
    val_perplexity: list[float] = field(default_factory=list)
    val_bleu: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_bleu: float = -1.0
    cut: bool = False
    averaged: dict[str, Any] | None = None

    @property
    def kept(self) -> str:
        """Which weights ``best.ckpt`` holds, in words."""
        if self.averaged and self.averaged["kept"]:
            return f"average of epochs {self.averaged['epochs'][0]}-{self.averaged['epochs'][1]}"
        return f"best epoch {self.best_epoch}"


def average_states(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of several state dicts of one model (checkpoint averaging: the weights at
    the ends of the last few epochs, averaged, often translate better than any one of them)."""
    if not states:
        raise ValueError("average_states needs at least one state dict")
    return {name: torch.stack([state[name] for state in states]).mean(dim=0) for name in states[0]}


class Trainer:
    """One run's training: the model, optimizer, schedule, history and the sums of the epoch in progress,
    saved and restored as a whole by the :class:`~common.checkpoint.TrainingLoop`."""

    def __init__(self, model: Seq2Seq, corpus: Corpus, config: Config, run: Run) -> None:
        self.model, self.corpus, self.config, self.run = model, corpus, config, run
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.train.lr)
        self.step = TrainStep(model, self.optimizer, config.train.clip_norm)
        train = config.train
        self.scheduler = epoch_scheduler(self.optimizer, train.schedule, train.lr_decay, train.decay_after, "max")
        self.history = History()
        self.recent: deque[dict[str, torch.Tensor]] = deque(maxlen=config.train.average_last)
        self.generator = torch.Generator()          # teacher forcing's draws
        self.loss_sum, self.tokens, self.seconds_before = torch.zeros(()), 0, 0.0
        self.started = time.perf_counter()

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "history": asdict(self.history), "recent": list(self.recent), "generator": self.generator.get_state(),
                "loss_sum": self.loss_sum, "tokens": self.tokens, "seconds": self.seconds()}

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.history = History(**state["history"])
        self.recent.extend(state["recent"])
        self.generator.set_state(state["generator"])
        self.loss_sum, self.tokens, self.seconds_before = state["loss_sum"], state["tokens"], state["seconds"]

    def seconds(self) -> float:
        """Seconds of this run so far, across resumes."""
        return self.seconds_before + time.perf_counter() - self.started

    def out_of_time(self) -> bool:
        minutes = self.config.train.max_minutes
        return minutes is not None and self.seconds() > 60 * minutes

    def train_batch(self, positions: Sequence[int]) -> None:
        """One update on the pairs at `positions`: the mean (label-smoothed) loss per target token."""
        train = self.config.train
        batch = make_batch(self.corpus.examples["train"], positions, next(self.model.parameters()).device)
        tokens = batch.num_target_tokens

        def loss_fn() -> torch.Tensor:
            logits = self.model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in, train.teacher_forcing,
                                self.generator)
            return summed_loss(logits, batch.tgt_out, train.label_smoothing) / tokens

        loss, _ = self.step(loss_fn)
        self.loss_sum += loss.cpu() * tokens
        self.tokens += tokens

    def end_epoch(self, epoch: int) -> None:
        """Score validation, record the epoch, keep the best weights, remember them for averaging, schedule."""
        history, decode = self.history, self.config.decode
        val_nll, val_tokens = evaluate_nll(self.model, self.corpus.examples["val"], decode.batch_size)
        val_bleu = translate_split(self.model, self.corpus, "val", decode, beam_size=1).bleu.score
        lr = self.optimizer.param_groups[0]["lr"]
        for values, value in ((history.train_loss, float(self.loss_sum) / max(self.tokens, 1)),
                              (history.val_perplexity, perplexity(val_nll, val_tokens)),
                              (history.val_bleu, val_bleu), (history.minutes, self.seconds() / 60)):
            values.append(round(value, 4))
        history.lr.append(lr)
        self.run.log(f"epoch {epoch}{' (cut short by max_minutes)' if history.cut else ''}: train loss "
                     f"{history.train_loss[-1]:.3f}, val perplexity {history.val_perplexity[-1]:.2f}, val BLEU "
                     f"(greedy) {val_bleu:.2f}, lr {lr:.2g}, {history.minutes[-1]:.1f} min")
        if val_bleu > history.best_bleu:
            history.best_bleu, history.best_epoch = val_bleu, epoch
            self.save_best({"epoch": epoch, "val_bleu": val_bleu})
        if self.config.train.average_last > 1:
            self.recent.append({name: value.detach().clone() for name, value in self.model.state_dict().items()})
        end_epoch(self.scheduler, val_bleu)

    def average(self) -> None:
        """Try the mean of the last epochs' weights; keep it (best.ckpt) when its validation BLEU is higher."""
        if len(self.recent) < 2:
            return
        history, decode = self.history, self.config.decode
        self.model.load_state_dict(average_states(self.recent))
        bleu = translate_split(self.model, self.corpus, "val", decode, beam_size=1).bleu.score
        val_perplexity = perplexity(*evaluate_nll(self.model, self.corpus.examples["val"], decode.batch_size))
        epochs = [len(history.val_bleu) - len(self.recent) + 1, len(history.val_bleu)]
        history.averaged = {"epochs": epochs, "val_bleu": round(bleu, 4), "val_perplexity": round(val_perplexity, 4),
                            "kept": bleu > history.best_bleu}
        self.run.log(f"average of epochs {epochs[0]}-{epochs[1]}: val perplexity {val_perplexity:.2f}, val BLEU "
                     f"(greedy) {bleu:.2f} against {history.best_bleu:.2f} at epoch {history.best_epoch}: "
                     f"{'kept' if history.averaged['kept'] else 'not kept'}")
        if history.averaged["kept"]:
            history.best_bleu = bleu
            self.save_best({"epoch": epochs[1], "val_bleu": bleu, "averaged_epochs": epochs})

    def save_best(self, extra: dict[str, Any]) -> None:
        data = self.config.data
        self.run.checkpoints.save("best", model_state(
            self.model, {"src": self.corpus.src_vocab, "tgt": self.corpus.tgt_vocab}, config_to_dict(self.config),
            extra={"src": data.src, "tgt": data.tgt, **extra}))


def fit(model: Seq2Seq, corpus: Corpus, config: Config, run: Run) -> History:
    """Train `model` on corpus.examples["train"] as the module doc says; resume from the run's
    ``last.ckpt`` when there is one. Returns the history; `model` ends with the weights kept."""
    trainer = Trainer(model, corpus, config, run)
    loop = TrainingLoop(run.checkpoints, trainer.state, trainer.restore, run.log)
    train = config.train
    for epoch in loop.epochs(train.epochs):
        if loop.batch == 0:
            trainer.generator.manual_seed(config.seed + epoch)
            trainer.loss_sum, trainer.tokens = torch.zeros(()), 0
        model.train()
        order = list(length_bucketed_batch_indices(lengths(corpus.examples["train"]), train.batch_size,
                                                   seed=config.seed + epoch))
        for positions in run.progress(loop.batches(order), f"epoch {epoch}", total=len(order), initial=loop.batch):
            if trainer.out_of_time():
                trainer.history.cut = True
                break
            trainer.train_batch(positions)
        trainer.end_epoch(epoch)
        if trainer.history.cut:
            break
    trainer.average()
    load_model(run.checkpoints.path("best"), model, {"src": corpus.src_vocab, "tgt": corpus.tgt_vocab})
    return trainer.history
