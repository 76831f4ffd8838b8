"""Every setting of hw8's runs (given code): ``config.yaml``, ``config.quick.yaml`` and ``config.cpu.yaml``
are read into :class:`Config`; ``python -m hw8_transformer.run --help`` lists the keys with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.torch_utils import Precision

Mode = Literal["probe", "finetune"]
Pooling = Literal["cls", "mean"]


@dataclass
class TrainSettings:
    """How one model trains (the config's `train` section for fine-tuning, `probe` for the linear probe)."""

    lr: float = 5e-5                   # AdamW's peak learning rate (of the head, with layer_decay < 1)
    weight_decay: float = 0.01         # AdamW's decoupled weight decay (never on biases and LayerNorm weights)
    warmup: float = 0.06               # fraction of the updates spent warming up (then a linear decay to 0)
    epochs: float = 3.0                # passes over the training phrases (may be fractional)
    batch_size: int = 32               # global examples per optimizer update (all processes together)
    grad_accum: int = 1                # micro-batches per update on each process
    max_grad_norm: float = 1.0         # gradients clipped to this norm (0 = no clipping)
    eval_every: int = 500              # updates between dev evaluations (0 = once per epoch)
    eval_batch_size: int = 128         # sentences per batch when evaluating
    precision: Precision = "fp32"      # autocast: fp32 (none), bf16, or fp16 (with loss scaling)
    compile: bool = False              # torch.compile the model (GPU; dynamic shapes)
    layer_decay: float = 1.0           # lr x layer_decay**depth below the top (1 = one lr for all layers)

    def __post_init__(self) -> None:
        for name in ("lr", "epochs", "batch_size", "grad_accum", "eval_batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.eval_every < 0 or self.max_grad_norm < 0:
            raise ValueError(f"eval_every and max_grad_norm must be >= 0 (0: once per epoch, no clipping), got "
                             f"{self.eval_every} and {self.max_grad_norm}")
        if not 0 < self.layer_decay <= 1:
            raise ValueError(f"layer_decay scales the lr per layer below the top, in (0, 1]; got {self.layer_decay}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup is a fraction of the updates in [0, 1), got {self.warmup}")


@dataclass
class ProbeSettings(TrainSettings):
    """The linear probe's settings (the config's `probe` section): TrainSettings with the probe's defaults."""

    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup: float = 0.0
    epochs: float = 1.0


@dataclass
class Config:
    seed: int = 0                             # seeds Python, numpy and torch; the batch order of each epoch
    data: Path | None = None                  # folder holding sst2/ (default: the course data resolver)
    model_name: str = "all-MiniLM-L6-v2"      # found by common.resources.find_model
    model_path: Path | None = None            # a local checkpoint folder instead (or $HW8_MODEL_PATH)
    pooling: Pooling = "cls"                  # cls (pooler on [CLS]) or mean (masked mean of token states)
    probe_pooling: Pooling | None = "mean"    # the linear probe's pooling (null: the same as pooling)
    dropout: float = 0.1                      # on the pooled state, before the head
    head: Literal["ours", "auto"] = "ours"    # auto: AutoModelForSequenceClassification (pooling cls)
    modes: list[Mode] = field(default_factory=lambda: ["probe", "finetune"])   # the models trained, in order
    max_length: int = 64                      # tokens, [CLS] and [SEP] included; longer sentences are cut
    train_examples: int | None = None         # a random subset of the 67,349 training phrases (null: all)
    eval_test: bool = False                   # also report the labelled test split (1,821 sentences)
    device: Literal["auto", "cpu", "cuda"] = "auto"   # auto: this process's GPU when there is one, else CPU
    mistakes_shown: int = 10                  # most confident dev mistakes kept in metrics.json
    train: TrainSettings = field(default_factory=TrainSettings)      # fine-tuning
    probe: ProbeSettings = field(default_factory=ProbeSettings)      # the linear probe (frozen encoder)

    def __post_init__(self) -> None:
        if not self.modes or len(set(self.modes)) != len(self.modes):
            raise ValueError(f"modes must list probe and/or finetune, each once, got {self.modes}")
        if self.head == "auto" and self.pooling != "cls":
            raise ValueError("head auto (AutoModelForSequenceClassification) pools with cls; set pooling: cls "
                             "(a mean-pooled linear probe always uses our head)")
        if self.model_path is not None and not (Path(self.model_path) / "config.json").is_file():
            found = "has no config.json" if Path(self.model_path).is_dir() else "does not exist"
            raise ValueError(f"model_path {self.model_path} {found}; expected a local Hugging Face checkpoint "
                             "folder (config.json, the weights, the tokenizer files): pass --model-path with that "
                             "folder, or drop it to use the packaged all-MiniLM-L6-v2")
        if not 0 <= self.dropout < 1 or self.mistakes_shown < 0:
            raise ValueError(f"dropout must be in [0, 1) and mistakes_shown >= 0, got {self.dropout} and "
                             f"{self.mistakes_shown}")
