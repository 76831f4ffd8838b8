"""Train skip-gram with negative sampling written in edugrad, and evaluate the word vectors like hw2.

    python -m hw3_edugrad.run --config hw3_edugrad/config.quick.yaml
    python -m hw3_edugrad.run --epochs 1 --max_sentences 5000 --probes '[money, stock]'

Writes ``vectors.txt`` (word2vec text format), ``vocab.tsv``, ``loss.png``, ``pca.png`` and
``metrics.json`` (WordSim-353 Spearman, OOV pairs, nearest neighbours, words/s) into
``runs/hw3_edugrad/<run id>/`` (the shared word2vec run of common/skipgram_run.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.data import read_ptb
from common.run import Run, run_cli
from common.skipgram_run import SkipGramConfig, run_skipgram
from hw3_edugrad.word2vec import EdugradSGNS


@dataclass
class Config(SkipGramConfig):
    """hw2's settings, but smaller batches: edugrad's graph builds [batch, 1 + k, d] arrays, and at
    1,024 pairs they stay in the CPU cache (4,096 runs about 2.5x slower)."""

    batch_size: int = 1024


def main(config: Config, run: Run) -> dict[str, Any]:
    sentences = read_ptb("train")[: config.max_sentences]
    dataset = "PTB train" if config.max_sentences is None else f"PTB train (first {config.max_sentences} lines)"
    return run_skipgram(config, run, sentences, dataset, EdugradSGNS, label=" (edugrad)")


if __name__ == "__main__":
    run_cli("hw3_edugrad", Config, main)
