"""common/word_vectors.py: word2vec text format (checked with gensim), cosine neighbours, WordSim, PCA."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from common.word_vectors import (
    WordVectors,
    WordVectorsFileError,
    load_word2vec_format,
    pca_2d,
    read_word_pairs,
    save_word2vec_format,
    wordsim353_path,
    wordsim_spearman,
)


def small_vectors() -> WordVectors:
    words = ["king", "queen", "apple", "pear", "car"]
    vectors = np.array([[1.0, 0.1, 0.0], [0.9, 0.2, 0.0], [0.0, 1.0, 0.1], [0.1, 0.9, 0.0], [0.0, 0.0, -2.0]])
    return WordVectors(words, vectors.astype(np.float32))


def test_round_trip_and_gensim_reads_our_file(tmp_path: Path) -> None:
    wv = small_vectors()
    path = tmp_path / "vectors.txt"
    wv.save(path)
    assert path.read_text().splitlines()[0] == "5 3"
    words, vectors = load_word2vec_format(path)
    assert words == wv.words and np.allclose(vectors, wv.vectors, atol=1e-6)
    gensim_vectors = KeyedVectors.load_word2vec_format(str(path), binary=False)
    assert list(gensim_vectors.index_to_key) == wv.words
    assert np.allclose(gensim_vectors.vectors, wv.vectors, atol=1e-6), "gensim read different numbers"


def test_we_read_gensims_file(tmp_path: Path) -> None:
    reference = KeyedVectors(vector_size=4)
    rng = np.random.default_rng(0)
    reference.add_vectors(["a", "b", "c"], rng.normal(size=(3, 4)).astype(np.float32))
    path = tmp_path / "gensim.txt"
    reference.save_word2vec_format(str(path), binary=False)
    words, vectors = load_word2vec_format(path)
    assert words == ["a", "b", "c"] and np.allclose(vectors, reference.vectors, atol=1e-5)


@pytest.mark.parametrize(
    ("text", "match"),
    [("a 1 2\nb 3 4\n", "first line must be"), ("2 2\na 1 2\nb 3\n", "expected a word and 2 numbers"),
     ("3 2\na 1 2\nb 3 4\n", "announces 3 words")],
)
def test_bad_files_name_the_fix(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(WordVectorsFileError, match=match):
        load_word2vec_format(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_word2vec_format(tmp_path / "missing.txt")


def test_save_checks_shapes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected vectors of shape \[2, d\]"):
        save_word2vec_format(tmp_path / "x.txt", ["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="without whitespace"):
        WordVectors(["a b"], np.zeros((1, 2)))


def test_nearest_by_cosine_matches_gensim() -> None:
    wv = small_vectors()
    near = wv.nearest("king", k=2)
    assert [w for w, _ in near] == ["queen", "pear"], f"expected queen, pear but got {near}"
    expected = float(wv.vectors[0] @ wv.vectors[1] / np.linalg.norm(wv.vectors[0]) / np.linalg.norm(wv.vectors[1]))
    assert near[0][1] == pytest.approx(expected, abs=1e-6)
    reference = KeyedVectors(vector_size=3)
    reference.add_vectors(wv.words, wv.vectors)
    gensim_near = reference.most_similar("apple", topn=4)
    ours = wv.nearest("apple", k=4)
    assert [w for w, _ in ours] == [w for w, _ in gensim_near]
    assert np.allclose([c for _, c in ours], [c for _, c in gensim_near], atol=1e-5)


def test_unknown_probe_word_names_the_fix() -> None:
    with pytest.raises(KeyError, match="lower min_freq"):
        small_vectors().nearest("emu")


def test_wordsim_spearman_matches_gensim_and_counts_oov() -> None:
    pairs = read_word_pairs(wordsim353_path())
    assert len(pairs) == 353
    words = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    dropped = {"tiger", "money", "computer"}
    words = [w for w in words if w not in dropped]
    rng = np.random.default_rng(0)
    wv = WordVectors(words, rng.normal(size=(len(words), 20)).astype(np.float32))
    result = wordsim_spearman(wv)
    expected_oov = sum(1 for a, b, _ in pairs if a.lower() in dropped or b.lower() in dropped)
    assert result.oov_pairs == expected_oov and result.pairs_used == 353 - expected_oov
    reference = KeyedVectors(vector_size=20)
    reference.add_vectors(words, wv.vectors)
    _, spearman, oov_percent = reference.evaluate_word_pairs(str(wordsim353_path()))
    assert result.spearman == pytest.approx(spearman.statistic, abs=1e-6), (
        f"expected gensim's {spearman.statistic} but got {result.spearman}"
    )
    assert oov_percent == pytest.approx(100 * expected_oov / 353)


def test_pca_2d_recovers_a_line_and_a_plane() -> None:
    direction = np.array([3.0, 4.0, 0.0]) / 5
    points = np.outer([-2.0, 0.0, 1.0, 4.0], direction) + 7  # on a line: PC1 = centred position
    projected = pca_2d(points)
    assert projected.shape == (4, 2)
    expected = np.array([-2.0, 0.0, 1.0, 4.0]) - 0.75
    assert np.allclose(np.abs(projected[:, 0]), np.abs(expected)), f"expected {expected} but got {projected[:, 0]}"
    assert np.allclose(projected[:, 1], 0, atol=1e-9)
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(50, 5)) * np.array([5.0, 2.0, 0.1, 0.1, 0.1])
    projected = pca_2d(cloud)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(cloud.T)))[::-1]
    assert np.allclose(projected.var(axis=0, ddof=1), eigenvalues[:2]), "PCA variances must be the top eigenvalues"
    assert np.array_equal(pca_2d(cloud), projected), "same input, same picture"
    with pytest.raises(ValueError, match="n >= 2"):
        pca_2d(np.zeros((1, 3)))
