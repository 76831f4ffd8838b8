"""Every setting of hw4's runs (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw4_dan.run --help`` lists them with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

View = Literal["sst2", "sst5"]


@dataclass
class Config:
    seed: int = 0                     # seeds the DAN's weights, batch order and dropout (member i: seed + i)
    views: list[View] = field(default_factory=lambda: ["sst2", "sst5"])  # sst2 and/or sst5: a model (or ensemble) each
    train_phrases: bool = True        # train on every labelled phrase of the training trees
    lowercase: bool = False           # lower-case every token (train, dev and test)
    min_freq: int = 1                 # rarer training tokens become <unk>
    dim: int = 300                    # embedding size
    init_scale: float = 0.1           # random embeddings ~ N(0, init_scale^2)
    vectors: Path | None = None       # word2vec text file to initialise the embeddings (e.g. hw2's vectors.txt)
    freeze_embeddings: bool = False   # keep the embedding table fixed (no gradient, no update)
    hidden: int = 300                 # size of each feed-forward layer
    depth: int = 3                    # feed-forward layers before the output layer
    activation: Literal["relu", "tanh"] = "relu"   # the non-linearity g of the feed-forward layers
    word_dropout: float = 0.3         # probability of dropping a token before averaging (training only)
    dropout: float = 0.0              # dropout after each feed-forward layer (training only)
    l2: float = 1.0e-5                # λ of the L2 penalty on the weight matrices
    optimizer: Literal["adagrad", "adam"] = "adam"   # for the layers and (row by row) the embedding table
    lr: float = 1.0e-3                # learning rate of the first epoch
    lr_decay: float = 1.0             # epoch e trains with lr * lr_decay ** (e - 1)
    weight_average: float = 0.0       # > 0: evaluate a moving average of the weights with this decay per step
    batch_size: int = 256             # training examples per update
    epochs: int = 10                  # passes over the training data; the best dev epoch is kept
    data: Path | None = None          # folder holding sst/ (default: the resolver's search order)
    max_train: int | None = None      # use only the first max_train training examples (tests, quick looks)
    ensemble: int = 1                 # DANs trained side by side (seeds seed, seed+1, ...), probabilities averaged
    threads: int = 1                  # numpy's BLAS threads: the DAN's matrices are small, and one thread
                                      # is as fast on an idle machine and much faster on a busy one

    def __post_init__(self) -> None:
        if not self.views or len(set(self.views)) != len(self.views):
            raise ValueError(f"views must be a non-empty list of sst2 and sst5, each once, but got {self.views}")
        if not 0.0 <= self.word_dropout < 1.0 or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"word_dropout and dropout must be in [0, 1) but got {self.word_dropout}, {self.dropout}")
        for name in ("dim", "hidden", "batch_size", "epochs", "min_freq", "ensemble", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 but got {getattr(self, name)}")
        if not 0.0 <= self.weight_average < 1.0:
            raise ValueError(f"weight_average must be in [0, 1) (0: off) but got {self.weight_average}")
        if self.depth < 0 or self.lr <= 0 or self.l2 < 0 or not 0 < self.lr_decay <= 1:
            raise ValueError(f"expected depth >= 0, lr > 0, l2 >= 0 and lr_decay in (0, 1] but got {self.depth}, "
                             f"{self.lr}, {self.l2}, {self.lr_decay}")
        if self.max_train is not None and self.max_train < 1:
            raise ValueError(f"max_train must be >= 1 or null (all) but got {self.max_train}")
