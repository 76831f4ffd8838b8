"""hw6 tests run torch on one CPU thread: the tensors are tiny, and on a busy machine a second
thread only spin-waits (it can make small operations many times slower)."""
import torch

torch.set_num_threads(1)
