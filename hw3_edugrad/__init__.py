"""Homework 3: computation graphs. edugrad, a small autograd library, and word2vec trained with it."""
