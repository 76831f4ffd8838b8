"""Homework 7: sequence-to-sequence translation with attention (Multi30k), greedy and beam search, sacreBLEU."""
