"""Word dropout: whole tokens dropped at rate p, padding never kept, at least one token always kept,
nothing dropped at evaluation, the same seed gives the same mask."""
import numpy as np
import pytest

from hw4_dan.dan import word_dropout

pytestmark = pytest.mark.task_word_dropout


def ragged_mask(rng: np.random.Generator, batch: int = 2000, max_len: int = 12) -> np.ndarray:
    lengths = rng.integers(1, max_len + 1, size=batch)
    return np.arange(max_len)[None, :] < lengths[:, None]


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.3, 0.9, 0.999])
def test_every_row_keeps_at_least_one_real_token_and_no_padding(p):
    mask = ragged_mask(np.random.default_rng(1))
    kept = word_dropout(mask, p, np.random.default_rng(2))
    assert kept.shape == mask.shape and kept.dtype == bool, (
        f"expected a bool mask {mask.shape}, got {kept.dtype} {kept.shape}")
    assert not (kept & ~mask).any(), "word dropout kept a padded position: padding must stay False"
    empty = np.flatnonzero(~kept.any(axis=1))
    assert empty.size == 0, f"with p={p}, rows {empty[:5].tolist()} kept no token; every row must keep at least one"


@pytest.mark.points(2)
def test_tokens_are_dropped_at_rate_p():
    mask = ragged_mask(np.random.default_rng(3), batch=4000)
    long_rows = mask.sum(axis=1) >= 8  # rows long enough that the rescue of empty rows hardly matters
    kept = word_dropout(mask, 0.3, np.random.default_rng(4))
    rate = 1 - kept[long_rows].sum() / mask[long_rows].sum()
    assert abs(rate - 0.3) < 0.01, f"expected about 30% of the tokens dropped but got {rate:.3%}"


@pytest.mark.points(1)
def test_a_rescued_token_is_chosen_uniformly():
    mask = np.zeros((6000, 5), dtype=bool)
    mask[:, :3] = True
    kept = word_dropout(mask, 0.999, np.random.default_rng(5))  # nearly every row needs a rescue
    shares = kept[:, :3].sum(axis=0) / kept.sum()
    assert np.allclose(shares, 1 / 3, atol=0.03), f"expected each of 3 tokens kept a third of the time, got {shares}"


@pytest.mark.points(1)
def test_off_at_evaluation_and_with_p_zero():
    mask = ragged_mask(np.random.default_rng(6), batch=50)
    assert (word_dropout(mask, 0.5, np.random.default_rng(0), training=False) == mask).all(), (
        "expected the mask unchanged with training=False")
    assert (word_dropout(mask, 0.0, np.random.default_rng(0)) == mask).all(), "expected the mask unchanged with p=0"


@pytest.mark.points(1)
def test_same_seed_same_mask_and_input_untouched():
    mask = ragged_mask(np.random.default_rng(7), batch=100)
    copy = mask.copy()
    first = word_dropout(mask, 0.5, np.random.default_rng(11))
    second = word_dropout(mask, 0.5, np.random.default_rng(11))
    assert (first == second).all(), "expected the same mask from two generators with the same seed"
    assert (mask == copy).all(), "word_dropout modified the mask it was given; return a new array"
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        word_dropout(mask, 1.0, np.random.default_rng(0))


def one_and_seven_token_rows(batch: int = 400, max_len: int = 8) -> np.ndarray:
    """Half the rows hold 1 real token, half 7: 4 per row on average, like `first_half_rows` below."""
    mask = np.zeros((batch, max_len), dtype=bool)
    mask[::2, :1] = True
    mask[1::2, :7] = True
    return mask


def first_half_rows(batch: int = 400, max_len: int = 8) -> np.ndarray:
    mask = np.zeros((batch, max_len), dtype=bool)
    mask[:, : max_len // 2] = True
    return mask


@pytest.mark.points(1)
@pytest.mark.parametrize("masks", [
    pytest.param((np.ones((400, 8), dtype=bool), first_half_rows()), id="more-real-tokens"),
    pytest.param((first_half_rows(), one_and_seven_token_rows()), id="more-rows-to-rescue"),
])
def test_the_same_number_of_random_draws_whatever_the_outcome(masks):
    """Two masks of the same shape whose outcomes differ (how many tokens are real, how many rows lose
    every token) must leave two generators that start equal in equal states."""
    states = []
    for mask in masks:
        rng = np.random.default_rng(13)
        word_dropout(mask, 0.5, rng)
        states.append(rng.bit_generator.state["state"]["state"])
    assert states[0] == states[1], (
        "expected word_dropout to take the same number of random draws from rng for any mask of the same shape, "
        f"but masks with {masks[0].sum()} and {masks[1].sum()} real tokens (rows of {masks[0].sum(axis=1).min()}–"
        f"{masks[0].sum(axis=1).max()} and {masks[1].sum(axis=1).min()}–{masks[1].sum(axis=1).max()} tokens) left "
        "the generator in different states: draw a uniform number for every position of the mask (padding too), "
        "and the rescue draw for every row, not only for the real tokens or the rows that lost them all")
