"""hw6_rnn/sampling.py (given code): temperature, top-k and top-p filters, reproducible draws, clear errors."""
from __future__ import annotations

import pytest
import torch

from hw6_rnn.sampling import sample_next

pytestmark = pytest.mark.points(0)  # given code


def test_sample_next_filters():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert sample_next(logits, temperature=0).tolist() == [0]
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([sample_next(logits, top_k=2, generator=generator) for _ in range(300)])
    assert set(draws.flatten().tolist()) == {0, 1}, "top_k=2 must only draw the two most probable tokens"
    draws = torch.stack([sample_next(logits, top_p=0.8, generator=generator) for _ in range(300)])
    assert set(draws.flatten().tolist()) == {0, 1}, "top_p=0.8: 0.5 + 0.3 reaches 0.8, so only tokens 0 and 1"
    draws = torch.stack([sample_next(logits[0], top_p=0.4, generator=generator) for _ in range(50)])
    assert set(draws.tolist()) == {0}, "top_p below the top probability keeps the top token alone"
    counts = torch.bincount(torch.stack([sample_next(logits, generator=generator) for _ in range(4000)]).flatten(),
                            minlength=4) / 4000
    assert torch.allclose(counts, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.03), f"frequencies {counts.tolist()}"
    first = [int(sample_next(logits, generator=torch.Generator().manual_seed(5))) for _ in range(3)]
    assert len(set(first)) == 1, "the same generator state must give the same draw"


@pytest.mark.parametrize("kwargs,message", [({"top_p": 0.0}, r"top_p must be in \(0, 1\]"),
                                            ({"top_p": 1.2}, r"top_p must be in \(0, 1\]"),
                                            ({"top_k": 0}, "top_k must be >= 1"),
                                            ({"temperature": -1.0}, "temperature must be >= 0")])
def test_sample_next_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_next(torch.zeros(1, 3), **kwargs)
