"""Train skip-gram with negative sampling (numpy) and evaluate the word vectors.

    python -m hw2_word2vec.run --config hw2_word2vec/config.quick.yaml
    python -m hw2_word2vec.run --epochs 5 --dim 50 --probes '[money, japan]'
    python -m hw2_word2vec.run --resume runs/hw2_word2vec/<id>              # continue a killed run

Config (config.py) -> corpus (corpus.py) -> the word2vec run shared with hw3 (common/skipgram_run.py:
vocabulary, pairs, training with ``last.ckpt`` for --resume, evaluation). Writes ``vectors.txt``
(word2vec text format), ``vocab.tsv``, ``loss.png``, ``pca.png`` and ``metrics.json`` (WordSim-353
Spearman, OOV pairs, nearest neighbours, words/s) into ``runs/hw2_word2vec/<run id>/``.
"""
from __future__ import annotations

from typing import Any

from common.run import Run, run_cli
from common.skipgram_run import run_skipgram
from hw2_word2vec.config import Config
from hw2_word2vec.corpus import corpus_label, load_corpus
from hw2_word2vec.sgns import SGNSModel


def main(config: Config, run: Run) -> dict[str, Any]:
    sentences = load_corpus(config.corpus, config.data, config.max_sentences)
    return run_skipgram(config, run, sentences, corpus_label(config.corpus, config.max_sentences), SGNSModel)


if __name__ == "__main__":
    run_cli("hw2_word2vec", Config, main, description="Train skip-gram with negative sampling, written in numpy, "
            "on the Penn Treebank text; evaluate the vectors on WordSim-353, probe nearest neighbours, plot PCA.")
