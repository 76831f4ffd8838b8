"""Every setting of hw2's run (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw2_word2vec.run --help`` lists them with their defaults. The word2vec
settings are common/skipgram_run.py's :class:`SkipGramConfig`, shared with hw3; hw2 adds the corpus."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from common.skipgram_run import SkipGramConfig

CorpusName = Literal["ptb", "ptb+sst"]


@dataclass
class Config(SkipGramConfig):
    corpus: CorpusName = "ptb"            # ptb: PTB train; ptb+sst: with SST's training sentences, lower-cased
    data: Path | None = None              # data folder holding sst/ (only for ptb+sst; null: the usual places)
