"""Word vectors: the word2vec text format, cosine nearest neighbours, WordSim-353, a 2-D PCA.

    wv = WordVectors(vocab.tokens, model.target_embeddings)
    wv.save("runs/hw2_word2vec/x/vectors.txt")        # loadable by gensim's load_word2vec_format
    wv.nearest("money", k=5)                            # [(word, cosine), ...], the query excluded
    wordsim_spearman(wv)                                # SimilarityResult(spearman, pairs_used, oov_pairs)
    pca_2d(wv.vectors_of(["king", "queen"]))            # [2, 2]

The word2vec text format: a header line ``<number of words> <dimension>``, then one line per word:
the word, a space, and its d numbers separated by spaces.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from common.fileio import atomic_write_text


class WordVectorsFileError(ValueError):
    """A word-vector file that is not in the word2vec text format."""


class WordVectors:
    """Words and their vectors, one row per word.

    words: V distinct words without whitespace; vectors: [V, d].
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"expected vectors of shape [{len(words)}, d] (one row per word), got {vectors.shape}")
        for word in words:
            if not isinstance(word, str) or word == "" or any(ch.isspace() for ch in word):
                raise ValueError(f"invalid word {word!r}: words must be non-empty strings without whitespace")
        self.words: list[str] = list(words)
        self.vectors: np.ndarray = vectors
        self.index: dict[str, int] = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate words: each word must appear once")
        norms = np.linalg.norm(vectors.astype(np.float64), axis=1, keepdims=True)
        self._unit = vectors / np.maximum(norms, 1e-12)  # [V, d] rows of length 1 (zero rows stay 0)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def _lookup(self, word: str) -> int:
        if word not in self.index:
            raise KeyError(
                f"word {word!r} is not in the vocabulary ({len(self)} words); choose another probe word, "
                "or build the vocabulary with a lower min_freq or a larger corpus"
            )
        return self.index[word]

    def vectors_of(self, words: Sequence[str]) -> np.ndarray:
        """Rows of the given words: [len(words), d]."""
        return self.vectors[[self._lookup(word) for word in words]]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self._unit[self._lookup(a)] @ self._unit[self._lookup(b)])

    def nearest(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k words with the highest cosine similarity to `word` (itself excluded), best first."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        query = self._lookup(word)
        cosines = self._unit @ self._unit[query]  # [V]
        cosines[query] = -np.inf
        k = min(k, len(self) - 1)
        best = np.argpartition(-cosines, k - 1)[:k] if k > 0 else np.array([], dtype=int)
        best = best[np.lexsort((best, -cosines[best]))]  # by cosine, ties by index
        return [(self.words[i], float(cosines[i])) for i in best]

    def save(self, path: str | Path) -> None:
        """Write the word2vec text format (atomically); see :func:`save_word2vec_format`."""
        save_word2vec_format(path, self.words, self.vectors)

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read a word2vec text file; see :func:`load_word2vec_format`."""
        return cls(*load_word2vec_format(path))


def save_word2vec_format(path: str | Path, words: Sequence[str], vectors: np.ndarray) -> None:
    """Write `words` and `vectors` [V, d] as word2vec text (header ``V d``, then ``word x1 ... xd``)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"expected vectors of shape [{len(words)}, d], got {vectors.shape}")
    lines = [f"{len(words)} {vectors.shape[1]}"]
    lines += [word + " " + " ".join(f"{x:.6g}" for x in row) for word, row in zip(words, vectors.tolist(), strict=True)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def load_word2vec_format(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read word2vec text: returns (words, vectors [V, d] float32). Bad files raise WordVectorsFileError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"word-vector file {path} does not exist; write one with save_word2vec_format")
    with open(path, encoding="utf-8") as f:
        header = f.readline().split()
        if len(header) != 2 or not all(field.isdigit() for field in header):
            raise WordVectorsFileError(
                f"{path}: the first line must be '<number of words> <dimension>', got {' '.join(header)!r}; "
                "is this a word2vec *text* file (binary files and GloVe files without a header are not supported)? "
                "Add the header line or re-save with save_word2vec_format"
            )
        count, dim = int(header[0]), int(header[1])
        words, rows = [], []
        for line_number, line in enumerate(f, start=2):
            fields = line.rstrip("\n").rstrip(" ").split(" ")
            if len(fields) != dim + 1:
                raise WordVectorsFileError(
                    f"{path}:{line_number}: expected a word and {dim} numbers (the header's dimension), "
                    f"got {len(fields) - 1} numbers; fix the header or the line"
                )
            words.append(fields[0])
            rows.append(np.array(fields[1:], dtype=np.float32))
    if len(words) != count:
        raise WordVectorsFileError(
            f"{path}: the header announces {count} words but the file has {len(words)}; fix the header's count"
        )
    return words, np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)


@dataclass
class SimilarityResult:
    """Spearman correlation between human ratings and cosines over the pairs with both words known."""

    spearman: float
    pairs_used: int
    oov_pairs: int


def wordsim353_path() -> Path:
    """WordSim-353 as shipped inside gensim's test data (tab separated: word1, word2, mean rating)."""
    from gensim.test.utils import datapath

    return Path(datapath("wordsim353.tsv"))


def read_word_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """(word1, word2, rating) from a tab-separated file; lines starting with '#' are comments."""
    pairs = []
    for line_number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise ValueError(f"{path}:{line_number}: expected 'word1<TAB>word2<TAB>rating', got {line!r}")
        pairs.append((fields[0], fields[1], float(fields[2])))
    return pairs


def wordsim_spearman(
    word_vectors: WordVectors, path: str | Path | None = None, lowercase: bool = True
) -> SimilarityResult:
    """Spearman's rho between a word-similarity data set's ratings and the vectors' cosines.

    path: a tab-separated pairs file (default: WordSim-353). Pairs with a word outside the
    vocabulary are skipped and counted in ``oov_pairs``. With `lowercase`, pair words are lower-cased
    before lookup (the corpora here are lower-cased).
    """
    pairs = read_word_pairs(path if path is not None else wordsim353_path())
    ratings, cosines, oov = [], [], 0
    for a, b, rating in pairs:
        if lowercase:
            a, b = a.lower(), b.lower()
        if a not in word_vectors or b not in word_vectors:
            oov += 1
            continue
        ratings.append(rating)
        cosines.append(word_vectors.similarity(a, b))
    if len(ratings) < 2:
        return SimilarityResult(float("nan"), len(ratings), oov)
    return SimilarityResult(float(spearmanr(ratings, cosines).statistic), len(ratings), oov)


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project [n, d] vectors (n >= 2) onto their first two principal components: [n, 2].

    Each component's sign is fixed so that its largest-magnitude loading is positive (the same
    input always gives the same picture).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] < 2 or vectors.shape[1] < 2:
        raise ValueError(f"pca_2d needs [n, d] vectors with n >= 2 and d >= 2, got {vectors.shape}")
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)  # rows: principal directions
    components = components[:2]                                       # [2, d]
    signs = np.sign(components[np.arange(2), np.argmax(np.abs(components), axis=1)])
    return centred @ (components * signs[:, None]).T
