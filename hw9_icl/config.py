"""Every setting of hw9's runs (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw9_icl.run --help`` lists them with their defaults and meanings."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hw9_icl.prompts import load_template
from hw9_icl.selection import STRATEGIES, Strategy

Calibration = Literal["none", "content_free", "batch"]
# a calibration -> (the grid row's key holding its accuracy, how the report names it)
CALIBRATIONS = {"none": ("accuracy", "uncalibrated"), "content_free": ("calibrated", "calibrated"),
                "batch": ("batch_calibrated", "batch-calibrated")}


@dataclass
class DecodingSettings:
    """Decoding hyper-parameters of the generation experiment; temperature 0 is greedy decoding."""

    name: str = "greedy"           # how the report names this setting
    temperature: float = 0.0       # 0: greedy (top_k and top_p unused); > 0: sample at this temperature
    top_k: int = 0                 # sample among the k most likely tokens only (0: no top-k filtering)
    top_p: float = 1.0             # sample from the smallest set of tokens holding this probability (1: all)
    max_new_tokens: int = 3        # tokens generated after the prompt


@dataclass
class Headline:
    """The grid cell reported as the run's headline, declared before the run (k = 0 ignores the strategy)."""

    k: int = 4                             # demonstrations in the headline cell
    strategy: Strategy = "balanced"        # how the headline cell chooses its demonstrations
    calibration: Calibration = "batch"     # which of the cell's accuracies is the headline

    def __post_init__(self) -> None:
        if self.k < 0:
            raise ValueError(f"expected a headline cell with k >= 0 but got k = {self.k}; set headline.k to 0 or more")

    def describe(self) -> str:
        cell = "k=0" if self.k == 0 else f"k={self.k} {self.strategy}"
        return f"{cell}, {CALIBRATIONS[self.calibration][1]}"


def _default_decoding() -> list[DecodingSettings]:
    return [DecodingSettings("greedy"), DecodingSettings("t0.7-p0.9", temperature=0.7, top_p=0.9)]


@dataclass
class Config:
    seed: int = 0                            # draws the demonstration pool, the demonstrations and the sampled answers
    data: Path | None = None                 # data folder holding sst2/ (default: the resolver's order)
    model_path: str | None = None            # a Hugging Face causal LM folder (default: Gemma 3 270M, course models)
    instruct_model_path: str | None = None   # a second (instruction-tuned) model evaluated on the same grid
    chat: Literal["auto", "yes", "no"] = "auto"  # auto: the chat template when the tokenizer has one
    template: str = "review"                 # a prompt template named in templates.yaml
    split: Literal["dev", "test"] = "dev"    # dev (choose settings here) or test (confirm a dev choice, once)
    num_dev: int = 0                         # first N reviews of the split (0: all 872 dev / 1,821 test)
    pool_size: int = 4000                    # demonstration pool drawn from SST-2 train phrases (0: all)
    min_words: int = 6                       # shortest training phrase in the pool, in words
    max_words: int = 30                      # longest training phrase in the pool, in words
    ks: list[int] = field(default_factory=lambda: [0, 1, 2, 4, 8, 16])  # demonstrations per prompt, one cell each
    strategies: list[Strategy] = field(default_factory=lambda: list(STRATEGIES))  # choices of demonstrations
    order: Literal["as_selected", "reversed", "shuffled"] = "as_selected"  # order of the chosen demonstrations
    random_labels_ks: list[int] = field(default_factory=lambda: [4, 8])  # balanced demos with random labels
    generation_k: int = 4                    # balanced demonstrations for the generation experiment
    generation_num_dev: int = 100            # first N reviews of the split for generation (0: skip)
    decoding: list[DecodingSettings] = field(default_factory=_default_decoding)  # decodings compared in generation
    batch_size: int = 16                     # prompts scored (or generated) together
    calibration_sample: int = 32             # nearest: reviews whose demonstrations estimate p_cf
    ensemble_templates: list[str] = field(default_factory=list)  # templates of the ensemble ([]: no ensemble)
    ensemble_seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3])  # one draw of demonstrations each
    ensemble_k: int = 16                     # class-balanced demonstrations per ensemble member
    cache_dir: Path | None = None            # cells shared by every run (default runs/hw9_icl/cells)
    headline: Headline = field(default_factory=Headline)  # the cell reported as the headline, declared here

    def __post_init__(self) -> None:
        if any(k < 0 for k in self.ks) or not self.ks:
            raise ValueError(f"expected ks to be a non-empty list of k >= 0 but got {self.ks}; e.g. --ks '[0, 4]'")
        if self.ensemble_templates and (self.ensemble_k < 0 or not self.ensemble_seeds):
            raise ValueError(f"an ensemble needs ensemble_k >= 0 and at least one seed, got k = {self.ensemble_k}, "
                             f"seeds {self.ensemble_seeds}")
        for name in self.ensemble_templates:
            load_template(name)  # an unknown name fails here, before any model is loaded
