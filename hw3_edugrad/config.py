"""Every setting of hw3's word2vec run (given code): ``config.yaml`` / ``config.quick.yaml`` are read
into :class:`Config`; ``python -m hw3_edugrad.run --help`` lists them with their defaults. They are
common/skipgram_run.py's :class:`SkipGramConfig`, shared with hw2's numpy word2vec, with a smaller batch."""
from __future__ import annotations

from dataclasses import dataclass

from common.skipgram_run import SkipGramConfig


@dataclass
class Config(SkipGramConfig):
    batch_size: int = 1024                # pairs per update: edugrad's [batch, 1 + k, d] arrays stay in the
                                          # CPU cache at 1,024 (4,096 runs about 2.5x slower)
