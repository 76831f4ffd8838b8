"""Task: the out-of-vocabulary rate (oov.py), with common.vocabulary.Vocabulary."""
import pytest

from common.vocabulary import Vocabulary
from hw1_vocab.oov import oov_rate

pytestmark = pytest.mark.task_oov

TRAIN_COUNTS = {"the": 5, "cat": 3, "sat": 1, "mat": 1}


@pytest.mark.points(2)
def test_oov_rate_by_hand():
    vocab = Vocabulary(TRAIN_COUNTS, specials=("<unk>", "<pad>"))
    dev = [["the", "dog", "sat"], ["the", "cat", "on", "the", "mat"]]  # dog, on unseen: 2 of 8
    got = oov_rate(dev, vocab)
    assert got == pytest.approx(2 / 8), f"expected 2/8 = 0.25 but got {got}"


@pytest.mark.points(2)
@pytest.mark.parametrize(("min_freq", "expected"), [(1, 2 / 8), (2, 4 / 8), (4, 5 / 8), (6, 1.0)])
def test_oov_rate_grows_with_min_freq(min_freq, expected):
    vocab = Vocabulary(TRAIN_COUNTS, specials=("<unk>",), min_freq=min_freq)
    dev = [["the", "dog", "sat"], ["the", "cat", "on", "the", "mat"]]
    got = oov_rate(dev, vocab)
    assert got == pytest.approx(expected), f"min_freq={min_freq}: expected {expected} but got {got}"


@pytest.mark.points(1)
def test_oov_rate_with_max_size():
    vocab = Vocabulary(TRAIN_COUNTS, specials=("<unk>", "<pad>"), max_size=3)  # <unk>, <pad>, the
    got = oov_rate([["the", "cat"], ["the"]], vocab)
    assert got == pytest.approx(1 / 3), f"expected 1/3 (only 'the' kept) but got {got}"


@pytest.mark.points(1)
def test_unk_and_other_specials_in_the_text():
    vocab = Vocabulary(TRAIN_COUNTS, specials=("<unk>", "<pad>"))
    got = oov_rate([["the", "<unk>", "cat", "<pad>"]], vocab)
    assert got == pytest.approx(1 / 4), f"expected 1/4 ('<unk>' in the text is OOV; '<pad>' is known) but got {got}"


@pytest.mark.points(1)
def test_empty_dev_set_is_a_clear_error():
    vocab = Vocabulary(TRAIN_COUNTS)
    assert oov_rate([["the"]], vocab) == 0.0, "expected OOV rate 0 for a known token"
    with pytest.raises(ValueError, match="(?i)no tokens|empty"):
        oov_rate([[], []], vocab)


@pytest.mark.points(0)  # checks common.Vocabulary, not the student's code
def test_max_size_below_specials_is_a_clear_error_from_vocabulary():
    with pytest.raises(ValueError, match="max_size=1 is smaller than the 2 special tokens"):
        Vocabulary(TRAIN_COUNTS, specials=("<unk>", "<pad>"), max_size=1)
