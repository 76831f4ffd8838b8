"""Markers for homework 3: one per task, so `pytest hw3_edugrad -m task_ops_nn` runs just that task."""

TASK_MARKERS = {
    "task_ops_elementwise": "edugrad ops: unbroadcast, add, subtract, multiply, divide, power, negate, exp, log, "
    "sigmoid, tanh, relu, log_sigmoid",
    "task_ops_reductions": "edugrad ops: sum and mean",
    "task_ops_shapes": "edugrad ops: reshape, transpose, concat, getitem, matmul",
    "task_ops_nn": "edugrad ops: lookup_rows, softmax, log_softmax, cross_entropy, dropout",
    "task_engine": "the given graph engine (backward, accumulation, no_grad), run through your operations",
    "task_nn": "edugrad.nn: Linear and the Module machinery",
    "task_optim": "edugrad.optim: SGD, Adagrad, Adam against torch.optim",
    "task_word2vec": "word2vec.py: the SGNS loss as an edugrad graph (sgns_loss_of_vectors, sgns_loss)",
}


def pytest_configure(config):
    for name, description in TASK_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
