"""common/config.py: YAML + overrides into typed dataclasses, with errors that name the fix."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from common.config import ConfigError, config_to_dict, load_config, parse_overrides


@dataclass
class Train:
    lr: float = 0.1
    epochs: int = 5
    optimizer: Literal["sgd", "adam"] = "sgd"

    def __post_init__(self) -> None:
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


@dataclass
class Config:
    seed: int = 0
    name: str = "run"
    max_size: int | None = None
    layers: list[int] = field(default_factory=lambda: [8, 8])
    out: Path = Path("runs")
    verbose: bool = False
    train: Train = field(default_factory=Train)


def _yaml(tmp_path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_file_and_overrides(tmp_path):
    assert load_config(Config) == Config()
    path = _yaml(tmp_path, "seed: 3\ntrain:\n  lr: 1\n  optimizer: adam\nlayers: [4]\n")
    config = load_config(Config, path, ["--train.epochs", "7", "--name=123", "--max-size", "50", "--verbose", "true"])
    assert config.seed == 3 and config.layers == [4] and config.name == "123"
    assert config.train == Train(lr=1.0, epochs=7, optimizer="adam")
    assert isinstance(config.train.lr, float) and config.max_size == 50 and config.verbose is True


@pytest.mark.parametrize("text", ["1e-4", "1E-4", "+1.5e3", ".5e-2"])
def test_exponent_floats_without_a_dot_are_floats(tmp_path, text):
    """YAML 1.1 reads 1e-4 as a string; a float key takes it, from the command line and from a file."""
    assert load_config(Config, None, ["--train.lr", text]).train.lr == float(text)
    assert load_config(Config, _yaml(tmp_path, f"train:\n  lr: {text}\n")).train.lr == float(text)
    with pytest.raises(ConfigError, match="expects float"):
        load_config(Config, None, ["--train.lr", "1e-4x"])


def test_optional_list_and_path(tmp_path):
    config = load_config(Config, _yaml(tmp_path, "max_size: null\nout: results/x\n"), ["--layers", "[1, 2, 3]"])
    assert config.max_size is None and config.out == Path("results/x") and config.layers == [1, 2, 3]
    assert config_to_dict(config)["out"] == "results/x"


def test_unknown_key_suggests_the_closest_name(tmp_path):
    with pytest.raises(ConfigError, match="unknown config key 'train.epoch'; did you mean 'train.epochs'"):
        load_config(Config, None, ["--train.epoch", "3"])
    with pytest.raises(ConfigError, match="did you mean 'seed'"):
        load_config(Config, _yaml(tmp_path, "sede: 1\n"))


@pytest.mark.parametrize("overrides, fragment", [
    (["--seed", "abc"], "'seed' expects int, got 'abc'"),
    (["--seed", "1.5"], "'seed' expects int"),
    (["--train.lr", "fast"], "'train.lr' expects float"),
    (["--train.optimizer", "rmsprop"], r"must be one of \['sgd', 'adam'\]"),
    (["--layers", "4"], "expects a list"),
    (["--layers", "[1, x]"], r"'layers\[1\]' expects int"),
    (["--verbose", "1"], "expects bool"),
    (["--train", "3"], "is a section"),
    (["--train.lr", "-1"], "lr must be positive"),
])
def test_wrong_types_name_the_expected_type(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config(Config, None, overrides)


def test_bad_files_and_arguments(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Config, tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(Config, _yaml(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="has no value"):
        parse_overrides(["--seed"])
    with pytest.raises(ConfigError, match="unexpected argument"):
        parse_overrides(["seed", "1"])
