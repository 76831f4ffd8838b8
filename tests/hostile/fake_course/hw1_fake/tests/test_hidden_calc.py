import pytest

from hw1_fake.calc import add

pytestmark = pytest.mark.hidden


@pytest.mark.points(2)
def test_add_negative():
    assert add(-2, -3) == -5, f"expected -5 but got {add(-2, -3)}"
