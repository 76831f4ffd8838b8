"""Train skip-gram with negative sampling written in edugrad, and evaluate the word vectors like hw2.

    python -m hw3_edugrad.run --config hw3_edugrad/config.quick.yaml
    python -m hw3_edugrad.run --epochs 1 --max_sentences 10000 --probes '[money, stock]'
    python -m hw3_edugrad.run --resume runs/hw3_edugrad/<id>               # continue a killed run

Config (config.py) -> PTB train -> the word2vec run shared with hw2 (common/skipgram_run.py:
vocabulary, pairs, training with ``last.ckpt`` for --resume, evaluation). Writes ``vectors.txt``
(word2vec text format), ``vocab.tsv``, ``loss.png``, ``pca.png`` and ``metrics.json`` (WordSim-353
Spearman, OOV pairs, nearest neighbours, words/s) into ``runs/hw3_edugrad/<run id>/``.
The probe words and the PCA words (``--pca_words``) must occur ``min_freq`` times in the lines kept
(with ``--max_sentences 5000``, "friday" does not): the run checks them before it trains.
"""
from __future__ import annotations

from typing import Any

from common.data import read_ptb
from common.run import Run, run_cli
from common.skipgram_run import run_skipgram
from hw3_edugrad.config import Config
from hw3_edugrad.word2vec import EdugradSGNS


def main(config: Config, run: Run) -> dict[str, Any]:
    sentences = read_ptb("train")[: config.max_sentences]
    dataset = "PTB train" if config.max_sentences is None else f"PTB train (first {config.max_sentences} lines)"
    return run_skipgram(config, run, sentences, dataset, EdugradSGNS, label=" (edugrad)")


if __name__ == "__main__":
    run_cli("hw3_edugrad", Config, main, description="Train skip-gram with negative sampling written in edugrad "
            "on the Penn Treebank text; evaluate the vectors on WordSim-353, probe nearest neighbours, plot PCA.")
