"""The run protocol end to end on a few hundred PTB lines: training lowers the loss, and the metrics,
vectors and plots are written."""
from __future__ import annotations

import json

import numpy as np
import pytest

from common.run import execute
from common.word_vectors import WordVectors
from hw3_edugrad.run import Config, main

pytestmark = pytest.mark.task_word2vec


def test_tiny_run_trains_and_writes_its_outputs(tmp_path):
    config = Config(max_sentences=400, min_freq=3, dim=16, epochs=2, batch_size=256, probes=["the", "of"],
                    pca_words=["the", "of", "and", "to"], neighbours=3)
    metrics = execute("hw3_edugrad", config, main, runs_root=tmp_path, run_id="tiny")
    run_dir = tmp_path / "hw3_edugrad" / "tiny"
    for name in ("metrics.json", "vectors.txt", "vocab.tsv", "loss.png", "pca.png", "log.txt"):
        found = sorted(p.name for p in run_dir.iterdir())
        assert (run_dir / name).is_file(), f"expected {name} in {run_dir} but found only {found}"
    loss = metrics["loss_curve"]["loss"]
    assert loss[-1] < loss[0], f"expected the loss per pair to fall, but it went {loss[0]:.4f} -> {loss[-1]:.4f}"
    # with C starting at zero every score starts at 0, so the first losses are near (1 + k) log 2
    first = 6 * np.log(2)
    assert abs(loss[0] - first) < 0.3, f"expected a first loss near 6 log 2 = {first:.3f} but got {loss[0]:.3f}"
    vectors = WordVectors.load(run_dir / "vectors.txt")
    assert (len(vectors), vectors.dim) == (metrics["vocab_size"], 16), (
        f"expected {metrics['vocab_size']} vectors of size 16 but got {len(vectors)} of size {vectors.dim}"
    )
    rows = {row["metric"] for row in json.loads((run_dir / "metrics.json").read_text())["summary"]}
    assert "WordSim-353 Spearman (edugrad)" in rows, f"expected a WordSim-353 summary row, got {rows}"
