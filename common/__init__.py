"""Shared utilities for every homework: vocabulary, data, metrics, configuration, runs, plots."""
