"""Task: top-k coverage (coverage.py)."""
import pytest

from hw1_vocab.coverage import top_k_coverage, types_for_coverage

pytestmark = pytest.mark.task_coverage

COUNTS = {"a": 30, "b": 20, "c": 10, "d": 10, "e": 10, "f": 5, "g": 5, "h": 5, "i": 5}  # 100 tokens, 9 types


@pytest.mark.points(2)
@pytest.mark.parametrize(("k", "expected"), [(1, 0.30), (2, 0.50), (3, 0.60), (5, 0.80), (9, 1.0), (50, 1.0)])
def test_top_k_coverage_by_hand(k, expected):
    got = top_k_coverage(COUNTS, k)
    assert got == pytest.approx(expected), f"top-{k} coverage: expected {expected} but got {got}"


@pytest.mark.points(1)
def test_top_k_coverage_does_not_depend_on_tie_order():
    shuffled = dict(reversed(list(COUNTS.items())))
    for k in range(1, 10):
        assert top_k_coverage(shuffled, k) == pytest.approx(top_k_coverage(COUNTS, k)), (
            f"k={k}: expected the same coverage whatever the order of the counts"
        )


@pytest.mark.points(1)
def test_top_k_coverage_bad_k():
    assert top_k_coverage(COUNTS, 1) == pytest.approx(0.3), "expected top-1 coverage 0.3"
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_k_coverage(COUNTS, 0)


@pytest.mark.points(2)
@pytest.mark.parametrize(("share", "expected"), [(0.3, 1), (0.31, 2), (0.5, 2), (0.55, 3), (0.8, 5), (0.81, 6),
                                                 (1.0, 9)])
def test_types_for_coverage_by_hand(share, expected):
    got = types_for_coverage(COUNTS, share)
    assert got == expected, f"types needed for {share:.0%} coverage: expected {expected} but got {got}"


@pytest.mark.points(1)
def test_types_for_coverage_is_the_inverse_of_top_k_coverage():
    counts = {f"w{i}": 1 + (37 * i) % 11 for i in range(40)}
    for share in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        k = types_for_coverage(counts, share)
        assert top_k_coverage(counts, k) >= share - 1e-12, f"share {share}: top-{k} coverage is below the share"
        assert k == 1 or top_k_coverage(counts, k - 1) < share, f"share {share}: expected the smallest k, got {k}"
