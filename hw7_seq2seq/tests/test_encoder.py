"""The bidirectional GRU encoder: shapes, padding, final states, and a sentence alone vs in a batch."""
from __future__ import annotations

import pytest
import torch

from hw7_seq2seq.model import Encoder
from hw7_seq2seq.tests.seq2seq_helpers import sources

pytestmark = pytest.mark.task_encoder


def encoder() -> Encoder:
    torch.manual_seed(0)
    return Encoder(vocab_size=12, emb_dim=6, hidden=5, pad_index=0, dropout=0.0).eval()


@pytest.mark.points(1)
def test_shapes_and_zero_states_at_padding() -> None:
    batch = sources([[4, 5, 6, 7], [8, 9], [10]])
    states, final = encoder()(batch.indices, batch.lengths)
    assert states.shape == (3, 4, 10), f"expected states [3, 4, 10] but got {tuple(states.shape)}"
    assert final.shape == (3, 10), f"expected final [3, 10] but got {tuple(final.shape)}"
    assert torch.all(states[1, 2:] == 0) and torch.all(states[2, 1:] == 0), (
        "expected zero states at padding: pack the batch (pack_padded_sequence with the lengths) and unpack it "
        "with pad_packed_sequence, whose padding is 0")


@pytest.mark.points(2)
def test_matches_a_plain_gru_run_on_each_unpadded_sentence() -> None:
    model = encoder()
    sentences = [[4, 5, 6, 7], [8, 9], [10]]
    batch = sources(sentences)
    states, final = model(batch.indices, batch.lengths)
    for row, sentence in enumerate(sentences):
        embedded = model.embedding(torch.tensor([sentence]))                    # (1, n, E)
        reference, reference_final = model.rnn(embedded)                        # no padding at all
        n = len(sentence)
        assert torch.allclose(states[row, :n], reference[0], atol=1e-6), (
            f"sentence {row}: states differ from a GRU run on the sentence alone; without packing the backward "
            "direction starts at the padding instead of the sentence's own last word")
        expected_final = torch.cat([reference_final[0, 0], reference_final[1, 0]])
        assert torch.allclose(final[row], expected_final, atol=1e-6), (
            f"sentence {row}: expected final {expected_final} but got {final[row]}")
        hidden = model.rnn.hidden_size   # forward final = state at the last token, backward final = at the first
        assert torch.allclose(final[row, :hidden], states[row, n - 1, :hidden], atol=1e-6)
        assert torch.allclose(final[row, hidden:], states[row, 0, hidden:], atol=1e-6)
