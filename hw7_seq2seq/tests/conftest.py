"""hw7 tests run PyTorch on one thread: their models are tiny, and on a shared 2-core machine extra
threads only wait for each other (the same test runs several times slower with two)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
