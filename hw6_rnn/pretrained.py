"""Pretrained word vectors for the classifier's embedding layer (given code).

No word-vector file (GloVe, word2vec) is reachable offline, but the course already installs a
pre-trained transformer, all-MiniLM-L6-v2 (hw8's encoder), whose first layer is a *static* table of
30,522 wordpiece vectors (384-d) learnt with the rest of the network. A word becomes the mean of
its wordpieces' rows: "unwatchable" -> "un", "##watch", "##able" -> their average. Only the table
is read, never the transformer layers: the LSTM still does all of the sentence-level work.

    weights, coverage = vocabulary_vectors(data.vocab, find_model("all-MiniLM-L6-v2"))    # [V, 384]
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from common.vocabulary import PAD, Vocabulary

PRETRAINED_EMBEDDINGS = {"minilm": "all-MiniLM-L6-v2"}


def input_embedding_table(model_dir: Path) -> torch.Tensor:
    """The word-embedding matrix [pieces, D] of a local BERT-style checkpoint, read from its safetensors file."""
    from safetensors import safe_open

    weights = Path(model_dir) / "model.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"{model_dir} has no model.safetensors; pass the folder of a Hugging Face "
                                "BERT-style checkpoint")
    with safe_open(str(weights), framework="pt") as tensors:
        names = [name for name in tensors.keys() if name.endswith("word_embeddings.weight")]
        if len(names) != 1:
            raise ValueError(f"{weights}: expected one '*word_embeddings.weight' tensor, found {names or 'none'}")
        return tensors.get_tensor(names[0]).float()


def wordpiece_vectors(words: Sequence[str], model_dir: Path) -> tuple[torch.Tensor, float]:
    """(vectors [len(words), D], coverage): row i is the mean of the wordpiece vectors of words[i].

    coverage is the share of words with no unknown piece. A word the tokenizer turns into no piece at
    all (an empty string) gets the table's mean row.
    """
    from transformers import AutoTokenizer

    table = input_embedding_table(model_dir)                                  # (pieces, D)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if len(tokenizer) > table.size(0):
        raise ValueError(f"{model_dir}: the tokenizer has {len(tokenizer)} pieces but the table {table.size(0)} rows")
    pieces = tokenizer(list(words), add_special_tokens=False)["input_ids"]
    fallback = table.mean(dim=0)                                              # (D,)
    vectors = torch.stack([table[ids].mean(dim=0) if ids else fallback for ids in pieces])   # (V, D)
    known = sum(1 for ids in pieces if ids and tokenizer.unk_token_id not in ids)
    return vectors, known / max(1, len(words))


def vocabulary_vectors(vocab: Vocabulary, model_dir: Path) -> tuple[torch.Tensor, float]:
    """(weights [len(vocab), D], coverage) for an embedding layer over `vocab`: its words' wordpiece vectors,
    the mean word vector for each special token (``<unk>``: a word never seen in training), zeros for ``<pad>``."""
    vectors, coverage = wordpiece_vectors(vocab.tokens, model_dir)
    words = [i for i, token in enumerate(vocab.tokens) if token not in vocab.specials]
    for token in vocab.specials:
        vectors[vocab.token_to_index(token)] = 0.0 if token == PAD else vectors[words].mean(dim=0)
    return vectors, coverage
