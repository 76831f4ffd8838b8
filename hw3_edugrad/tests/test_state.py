"""Given code: saving and restoring a module's tensors and an optimizer's state (checkpoints of hw4 and hw5)."""
from __future__ import annotations

import numpy as np
import pytest

from hw3_edugrad.edugrad import Tensor, nn, optim

pytestmark = [pytest.mark.task_nn, pytest.mark.points(0)]


class Frozen(nn.Module):
    def __init__(self, rng):
        self.table = Tensor(rng.normal(size=(4, 2)).astype(np.float32), requires_grad=False)  # frozen: still saved
        self.layers = [nn.Linear(2, 3, rng=rng), nn.Linear(3, 1, rng=rng)]


def test_state_dict_round_trip_copies_every_tensor():
    model, other = Frozen(np.random.default_rng(0)), Frozen(np.random.default_rng(1))
    state = model.state_dict()
    assert sorted(state) == ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight", "table"]
    state["table"][0, 0] = 99.0
    assert model.table.value[0, 0] != 99.0, "state_dict must copy, not share, the arrays"
    other.load_state_dict(model.state_dict())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name], value, err_msg=name)
    assert other.layers[0].weight.value.dtype == np.float32


def test_load_state_dict_names_what_does_not_fit():
    model = Frozen(np.random.default_rng(0))
    state = model.state_dict()
    with pytest.raises(ValueError, match=r"missing \['table'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "table"})
    with pytest.raises(ValueError, match=r"layers.1.weight has shape \(3, 2\) in the state but \(3, 1\)"):
        model.load_state_dict({**state, "layers.1.weight": np.zeros((3, 2))})


def test_optimizer_state_round_trip():
    model = Frozen(np.random.default_rng(0))
    adam = optim.Adam(model.parameters(), lr=0.1)
    adam.first_moments[0] += 1.0
    adam.steps[0], adam.lr = 3, 0.05
    restored = optim.Adam(model.parameters(), lr=0.1)
    restored.load_state_dict(adam.state_dict())
    assert restored.lr == 0.05 and restored.steps == [3, 0, 0, 0]
    np.testing.assert_array_equal(restored.first_moments[0], adam.first_moments[0])
    adam.first_moments[0] += 1.0
    assert restored.first_moments[0][0, 0] == 1.0, "load_state_dict must copy the arrays"
    with pytest.raises(ValueError, match="holds 1 entries but the optimizer has 4 parameters"):
        restored.load_state_dict({"steps": [1]})
