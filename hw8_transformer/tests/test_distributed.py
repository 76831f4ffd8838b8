"""The distributed path for real: two CPU processes (gloo) under torchrun reach the same weights as one
process with the same global batch."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
import yaml
from safetensors.torch import load_file

from common.config import config_to_dict
from common.run import REPO_ROOT, execute
from hw8_transformer.config import Config, TrainSettings
from hw8_transformer.run import main


@pytest.mark.task_run
@pytest.mark.points(2)
@pytest.mark.timeout(240)
def test_two_processes_under_torchrun_match_one_process(tmp_path, sst2_data, tiny_bert_no_dropout_dir):
    overrides = {"data": sst2_data, "model_path": tiny_bert_no_dropout_dir, "modes": ["finetune"], "dropout": 0.0,
                 "max_length": 32, "train": TrainSettings(lr=2e-3, warmup=0.1, epochs=1, batch_size=16, eval_every=0,
                                                         grad_accum=2)}
    config = Config(**overrides)
    execute("hw8_transformer", config, main, runs_root=tmp_path, run_id="one")
    config_file = tmp_path / "two.yaml"
    config_file.write_text(yaml.safe_dump(config_to_dict(config)), encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "hw8_transformer.run", "--config", str(config_file), "--runs-root", str(tmp_path),
               "--run-id", "two", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=220)
    assert result.returncode == 0, f"torchrun failed:\n{result.stderr[-3000:]}"
    one = load_file(tmp_path / "hw8_transformer" / "one" / "best" / "model.safetensors")
    two = load_file(tmp_path / "hw8_transformer" / "two" / "best" / "model.safetensors")
    assert one.keys() == two.keys()
    moved = sum(float((one[k] - load_start(k, tiny_bert_no_dropout_dir)).abs().sum())
                for k in one if k.startswith("bert."))
    assert moved > 0, "training should change the encoder's weights"
    for name in one:
        torch.testing.assert_close(two[name], one[name], atol=2e-5, rtol=1e-4,
                                   msg=lambda m, name=name: f"{name}: 2 processes differ from 1 process: {m}\n"
                                                            f"{LIKELY_CAUSES}")


LIKELY_CAUSES = (
    "Both runs take the same global batch of 16 in 2 micro-batches (one process: 2 x 8; two processes: 2 x 4 "
    "each), so their weights should agree up to rounding. Likely causes, in train_update: (1) the last "
    "micro-batch's backward must run outside no_sync() (there DistributedDataParallel averages the gradients "
    "across the processes; under no_sync() each process steps with its own gradient), every other one inside "
    "it; (2) the loss: each micro-batch's summed cross-entropy divided by the examples of the whole update on "
    "this process, not a per-micro-batch mean nor a division by the number of micro-batches (on one process "
    "test_accumulated_update_equals_one_big_batch checks this); (3) nothing random may differ between the "
    "processes: the given loader gives each rank its share of every global batch, drawn with the same seed "
    "(as DistributedSampler does); keep it and the seed as given.")


def load_start(name: str, folder) -> torch.Tensor:
    return load_file(folder / "model.safetensors")[name.removeprefix("bert.")]
