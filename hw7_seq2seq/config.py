"""Every setting of hw7's runs (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw7_seq2seq.run --help`` lists them with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Language = Literal["de", "en", "fr"]


@dataclass
class DataConfig:
    src: Language = "de"                  # source language
    tgt: Language = "en"                  # target language
    root: Path | None = None              # folder holding multi30k/ (default: the course data folder)
    min_freq: int = 2                     # units seen fewer times in training become <unk>
    subwords: int | None = None           # BPE units per language, learned on train (null: whole words)
    max_len: int = 50                     # training pairs with a longer side are dropped; longest input translated
    max_train_pairs: int | None = None    # the first N training pairs only (quick runs)

    def __post_init__(self) -> None:
        if self.src == self.tgt:
            raise ValueError(f"src and tgt are both {self.src!r}; choose two different languages")
        if self.min_freq < 1 or self.max_len < 1:
            raise ValueError(f"min_freq and max_len must be >= 1, got {self.min_freq} and {self.max_len}")
        if self.subwords is not None and self.subwords < 100:
            raise ValueError(f"subwords must be >= 100 BPE units (or null for whole words), got {self.subwords}")
        if self.max_train_pairs is not None and self.max_train_pairs < 1:
            raise ValueError(f"max_train_pairs must be >= 1 or null (all), got {self.max_train_pairs}")


@dataclass
class ModelConfig:
    emb_dim: int = 256                    # E, source and target embeddings
    enc_hidden: int = 256                 # H per direction
    dec_hidden: int = 512                 # D
    attention: Literal["additive", "dot", "general", "none"] = "additive"   # how the decoder scores the source
    attn_dim: int = 256                   # size of the additive attention's hidden layer
    dropout: float = 0.3                  # on the embeddings and the output layer's input
    tie_embeddings: bool = False          # output layer E tanh(W_p [s; c; e]) reusing the target embedding E

    def __post_init__(self) -> None:
        for name in ("emb_dim", "enc_hidden", "dec_hidden", "attn_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.attention == "dot" and self.dec_hidden != 2 * self.enc_hidden:
            raise ValueError(f"dot attention needs dec_hidden == 2 * enc_hidden, got {self.dec_hidden} and "
                             f"2 * {self.enc_hidden}; set dec_hidden: {2 * self.enc_hidden} or use 'general'")


@dataclass
class TrainConfig:
    epochs: int = 10                      # passes over the training pairs
    batch_size: int = 128                 # sentence pairs per update
    lr: float = 1.0e-3                    # Adam's learning rate
    clip_norm: float = 1.0                # gradients rescaled to at most this norm
    teacher_forcing: float = 1.0          # probability of feeding the gold previous token
    max_minutes: float | None = None      # stop training (mid-epoch) after this many minutes
    label_smoothing: float = 0.0          # training targets (1 - ε) gold + ε uniform; 0 = plain cross-entropy
    schedule: Literal["plateau", "step"] = "plateau"   # when lr_decay applies (see the next two keys)
    lr_decay: float = 1.0                 # plateau: lr *= lr_decay after an epoch whose val BLEU is no new best;
    decay_after: int = 1                  #   step: after every epoch from decay_after on (lr_decay 1 = constant)
    average_last: int = 1                 # also try the mean of the last N epochs' weights; kept if val BLEU is higher

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.decay_after < 1:
            raise ValueError(f"epochs, batch_size and decay_after must be >= 1, got {self.epochs}, {self.batch_size} "
                             f"and {self.decay_after}")
        if self.lr <= 0 or self.clip_norm <= 0:
            raise ValueError(f"lr and clip_norm must be > 0, got {self.lr} and {self.clip_norm}")
        if not 0 <= self.teacher_forcing <= 1:
            raise ValueError(f"teacher_forcing must be in [0, 1], got {self.teacher_forcing}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1] (1 = no decay), got {self.lr_decay}")
        if self.average_last < 1:
            raise ValueError(f"average_last must be >= 1 (1 = no averaging), got {self.average_last}")


@dataclass
class DecodeConfig:
    beam_size: int = 5                    # the test set's beam search (1 = greedy)
    length_penalty: float = 1.0           # final beam score / length ** length_penalty (0: none)
    max_len: int = 80                     # longest translation, in tokens
    batch_size: int = 128                 # sentences decoded at once
    heatmaps: int = 3                     # attention heat maps of the first test sentences
    unknown_words: Literal["copy", "drop"] = "drop"   # an output <unk> becomes the source unit attended to most,
                                          # or nothing (chosen on validation BLEU: drop, by 2.1 on the quick run)

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1 (1 = greedy), got {self.beam_size}")
        if self.max_len < 1 or self.batch_size < 1 or self.heatmaps < 0:
            raise ValueError(f"max_len and batch_size must be >= 1 and heatmaps >= 0, got {self.max_len}, "
                             f"{self.batch_size} and {self.heatmaps}")


@dataclass
class Config:
    seed: int = 0                         # seeds Python, numpy and torch
    device: str = "auto"                  # auto | cpu | cuda | cuda:N
    threads: int | None = None            # torch CPU threads (null: torch's default)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
