"""Training the feed-forward language model (given code): the epoch loop, the plateau schedule, the
best checkpoint, samples after every epoch, the time budget, and an exact resume after a kill.

    history = fit(model, rng, corpus, train_windows, dev_windows, config, run)   # `model` ends with best.ckpt

Each epoch trains on minibatches of windows in an order drawn from the seed and the epoch, with
edugrad's Adam or SGD, then scores the development windows and logs text sampled from the prompts.
The rate is multiplied by `lr_decay` after an epoch whose development perplexity is not below the
best so far by the fraction `min_improvement` (common.schedule, kind "plateau"). The weights with
the best development perplexity are kept in the run's ``best.ckpt`` and loaded back at the end.
With `max_minutes`, no new epoch starts once that much training time has gone, counted across
resumes. ``last.ckpt`` holds everything needed to continue: ``python -m hw5_fflm.run --resume
runs/hw5_fflm/<id>``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from common.checkpoint import TrainingLoop, load_model, model_state
from common.config import config_to_dict
from common.data import batch_indices
from common.run import Run
from common.schedule import LearningRateSchedule
from common.vocabulary import Vocabulary
from hw3_edugrad.edugrad import ops, optim
from hw5_fflm.config import Config
from hw5_fflm.data import Corpus
from hw5_fflm.evaluate import perplexity_of, token_log_probs
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.sample import encode_prompt, generate
from hw5_fflm.windows import Windows

OPTIMIZERS: dict[str, Callable[..., optim.Optimizer]] = {"adam": optim.Adam, "sgd": optim.SGD}


@dataclass
class History:
    """Per epoch: the training perplexity (exp of the mean loss, dropout on), the development
    perplexity, the learning rate used and the seconds the epoch's updates took."""

    train_perplexity: list[float] = field(default_factory=list)
    dev_perplexity: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0  # 1-based; 0 before the first epoch
    stopped_early: bool = False  # the time budget ran out before the last epoch


def make_schedule(config: Config) -> LearningRateSchedule:
    """The rate times `lr_decay` after an epoch whose dev perplexity is not a new best by `min_improvement`."""
    return LearningRateSchedule(config.lr, config.lr_decay, "plateau", config.min_improvement)


class Trainer:
    """One run's training: the model and its generator (dropout), the optimizer, the schedule, the
    history, the sampling generator and the sums of the epoch in progress, saved and restored as a
    whole by the :class:`~common.checkpoint.TrainingLoop`."""

    def __init__(self, model: FeedForwardLM, rng: np.random.Generator, corpus: Corpus, train_windows: Windows,
                 dev_windows: Windows, config: Config, run: Run) -> None:
        self.model, self.rng, self.corpus, self.config, self.run = model, rng, corpus, config, run
        self.train_windows, self.dev_windows = train_windows, dev_windows
        self.optimizer = OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr,
                                                      weight_decay=config.weight_decay)
        self.schedule = make_schedule(config)
        self.history = History()
        self.sample_rng = np.random.default_rng(config.seed + 1)
        self.loss_sum, self.epoch_began, self.seconds_before = 0.0, 0.0, 0.0
        self.started = time.perf_counter()

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "history": asdict(self.history),
                "rng": self.rng.bit_generator.state, "sample_rng": self.sample_rng.bit_generator.state,
                "loss_sum": self.loss_sum, "epoch_began": self.epoch_began, "seconds": self.seconds()}

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.history = History(**state["history"])
        self.rng.bit_generator.state = state["rng"]
        self.sample_rng.bit_generator.state = state["sample_rng"]
        self.loss_sum, self.epoch_began, self.seconds_before = state["loss_sum"], state["epoch_began"], state["seconds"]

    def seconds(self) -> float:
        """Seconds of training so far, across resumes."""
        return self.seconds_before + time.perf_counter() - self.started

    def start_epoch(self) -> None:
        self.loss_sum, self.epoch_began = 0.0, self.seconds()

    def train_batch(self, rows: np.ndarray) -> None:
        """One update on the training windows at `rows`: the mean cross-entropy of their next words."""
        self.optimizer.zero_grad()
        windows = self.train_windows
        loss = ops.cross_entropy(self.model(windows.contexts[rows]), labels=windows.targets[rows])
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.item() * len(rows)

    def end_epoch(self, epoch: int) -> None:
        """Record the epoch, score dev, keep the best weights, schedule the rate, log samples, check the time."""
        history, config = self.history, self.config
        history.seconds.append(self.seconds() - self.epoch_began)
        history.lr.append(self.optimizer.lr)
        history.train_perplexity.append(math.exp(self.loss_sum / len(self.train_windows)))
        dev = perplexity_of(token_log_probs(self.model, self.dev_windows, config.eval_batch_size))
        history.dev_perplexity.append(dev)
        if dev < self.schedule.best:
            history.best_epoch = epoch
            self.save_best(epoch, dev)
        self.optimizer.lr = self.schedule.step(dev)
        self.run.log(f"epoch {epoch}: train perplexity {history.train_perplexity[-1]:.1f}, {self.corpus.dev} {dev:.1f} "
                     f"(lr {history.lr[-1]:.2g}, {history.seconds[-1]:.0f} s)")
        for prompt in config.prompts:
            words = generate(self.model, self.corpus.vocab, prompt.split(), config.sample_words, config.temperature,
                             config.top_k, self.sample_rng)
            self.run.log(f"  {prompt} | {' '.join(words)}")
        out_of_time = config.max_minutes is not None and self.seconds() > 60 * config.max_minutes
        history.stopped_early = out_of_time and epoch < config.epochs

    def save_best(self, epoch: int, dev: float) -> None:
        """``best.ckpt``: the weights with the vocabulary and config they go with (common.checkpoint.model_state)."""
        self.run.checkpoints.save("best", model_state(self.model, {"words": self.corpus.vocab},
                                                      config_to_dict(self.config),
                                                      extra={"epoch": epoch, "dev_perplexity": dev}))


def log_unknown_prompt_words(vocab: Vocabulary, prompts: Sequence[str], log: Callable[[str], None]) -> None:
    """Say which prompt words the samples will read as <unk>."""
    for prompt in prompts:
        unknown = encode_prompt(vocab, prompt.split())[1]
        if unknown:
            log(f"prompt {prompt!r}: {unknown} not in the vocabulary, read as <unk>")


def fit(model: FeedForwardLM, rng: np.random.Generator, corpus: Corpus, train_windows: Windows, dev_windows: Windows,
        config: Config, run: Run) -> History:
    """Train `model` (built from `rng`, which its dropout draws from) as the module doc says; resume
    from the run's ``last.ckpt`` when there is one. Returns the history; `model` ends with the best weights."""
    log_unknown_prompt_words(corpus.vocab, config.prompts, run.log)
    trainer = Trainer(model, rng, corpus, train_windows, dev_windows, config, run)
    loop = TrainingLoop(run.checkpoints, trainer.state, trainer.restore, run.log)
    for epoch in loop.epochs(config.epochs):
        if trainer.history.stopped_early:
            break
        if loop.batch == 0:
            trainer.start_epoch()
        model.train()
        batches = list(batch_indices(len(train_windows), config.batch_size, shuffle=True, seed=config.seed + epoch))
        for rows in run.progress(loop.batches(batches), f"epoch {epoch}/{config.epochs}", total=len(batches),
                                 initial=loop.batch):
            trainer.train_batch(rows)
        trainer.end_epoch(epoch)
    if trainer.history.stopped_early:
        run.log(f"stopped after {len(trainer.history.dev_perplexity)} of {config.epochs} epochs: the time budget of "
                f"{config.max_minutes:g} minutes ran out")
    load_model(run.checkpoints.path("best"), model, {"words": corpus.vocab})
    return trainer.history
