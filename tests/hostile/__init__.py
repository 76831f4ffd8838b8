"""Fixtures of the grading tests: a fake course and hostile submissions."""
