"""Every setting of hw6's runs (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw6_rnn.run --help`` lists them with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Cell = Literal["lstm", "elman"]


@dataclass
class ClassifierConfig:
    datasets: list[Literal["sst2", "sst5"]] = field(default_factory=lambda: ["sst2"])   # one classifier each
    phrases: bool = False             # train on every labelled phrase of the trees (dev/test: sentences)
    min_freq: int = 1                 # vocabulary: train words seen at least this often
    max_train: int | None = None      # keep only the first examples of train (tests, quick runs)
    embedding_dim: int = 300          # E, the word vectors' size
    embeddings: Literal["random", "minilm"] = "random"   # minilm: start from MiniLM's wordpiece table (384-d)
    hidden_size: int = 150            # H per direction
    num_layers: int = 1               # stacked recurrent layers
    bidirectional: bool = True        # a right-to-left direction beside the left-to-right one
    cell: Cell = "lstm"               # the recurrent cell
    pooling: Literal["final", "mean", "max"] = "max"   # how the outputs become one sentence vector
    dropout: float = 0.5              # on the embeddings, between layers and before the output layer
    fused: bool = True                # torch.nn.LSTM with packed sequences; false: your StackedRNN
    sparse_embeddings: bool = True    # update only the embedding rows a batch uses (SparseAdam): a dense
                                      #   Adam step over every row costs more than the whole LSTM
    batch_size: int = 32              # sentences per update
    epochs: int = 8                   # passes over train; the best dev epoch's weights are tested
    lr: float = 1.0e-3                # Adam's learning rate
    weight_decay: float = 0.0         # Adam's L2 penalty (not on the embeddings)
    clip_norm: float = 5.0            # gradients rescaled to at most this norm

    def __post_init__(self) -> None:
        if not self.datasets:
            raise ValueError("classifier.datasets is empty; list sst2 and/or sst5")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"classifier.dropout must be in [0, 1), got {self.dropout}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("classifier.epochs and classifier.batch_size must be >= 1")
        if self.embeddings == "minilm" and self.embedding_dim != 384:
            raise ValueError(f"classifier.embeddings minilm gives 384-d vectors; set classifier.embedding_dim 384 "
                             f"(got {self.embedding_dim})")


@dataclass
class LMConfig:
    corpus: Literal["ptb", "sst_chars"] = "ptb"   # PTB words, or SST sentences as characters
    max_train_tokens: int | None = None   # cut the training text (quick runs, tests)
    min_freq: int = 1                     # training tokens seen fewer times become <unk>
    embedding_dim: int = 200              # E
    hidden_size: int = 200                # H
    num_layers: int = 2                   # stacked recurrent layers
    cell: Cell = "lstm"                   # the recurrent cell
    dropout: float = 0.0                  # on the embeddings, between layers and before the output layer
    tie_weights: bool = False             # the output layer reuses the embedding matrix (needs E == H)
    fused: bool = True                    # torch.nn.LSTM; false: your StackedRNN
    batch_size: int = 20                  # parallel rows the training text is cut into
    bptt: int = 35                        # time steps per window (gradients reach this far back)
    lr: float = 1.0                       # plain SGD's learning rate
    clip_norm: float = 5.0                # gradients rescaled to at most this norm
    epochs: int = 6                       # passes over the training text
    schedule: Literal["step", "plateau"] = "step"   # step: decay after every epoch from decay_after on; plateau:
                                                    #   after an epoch whose validation perplexity is no new best
    lr_decay: float = 0.5                 # lr *= lr_decay at each decay (1: a constant rate)
    decay_after: int = 4                  # step: the first epoch after which the rate decays
    max_minutes: float | None = None      # stop training after this many minutes, resumes included (then evaluate)
    eval_batch_size: int = 10             # rows of the validation and test text
    prompt: str = "the company said"      # what the samples continue
    sample_tokens: int = 30               # tokens sampled after the prompt
    samples: int = 3                      # samples drawn (seeds 0, 1, ...)
    temperature: float = 0.8              # sampling temperature (0: greedy)
    top_k: int | None = None              # sample among the k most probable tokens only (null: all)
    top_p: float | None = 0.9             # nucleus: the fewest tokens whose probability reaches p (null: all)

    def __post_init__(self) -> None:
        if not 0 <= self.dropout < 1:
            raise ValueError(f"lm.dropout must be in [0, 1), got {self.dropout}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lm.lr_decay must be in (0, 1] (1 = a constant rate), got {self.lr_decay}")
        if self.decay_after < 1:
            raise ValueError(f"lm.decay_after must be >= 1 (the first epoch after which the rate decays), "
                             f"got {self.decay_after}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"lm.top_p must be in (0, 1] or null, got {self.top_p}")


@dataclass
class VanishingConfig:
    steps: int = 100                      # inputs the cells read; gradients measured this far back
    hidden_size: int = 64                 # H of the three cells
    input_size: int = 32                  # size of each random input
    batch_size: int = 16                  # sequences the norms are averaged over
    forget_bias: float = 1.0              # the third curve's LSTM forget-gate bias


@dataclass
class Config:
    seed: int = 0                     # seeds Python, numpy and torch; batch orders and samples follow from it
    device: str = "auto"              # auto (a CUDA GPU when there is one, else the CPU) | cpu | cuda | cuda:N | mps
    amp: bool = False                 # float16 mixed precision (only on a GPU; ignored on the CPU)
    threads: int | None = None        # torch CPU threads (null: torch's default)
    data: Path | None = None          # data folder holding sst/ (null: COURSE_DATA, data/, ../shared/data)
    parts: list[Literal["classifier", "lm", "vanishing"]] = field(   # what this run does
        default_factory=lambda: ["classifier", "lm", "vanishing"])
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    lm: LMConfig = field(default_factory=LMConfig)
    vanishing: VanishingConfig = field(default_factory=VanishingConfig)

    def __post_init__(self) -> None:
        if not self.parts:
            raise ValueError("parts is empty; list some of classifier, lm, vanishing")
