"""hw9 demonstration selection: the demonstrations for a fixed seed, balanced selection, the random
recipe, nearest neighbours on hand-made vectors, and the errors for bad k."""
from __future__ import annotations

import numpy as np
import pytest

from hw9_icl.evaluate import Cell, demonstrations
from hw9_icl.prompts import Demonstration
from hw9_icl.selection import get_k_examples

POOL = [Demonstration(f"review number {i}", label) for i, label in enumerate([0, 1, 1, 1, 0, 1, 1, 0, 1, 1])]


@pytest.mark.task_select
@pytest.mark.points(2)
def test_demonstrations_for_a_fixed_seed() -> None:
    # balanced, k = 2, seed 0: one of each class, drawn and shuffled with numpy's default_rng(0)
    got = demonstrations(Cell(2, "balanced", seed=0), POOL)
    expected = [POOL[7], POOL[6]]
    assert got == expected, (f"balanced, k = 2, seed 0: expected pool indices [7, 6] ({expected}) but got "
                             f"{[POOL.index(demo) for demo in got]} ({got}); follow the documented recipe with one "
                             "rng = np.random.default_rng(seed) for every draw: first the classes that get an extra "
                             "example, then each class's examples (classes in increasing order), then "
                             "rng.permutation of the chosen indices")


@pytest.mark.task_select
@pytest.mark.points(2)
@pytest.mark.parametrize("k", [2, 3, 4, 6])
def test_balanced_selection_is_balanced(k: int) -> None:
    for seed in range(5):
        chosen = get_k_examples(POOL, k, "balanced", seed)
        labels = [POOL[i].label for i in chosen]
        assert len(chosen) == k and len(set(chosen)) == k, f"expected {k} distinct indices, got {chosen}"
        assert abs(labels.count(0) - labels.count(1)) <= k % 2, f"k={k} seed={seed}: unbalanced labels {labels}"
    assert get_k_examples(POOL, k, "balanced", 1) == get_k_examples(POOL, k, "balanced", 1), "same seed, same picks"


@pytest.mark.task_select
@pytest.mark.points(1)
def test_random_selection_follows_the_recipe() -> None:
    expected = [int(i) for i in np.random.default_rng(3).choice(len(POOL), size=4, replace=False)]
    got = get_k_examples(POOL, 4, "random", 3)
    assert got == expected, (f"expected {expected}, np.random.default_rng(3).choice({len(POOL)}, size=4, "
                             f"replace=False) in that order, but got {got}")
    assert get_k_examples(POOL, 0, "random", 3) == [], "k = 0 must give no demonstrations"


@pytest.mark.task_select
@pytest.mark.points(2)
def test_nearest_neighbours_least_similar_first() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6], [-1.0, 0.0]] + [[0.0, -1.0]] * 5)
    chosen = get_k_examples(POOL, 3, "nearest", seed=0, query_vector=np.array([2.0, 0.0]), train_vectors=vectors)
    assert chosen == [2, 3, 0], f"expected the three most similar, least similar first [2, 3, 0], got {chosen}"
    vectors[2] = vectors[3]  # a tie inside the top three: the lower index, 2, counts as the more similar
    chosen = get_k_examples(POOL, 3, "nearest", seed=0, query_vector=np.array([2.0, 0.0]), train_vectors=vectors)
    assert chosen == [3, 2, 0], (f"rows 2 and 3 are equally similar to the query, so the lower index, 2, counts as "
                                 f"the more similar and sits nearer the review: expected [3, 2, 0] but got {chosen}; "
                                 "rank with a stable sort of the negated similarity, np.argsort(-similarity, "
                                 "kind=\"stable\"), then reverse the k chosen")


@pytest.mark.task_select
@pytest.mark.points(1)
def test_bad_k_is_an_error() -> None:
    with pytest.raises(ValueError, match="pool"):
        get_k_examples(POOL, 11, "random", 0)
    with pytest.raises(ValueError) as error:
        get_k_examples(POOL, 8, "balanced", 0)  # only 3 negatives
    assert "class" in str(error.value), (
        f"balanced, k = 8 needs 4 negatives but the pool holds 3: expected a ValueError naming the class but got "
        f"{error.value!r}; before drawing, check that each class holds as many examples as it needs and raise a "
        "ValueError naming the class (and the fix: lower k or enlarge the pool)")
    with pytest.raises(ValueError, match="vectors"):
        get_k_examples(POOL, 2, "nearest", 0)


@pytest.mark.task_select
@pytest.mark.points(1)
@pytest.mark.parametrize("k, expected, unshuffled", [(4, [4, 2, 3, 7], [4, 7, 3, 2]),
                                                     (5, [2, 9, 4, 1, 7], [7, 4, 1, 9, 2])])
def test_balanced_selection_ends_with_a_shuffle(k: int, expected: list[int], unshuffled: list[int]) -> None:
    got = get_k_examples(POOL, k, "balanced", 0)
    hint = (": that is the order before the final shuffle (classes in increasing order); finish with "
            "rng.permutation of the chosen indices, drawn from the same rng" if got == unshuffled else "")
    assert got == expected, (f"balanced, k = {k}, seed 0: expected {expected} (the documented recipe, one "
                             f"rng = np.random.default_rng(0) for every draw) but got {got}{hint}")
