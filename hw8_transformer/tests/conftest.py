"""Fixtures for hw8's tests: a tiny randomly initialised BERT (built locally, no download) with a
WordPiece tokenizer over a small vocabulary, and a small GLUE-style SST-2 folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from common.testing import one_torch_thread  # noqa: F401  (autouse: one thread, as the torchrun test's processes)

POSITIVE = ["good", "great", "fun", "moving", "witty", "gorgeous"]
NEGATIVE = ["bad", "dull", "boring", "awful", "lifeless", "tedious"]
FILLER = ["the", "film", "is", "a", "movie", "story", "and", "very", "quite", "'s", "``", "''", ",", ".", "null"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_bert_config(vocab_size: int, dropout: float = 0.1):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=dropout,
                      attention_probs_dropout_prob=dropout)


def write_tiny_bert(folder: Path, dropout: float = 0.1, vocab_size: int | None = None) -> Path:
    """A 2-layer, 32-dimensional BERT with random weights (seed 0) and its tokenizer, saved in `folder`."""
    from transformers import BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = SPECIALS + sorted(set(POSITIVE + NEGATIVE + FILLER))
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True,
                                  model_max_length=64)
    assert len(tokenizer) == len(vocab), f"expected a tokenizer of {len(vocab)} tokens, got {len(tokenizer)}"
    torch.manual_seed(0)
    model = BertModel(tiny_bert_config(vocab_size or len(vocab), dropout))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def synthetic_sentence(rng: np.random.Generator, label: int) -> str:
    """A sentence whose sentiment words all carry `label` (so a tiny model can learn it)."""
    words = list(rng.choice(FILLER[:9], size=rng.integers(2, 8)))
    cue = POSITIVE if label == 1 else NEGATIVE
    for _ in range(rng.integers(1, 3)):
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(cue)))
    return " ".join(words)


def write_sst2(folder: Path, sizes: dict[str, int], seed: int = 0) -> Path:
    """GLUE-style SST-2 files: train with header label<TAB>sentence, dev/test with label<TAB>content;
    quote characters and the phrase "null" appear as text."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, size in sizes.items():
        column = "sentence" if split == "train" else "content"
        lines = [f"label\t{column}", '1\tthe "witty" film', "0\tnull"]
        for _ in range(size - 2):
            label = int(rng.integers(0, 2))
            lines.append(f"{label}\t{synthetic_sentence(rng, label)}")
        (folder / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny") / "bert")


@pytest.fixture(scope="session")
def tiny_bert_no_dropout_dir(tmp_path_factory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny") / "bert-no-dropout", dropout=0.0)


@pytest.fixture(scope="session")
def sst2_data(tmp_path_factory) -> Path:
    """A data folder holding sst2/ (train 256, dev 64, test 64 rows)."""
    root = tmp_path_factory.mktemp("data")
    write_sst2(root / "sst2", {"train": 256, "dev": 64, "test": 64})
    return root


@pytest.fixture(autouse=True, scope="session")
def no_progress_bars():
    """Loading and tokenising bars would fill every failure's captured output; the tests never read them."""
    import datasets
    from transformers.utils import logging

    transformers_bars, datasets_bars = logging.is_progress_bar_enabled(), datasets.is_progress_bar_enabled()
    logging.disable_progress_bar()
    datasets.disable_progress_bars()
    yield
    if transformers_bars:
        logging.enable_progress_bar()
    if datasets_bars:
        datasets.enable_progress_bars()


