"""The run protocol end to end on a few hundred PTB lines: training lowers the loss, and the metrics,
vectors and plots are written; the example commands of run.py and of the handout can run."""
from __future__ import annotations

import json
import shlex

import numpy as np
import pytest

from common.config import load_config
from common.data import read_ptb
from common.paths import REPO_ROOT
from common.run import execute
from common.vocabulary import Vocabulary
from common.word_vectors import WordVectors
from hw3_edugrad import run as run_module
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


def example_commands() -> list[tuple[str, list[str]]]:
    """(where, arguments) of each command in run.py's docstring and in the handout that starts a new run."""
    handout = (REPO_ROOT / "hw3_edugrad" / "README.md").read_text(encoding="utf-8")
    found = []
    for where, text in (("run.py", run_module.__doc__), ("README.md", handout)):
        for line in text.splitlines():
            words = shlex.split(line.split("#")[0]) if "-m hw3_edugrad.run" in line else []
            if words and "--resume" not in words and "--help" not in words:
                found.append((where, words[words.index("hw3_edugrad.run") + 1:]))
    return found


@pytest.mark.points(0)  # checks given code and the handout
def test_example_commands_have_their_probe_words_in_the_vocabulary():
    examples = example_commands()
    assert len(examples) >= 3, f"expected the example runs of run.py and the handout but found {examples}"
    sentences = read_ptb("train")
    for where, arguments in examples:
        config_path = REPO_ROOT / "hw3_edugrad" / "config.yaml"
        if "--config" in arguments:
            position = arguments.index("--config")
            config_path = REPO_ROOT / arguments[position + 1]
            arguments = arguments[:position] + arguments[position + 2:]
        config = load_config(Config, config_path, arguments)
        vocab = Vocabulary.from_tokens(sentences[: config.max_sentences], specials=(), min_freq=config.min_freq)
        missing = [word for word in config.probes + config.pca_words if word not in vocab]
        assert not missing, (
            f"{where}'s example `{' '.join(arguments)}` stops at once: {missing} occur fewer than {config.min_freq} "
            f"times in the first {config.max_sentences} lines of PTB train; keep more lines or pass other "
            "--probes / --pca_words"
        )
