"""hw6 tests run torch on one CPU thread: the tensors are tiny, and on a busy machine a second
thread only spin-waits (it can make small operations many times slower)."""
from common.testing import one_torch_thread  # noqa: F401  (autouse: torch on one thread)
