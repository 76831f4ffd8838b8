"""Sentence embeddings for nearest-neighbour demonstrations: the packaged all-MiniLM-L6-v2 encoder run
through the sentence-transformers library (its own pooling and normalisation), cached on disk."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.fileio import atomic_path
from common.resources import find_model

ENCODER = "all-MiniLM-L6-v2"


def embed_sentences(sentences: Sequence[str], cache_dir: Path | None = None, batch_size: int = 64) -> np.ndarray:
    """Unit-length sentence embeddings [N, 384] (float32); reused from `cache_dir` when already computed."""
    digest = hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest()[:16]
    cache_file = Path(cache_dir) / f"embeddings-{ENCODER}-{digest}.npy" if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        return np.load(cache_file)
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(find_model(ENCODER)), device="cpu")
    vectors = encoder.encode(list(sentences), batch_size=batch_size, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False).astype(np.float32)  # (N, 384)
    if cache_file is not None:
        with atomic_path(cache_file) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, vectors)
    return vectors
