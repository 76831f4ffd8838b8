"""Homework 1: counting words, building a vocabulary, and documenting the data (a data statement)."""
