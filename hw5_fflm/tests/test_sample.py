"""sample_next and generate: temperature, top-k and its ties, <s> never drawn, stopping at </s>, the context
fed to the model, bad arguments."""
import numpy as np
import pytest

from common.vocabulary import Vocabulary
from hw3_edugrad.edugrad import Tensor, nn
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.sample import encode_prompt, generate, sample_next
from hw5_fflm.windows import build_lm_vocabulary

pytestmark = pytest.mark.task_sampling


@pytest.mark.points(2)
def test_frequencies_follow_the_tempered_softmax_of_the_top_k():
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(0)
    draws = np.bincount([sample_next(logits, 0.5, 3, rng) for _ in range(4000)], minlength=4) / 4000
    expected = np.array([0.25, 0.09, 0.0225, 0.0]) / 0.3625  # p^(1/T) of the top 3, renormalised
    assert draws[3] == 0, "expected the word outside the top 3 never to be drawn"
    assert np.allclose(draws, expected, atol=0.03), f"expected frequencies {expected.round(3)} but got {draws}"


@pytest.mark.points(1)
def test_top_1_is_greedy_and_forbidden_words_are_never_drawn():
    rng = np.random.default_rng(1)
    logits = np.array([0.0, 5.0, 1.0, 4.9])
    assert {sample_next(logits, 2.0, 1, rng) for _ in range(50)} == {1}, "top_k=1 must always give the argmax"
    assert {sample_next(logits, 1.0, 1, rng, forbidden=(1,)) for _ in range(50)} == {3}, "forbidden 1, top-1 is 3"


@pytest.mark.points(1)
def test_top_k_ties_keep_the_lower_id():
    rng = np.random.default_rng(2)
    drawn = {sample_next(np.array([1.0, 1.0, 0.0]), 1.0, 1, rng) for _ in range(50)}
    assert drawn == {0}, (f"logits [1, 1, 0] with top_k=1: expected always 0 (a tie at the k-th largest logit keeps "
                          f"the lower id; np.argsort(-logits, kind='stable')) but got {drawn}")
    drawn = {sample_next(np.array([0.0, 2.0, 2.0, 2.0]), 1.0, 2, rng) for _ in range(100)}
    assert drawn == {1, 2}, f"logits [0, 2, 2, 2] with top_k=2: expected ids 1 and 2 but got {drawn}"


@pytest.mark.points(0)  # the checks are given code
def test_bad_temperature_and_top_k_are_rejected():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="temperature"):
        sample_next(np.zeros(3), 0.0, None, rng)
    with pytest.raises(ValueError, match="top_k"):
        sample_next(np.zeros(3), 1.0, 0, rng)


@pytest.mark.points(2)
def test_generate_stops_at_the_end_marker_and_reads_unknown_words_as_unk():
    vocab = build_lm_vocabulary([["a", "b", "c"]])
    model = FeedForwardLM(len(vocab), 2, 3, 4, rng=np.random.default_rng(0))
    model.output.weight.value[...] = 0.0
    model.output.bias.value[...] = -10.0
    model.output.bias.value[vocab.token_to_index("b")] = 10.0  # always "b" ...
    assert generate(model, vocab, ["a"], 5, top_k=None) == ["b"] * 5
    model.output.bias.value[vocab.token_to_index("</s>")] = 20.0  # ... unless </s> is stronger
    words = generate(model, vocab, ["a", "zebra"], 5, temperature=0.5, rng=np.random.default_rng(3))
    assert words == ["</s>"], f"expected generation to stop at </s> but got {words}"
    assert encode_prompt(vocab, ["a", "zebra"]) == ([vocab.token_to_index("a"), vocab.unk_index], ["zebra"])


@pytest.mark.points(1)
def test_an_empty_prompt_still_works_and_the_start_marker_is_never_drawn():
    vocab = Vocabulary({"x": 1}, specials=("<unk>", "</s>", "<s>"))
    model = FeedForwardLM(len(vocab), 1, 2, 2, rng=np.random.default_rng(0))
    model.output.bias.value[vocab.token_to_index("<s>")] = 10.0  # <s> the most probable word by far
    words = generate(model, vocab, [], 3, rng=np.random.default_rng(0))
    assert 1 <= len(words) <= 3, f"expected 1 to 3 words (3, or fewer ending in </s>) but got {words}"
    assert "<s>" not in words, (f"expected <s> never to be drawn (generate passes forbidden=(bos,) to sample_next) "
                                f"but got {words}")


class NextIdModel(nn.Module):
    """Stands in for a FeedForwardLM: records the contexts it is given and always predicts the id after the
    newest context word (after <s>, the first word; never </s> or <s>)."""

    def __init__(self, vocab_size: int, context_size: int):
        self.vocab_size, self.context_size, self.contexts = vocab_size, context_size, []

    def forward(self, contexts: np.ndarray) -> Tensor:
        contexts = np.asarray(contexts)
        self.contexts.extend(contexts.tolist())
        logits = np.full((len(contexts), self.vocab_size), -50.0)
        logits[np.arange(len(contexts)), next_id(contexts[:, -1], self.vocab_size)] = 50.0
        return Tensor(logits)


def next_id(newest: np.ndarray, vocab_size: int) -> np.ndarray:
    """The word after `newest` among the ids 3 .. vocab_size - 1 (the corpus words), cyclically."""
    return 3 + (np.maximum(newest, 2) - 2) % (vocab_size - 3)


@pytest.mark.points(1)
def test_generate_feeds_the_model_the_last_context_size_ids():
    vocab = build_lm_vocabulary([["a", "b", "c", "d", "e"]])
    model = NextIdModel(len(vocab), context_size=3)
    prompt = ["c", "a"]
    history = [vocab.token_to_index("<s>")] * 3 + [vocab.token_to_index(word) for word in prompt]
    expected = []
    for _ in range(6):
        expected.append(history[-3:])
        history.append(int(next_id(np.array(history[-1]), len(vocab))))
    words = generate(model, vocab, prompt, 6, rng=np.random.default_rng(0))
    assert model.contexts == expected, (
        f"expected the contexts [<s> <s> <s> + prompt + words drawn so far][-3:] (the last context_size ids, oldest "
        f"first) {expected} but the model got {model.contexts}")
    assert words == [vocab.index_to_token(i) for i in history[5:]], f"expected the drawn words but got {words}"
