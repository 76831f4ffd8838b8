"""lm.py: batchify, bptt_windows, the language model's forward pass and generation."""
from __future__ import annotations

import pytest
import torch

from common.vocabulary import Vocabulary
from hw6_rnn.lm import RNNLanguageModel, batchify, bptt_windows, generate


@pytest.mark.task_lm
@pytest.mark.points(1)
def test_batchify_cuts_contiguous_rows():
    rows = batchify(torch.arange(11), 3)
    expected = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    assert torch.equal(rows, expected), f"expected {expected.tolist()} but got {rows.tolist()}"


@pytest.mark.task_lm
@pytest.mark.points(1)
def test_bptt_windows_predict_every_token_once():
    stream = torch.arange(20).view(2, 10)
    windows = bptt_windows(stream, 4)
    assert [inputs.shape[1] for inputs, _ in windows] == [4, 4, 1], "expected widths 4, 4 and 1 (9 targets per row)"
    for inputs, targets in windows:
        assert torch.equal(targets, inputs + 1), "targets must be the inputs shifted by one step"
    predicted = torch.cat([targets for _, targets in windows], dim=1)
    assert torch.equal(predicted, stream[:, 1:]), f"expected every token but the first once, got {predicted.tolist()}"


def _pipeline(model, indices, state=None):
    """The language model written out with the modules' own pieces (dropout off)."""
    embedded = model.embedding(indices)
    outputs, state = model.rnn(embedded, torch.full((indices.size(0),), indices.size(1)), state)
    return model.decoder(outputs), state


@pytest.mark.task_lm
@pytest.mark.points(2)
@pytest.mark.parametrize("fused", [False, True])
def test_forward_carries_the_state_across_windows(fused):
    torch.manual_seed(0)
    model = RNNLanguageModel(30, 8, 8, num_layers=2, dropout=0.3, tie_weights=True, fused=fused).eval()
    indices = torch.randint(0, 30, (3, 10))
    whole, _ = model(indices)
    first, state = model(indices[:, :6])
    second, _ = model(indices[:, 6:], state)
    assert whole.shape == (3, 10, 30), f"expected logits [3, 10, 30] but got {tuple(whole.shape)}"
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-5), \
        "two windows with the carried state must equal one pass over the whole text"
    expected, _ = _pipeline(model, indices)
    assert torch.allclose(whole, expected, atol=1e-5), "expected embed -> rnn -> decoder (no dropout in eval mode)"


@pytest.mark.task_lm
@pytest.mark.points(1)
def test_dropout_on_the_embeddings_and_on_the_rnn_outputs_in_training():
    torch.manual_seed(0)
    model = RNNLanguageModel(30, 8, 8, num_layers=1, dropout=0.5, fused=True).train()   # no dropout inside the rnn
    indices = torch.randint(0, 30, (4, 12))
    seen = {}
    model.rnn.register_forward_hook(lambda module, args, result: seen.update(rnn_in=args[0], rnn_out=result[0]))
    model.decoder.register_forward_pre_hook(lambda module, args: seen.update(decoder_in=args[0]))
    model(indices)
    assert seen.keys() == {"rnn_in", "rnn_out", "decoder_in"}, "expected forward to call self.rnn and self.decoder"
    for where, before, after in (("the embeddings (the rnn's input)", model.embedding(indices), seen["rnn_in"]),
                                 ("the rnn's outputs (the decoder's input)", seen["rnn_out"], seen["decoder_in"])):
        dropped = after == 0
        share = dropped.float().mean().item()
        assert 0.3 < share < 0.7, (f"expected dropout 0.5 on {where} in training mode (about half the entries "
                                   f"zeroed) but got {share:.0%} zeroed")
        assert torch.allclose(after[~dropped], before[~dropped] * 2, atol=1e-6), \
            f"expected the entries dropout keeps on {where} scaled by 1 / (1 - 0.5) = 2"


@pytest.mark.points(0)  # given code
def test_tied_weights_share_one_matrix():
    model = RNNLanguageModel(50, 16, 16, tie_weights=True)
    assert model.decoder.weight is model.embedding.weight
    untied = RNNLanguageModel(50, 16, 16)
    saved = sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in model.parameters())
    assert saved == 50 * 16, f"tying should save vocab x hidden = 800 parameters, saved {saved}"
    with pytest.raises(ValueError, match="embedding_dim == hidden_size"):
        RNNLanguageModel(50, 16, 32, tie_weights=True)


def _toy_model_and_vocab():
    torch.manual_seed(0)
    vocab = Vocabulary.from_tokens([list("abcde")], specials=("<unk>", "</s>"))
    return RNNLanguageModel(len(vocab), 6, 6, num_layers=1), vocab


@pytest.mark.task_generate
@pytest.mark.points(1)
def test_greedy_generation_is_the_argmax_chain():
    model, vocab = _toy_model_and_vocab()
    result = generate(model, vocab, ["a", "b"], max_tokens=5, temperature=0)
    tokens = ["a", "b"]
    for _ in range(5):
        logits, _ = model(torch.tensor([vocab.tokens_to_indices(tokens)]))
        tokens.append(vocab.index_to_token(int(logits[0, -1].argmax())))
    assert result == tokens[2:], f"expected the greedy continuation {tokens[2:]} but got {result}"


@pytest.mark.task_generate
@pytest.mark.points(1)
def test_sampling_is_reproducible_and_stops_at_the_stop_token():
    model, vocab = _toy_model_and_vocab()
    with torch.no_grad():
        model.decoder.bias[vocab.token_to_index("</s>")] = 4.0      # make the stop token likely
    first = generate(model, vocab, ["a"], max_tokens=50, top_p=0.9, stop_token="</s>", seed=3)
    second = generate(model, vocab, ["a"], max_tokens=50, top_p=0.9, stop_token="</s>", seed=3)
    assert first == second, "the same seed must give the same sample"
    assert first[-1] == "</s>" and "</s>" not in first[:-1], f"expected to stop right after </s>, got {first}"
    assert len(generate(model, vocab, ["a"], max_tokens=4, seed=1)) == 4


@pytest.mark.task_generate
@pytest.mark.points(1)
def test_top_k_one_is_greedy():
    model, vocab = _toy_model_and_vocab()
    greedy = generate(model, vocab, ["c"], max_tokens=6, temperature=0)
    assert generate(model, vocab, ["c"], max_tokens=6, temperature=1.5, top_k=1, seed=7) == greedy


@pytest.mark.points(0)  # given code
def test_bad_prompts_and_settings_are_clear_errors():
    model, vocab = _toy_model_and_vocab()
    with pytest.raises(ValueError, match=r"prompt tokens \['z', 'é'\] are not in the vocabulary"):
        generate(model, vocab, ["a", "z", "é"])
    with pytest.raises(ValueError, match="the prompt is empty"):
        generate(model, vocab, [])
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        generate(model, vocab, ["a"], top_p=1.5)
    with pytest.raises(ValueError, match="cannot cut 5 tokens into 3 rows"):
        batchify(torch.arange(5), 3)
