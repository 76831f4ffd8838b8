import pytest

from hw1_fake.calc import Counter, add, mul, square


@pytest.mark.points(2)
def test_add():
    assert add(2, 3) == 5, f"expected 5 but got {add(2, 3)}"


def test_add_rejects_strings():
    with pytest.raises(TypeError):
        add("a", 1)


def test_mul():
    assert mul(3, 4) == 12, f"expected 12 but got {mul(3, 4)}"


@pytest.mark.points(3)
def test_square():
    assert square(5) == 25, f"expected 25 but got {square(5)}"


def test_count():
    assert Counter().count([1, 2, 1], 1) == 2
