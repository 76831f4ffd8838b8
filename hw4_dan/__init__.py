"""Homework 4: a deep averaging network for sentiment (SST-2, SST-5), built with edugrad."""
