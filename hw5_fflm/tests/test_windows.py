"""make_windows: the (context, next word) examples of a corpus, padded with <s> at sentence starts."""
import numpy as np
import pytest

from hw5_fflm.windows import build_lm_vocabulary, make_windows

pytestmark = pytest.mark.task_windows
BOS, EOS = 2, 1


@pytest.mark.points(2)
def test_the_handout_example_window_by_window():
    windows = make_windows([[10, 11, 12]], context_size=3, bos=BOS, eos=EOS)  # "the cat sat"
    expected_contexts = [[2, 2, 2], [2, 2, 10], [2, 10, 11], [10, 11, 12]]
    assert windows.contexts.tolist() == expected_contexts, (
        f"expected contexts {expected_contexts} but got {windows.contexts.tolist()}")
    assert windows.targets.tolist() == [10, 11, 12, EOS], (
        f"expected targets [10, 11, 12, 1] but got {windows.targets.tolist()}")


@pytest.mark.points(2)
@pytest.mark.parametrize("context_size", [1, 2, 5])
def test_shapes_dtypes_and_no_window_crosses_a_sentence(context_size):
    sentences = [[5, 6, 7, 8], [9], [], [3, 4]]
    windows = make_windows(sentences, context_size, bos=BOS, eos=EOS)
    n = sum(len(s) + 1 for s in sentences)
    assert windows.contexts.shape == (n, context_size), (
        f"expected contexts [{n}, {context_size}] but got {windows.contexts.shape}")
    assert windows.targets.shape == (n,), f"expected targets [{n}] but got {windows.targets.shape}"
    assert windows.contexts.dtype == np.int64 and windows.targets.dtype == np.int64, "expected int64 ids"
    # the first window of every sentence has only <s> as context: sentence 2 starts at row 5
    assert windows.contexts[5].tolist() == [BOS] * context_size, f"row 5 starts sentence 2: got {windows.contexts[5]}"
    assert windows.targets[5] == 9 and windows.targets[6] == EOS and windows.targets[7] == EOS, (
        f"expected targets 9, </s> and (empty sentence) </s> at rows 5..7, got {windows.targets[5:8]}")
    assert windows.stacked().shape == (n, context_size + 1)


@pytest.mark.points(1)
def test_a_context_longer_than_the_sentence_is_padded():
    windows = make_windows([[7]], context_size=6, bos=BOS, eos=EOS)
    assert windows.contexts.tolist() == [[2] * 6, [2] * 5 + [7]], f"got {windows.contexts.tolist()}"


@pytest.mark.points(0)  # the checks are given code
def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="context_size"):
        make_windows([[1, 2]], context_size=0, bos=BOS, eos=EOS)
    with pytest.raises(ValueError, match="no sentences"):
        make_windows([], context_size=2, bos=BOS, eos=EOS)


@pytest.mark.points(0)  # given code
def test_the_vocabulary_puts_the_specials_first():
    vocab = build_lm_vocabulary([["b", "a", "b"]])
    assert vocab.tokens[:3] == ["<unk>", "</s>", "<s>"] and vocab.tokens[3] == "b", f"got {vocab.tokens}"
