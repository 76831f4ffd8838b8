"""The corpora this homework counts, as token lists: SST trees, GLUE-style SST-2, or Penn Treebank."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from common.data import read_ptb, read_sst2_tsv, read_sst_trees

CorpusName = Literal["sst", "sst2", "ptb"]
CORPUS_LABELS = {"sst": "SST", "sst2": "SST-2 (GLUE)", "ptb": "PTB"}
SPLITS = ("train", "dev", "test")


def load_corpus(
    name: CorpusName, split: str, lowercase: bool = False, root: Path | None = None
) -> list[list[str]]:
    """One token list per sentence of `split` ("train", "dev" or "test") of corpus `name`.

    - ``"sst"``: the sentences of the SST trees (tree leaves, case kept): 8,544 / 1,101 / 2,210.
    - ``"sst2"``: GLUE-style SST-2 rows; its train split holds every labelled *phrase* (67,349 rows,
      so phrases overlap), its dev/test splits hold sentences. Already lower-cased.
    - ``"ptb"``: Penn Treebank LM text (lower-cased, rare words already ``<unk>``); "dev" is its
      "valid" split.

    `lowercase` lower-cases every token. `root` is the data folder for SST (None: the usual places,
    see common.resources.find_dataset). Raises ValueError for an unknown name or split, or an empty corpus.
    """
    if name not in CORPUS_LABELS:
        raise ValueError(f"unknown corpus {name!r}; choose one of {list(CORPUS_LABELS)} (config key 'corpus')")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {list(SPLITS)}")
    if name == "sst":
        sentences = [example.tokens for example in read_sst_trees(split, root=root)]
    elif name == "sst2":
        sentences = [example.tokens for example in read_sst2_tsv(split, root=root)]
    else:
        sentences = read_ptb("valid" if split == "dev" else split)
    if lowercase:
        sentences = [[token.lower() for token in tokens] for tokens in sentences]
    if not any(sentences):
        raise ValueError(f"the {split} split of corpus {name!r} has no tokens; check the data folder "
                         f"(set COURSE_DATA or pass --data) or run `make data`")
    return sentences


def corpus_label(name: CorpusName, split: str, lowercase: bool) -> str:
    """Row label for reports, e.g. ``"SST train"`` or ``"SST dev (lowercased)"``."""
    return f"{CORPUS_LABELS[name]} {split}" + (" (lowercased)" if lowercase else "")
