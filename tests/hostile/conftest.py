"""Fixture files for tests/test_autograde*.py and tests/test_release*.py, not tests of this repo:
a tiny fake course (fake_course/) and hostile submissions to it (submissions/)."""
collect_ignore_glob = ["*"]
