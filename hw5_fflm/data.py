"""The corpus as word ids (given code): the three splits of PTB (or SST), the vocabulary of all of
train, and the windows both language models are trained and scored on.

    corpus = load_corpus(config)                       # vocabulary, ids per split, a name for the tables
    windows = corpus.windows(corpus.train, 4)          # Windows: contexts [N, 4], targets [N]
"""
from __future__ import annotations

from dataclasses import dataclass

from common.data import read_ptb, read_sst_trees
from common.vocabulary import BOS, EOS, Vocabulary
from hw5_fflm.config import Config
from hw5_fflm.windows import Windows, build_lm_vocabulary, make_windows

SPLITS = {"ptb": ("train", "valid", "test"), "sst": ("train", "dev", "test")}


@dataclass
class Corpus:
    """ids[split]: one list of word ids per sentence (train cut to `max_train_sentences`, dev and test
    to `max_eval_sentences`); vocab: all of train's words; name: the data as the tables name it."""

    vocab: Vocabulary
    ids: dict[str, list[list[int]]]
    name: str
    train: str
    dev: str
    test: str

    def windows(self, split: str, context_size: int) -> Windows:
        """Every (context, next word) example of `split` with `context_size` previous words."""
        bos, eos = self.vocab.token_to_index(BOS), self.vocab.token_to_index(EOS)
        return make_windows(self.ids[split], context_size, bos, eos)


def read_corpus(dataset: str) -> dict[str, list[list[str]]]:
    """The three splits as token lists: PTB as given, SST sentences lower-cased."""
    if dataset == "ptb":
        return {split: read_ptb(split) for split in SPLITS["ptb"]}
    return {split: [[token.lower() for token in example.tokens] for example in read_sst_trees(split)]
            for split in SPLITS["sst"]}


def load_corpus(config: Config) -> Corpus:
    """The corpus of `config.dataset`; the vocabulary comes from all of train, so quick runs share it."""
    sentences = read_corpus(config.dataset)
    train, dev, test = SPLITS[config.dataset]
    vocab = build_lm_vocabulary(sentences[train], config.min_freq)
    sentences[train] = sentences[train][: config.max_train_sentences]
    for split in (dev, test):
        sentences[split] = sentences[split][: config.max_eval_sentences]
    name = config.dataset.upper()
    if config.max_train_sentences is not None:
        name += f" (first {len(sentences[train]):,} train lines)"
    if config.max_eval_sentences is not None:
        name += f" (first {config.max_eval_sentences:,} {dev} and {test} lines)"
    ids = {split: [vocab.tokens_to_indices(sentence) for sentence in lines] for split, lines in sentences.items()}
    return Corpus(vocab, ids, name, train, dev, test)
