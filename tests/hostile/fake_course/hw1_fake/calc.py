"""A fake homework module: a few functions with solutions between markers."""


def add(a: int, b: int) -> int:
    """The sum a + b of two integers."""
    if not isinstance(a, int) or not isinstance(b, int):
        raise TypeError(f"add expects two integers, got {type(a).__name__} and {type(b).__name__}")
    # TODO: return the sum
    # BEGIN SOLUTION
    total = a + b  # fake-course-reference-solution
    return total
    # END SOLUTION


def mul(a: int, b: int) -> int:
    """The product a * b."""
    # BEGIN SOLUTION
    return a * b
    # END SOLUTION


def square(x: int) -> int:
    """x squared."""
    result = x * x  # SOLUTION
    return result


class Counter:
    """Counts occurrences."""

    def count(self, items: list, item: object) -> int:
        """How often `item` occurs in `items`."""
        # BEGIN SOLUTION
        return sum(1 for x in items if x == item)
        # END SOLUTION
