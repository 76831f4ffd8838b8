"""Every setting of hw5's runs (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw5_fflm.run --help`` lists them with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class Config:
    seed: int = 0                         # seeds the model's weights and dropout, the batch order and the samples
    dataset: Literal["ptb", "sst"] = "ptb"  # ptb (Penn Treebank LM text) or sst (SST sentences, lower-cased)
    max_train_sentences: int | None = None  # train on the first lines only (the vocabulary is still all of train's)
    max_eval_sentences: int | None = None   # score only the first lines of dev and test (tests of the code)
    min_freq: int = 1                     # rarer training words become <unk> (PTB has its 10k words already)
    context_size: int = 4                 # n − 1 previous words
    embedding_dim: int = 128              # e, the size of a word vector
    hidden_dim: int = 300                 # h, the tanh units
    direct: bool = False                  # Bengio's direct connections from the word vectors to the output
    dropout: float = 0.3                  # on the word vectors and the tanh layer, in training
    embedding_std: float = 1.0            # the word vectors start as N(0, embedding_std²)
    tie_embeddings: bool = False          # the output layer reuses the word vectors (U = P Cᵀ)
    optimizer: Literal["adam", "sgd"] = "adam"  # edugrad's Adam or plain SGD
    lr: float = 1.0e-3                    # the first epoch's learning rate
    weight_decay: float = 0.0             # L2 penalty added to every gradient
    lr_decay: float = 0.5                 # the rate is multiplied by this after an epoch with no new best dev score
    min_improvement: float = 0.0          # the fall of dev perplexity that is a new best (0.01: 1 %; less is a plateau)
    epochs: int = 10                      # passes over the training windows
    max_minutes: float | None = None      # start no new epoch after this many minutes of training (null: no limit)
    batch_size: int = 256                 # training windows per update
    eval_batch_size: int = 2048           # windows scored at once on dev and test
    kn_order: int = 5                     # the Kneser–Ney baseline's n
    prompts: list[str] = field(default_factory=lambda: ["the company said", "in new york"])  # sampled after each epoch
    sample_words: int = 20                # words sampled after each prompt
    temperature: float = 1.0              # sampling temperature (< 1 more conservative, > 1 more adventurous)
    top_k: int | None = 50                # sample among the k most probable words only (null: all of them)

    def __post_init__(self) -> None:
        if min(self.context_size, self.embedding_dim, self.hidden_dim, self.epochs, self.batch_size,
               self.eval_batch_size, self.kn_order, self.min_freq) < 1:
            raise ValueError("context_size, embedding_dim, hidden_dim, epochs, batch_size, eval_batch_size, "
                             "kn_order and min_freq must all be >= 1")
        if not 0 <= self.dropout < 1 or self.lr <= 0 or self.temperature <= 0:
            raise ValueError(f"need 0 <= dropout < 1, lr > 0 and temperature > 0; got {self.dropout}, {self.lr}, "
                             f"{self.temperature}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1] (1: a constant rate) but got {self.lr_decay}")
        if not 0 <= self.min_improvement < 1:
            raise ValueError(f"min_improvement must be in [0, 1) (a fraction of the best dev perplexity) but got "
                             f"{self.min_improvement}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1 or null (no limit) but got {self.top_k}")
        for name in ("max_train_sentences", "max_eval_sentences"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 or null (the whole split) but got {getattr(self, name)}")
