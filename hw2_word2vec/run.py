"""Train skip-gram with negative sampling (numpy) and evaluate the word vectors.

    python -m hw2_word2vec.run --config hw2_word2vec/config.quick.yaml
    python -m hw2_word2vec.run --epochs 5 --dim 50 --probes '[money, japan]'

Writes ``vectors.txt`` (word2vec text format), ``vocab.tsv``, ``loss.png``, ``pca.png`` and
``metrics.json`` (WordSim-353 Spearman, OOV pairs, nearest neighbours, words/s) into
``runs/hw2_word2vec/<run id>/`` (the shared word2vec run of common/skipgram_run.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.run import Run, run_cli
from common.skipgram_run import SkipGramConfig, run_skipgram
from hw2_word2vec.corpus import CorpusName, corpus_label, load_corpus
from hw2_word2vec.sgns import SGNSModel


@dataclass
class Config(SkipGramConfig):
    corpus: CorpusName = "ptb"            # ptb | ptb+sst (SST train sentences added, lower-cased)
    data: Path | None = None              # data folder holding sst/ (only for ptb+sst)


def main(config: Config, run: Run) -> dict[str, Any]:
    sentences = load_corpus(config.corpus, config.data, config.max_sentences)
    return run_skipgram(config, run, sentences, corpus_label(config.corpus, config.max_sentences), SGNSModel)


if __name__ == "__main__":
    run_cli("hw2_word2vec", Config, main)
