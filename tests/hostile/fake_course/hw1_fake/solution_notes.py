"""Instructor notes: left out of the release (solution_only)."""
EXPLANATION = "add returns the sum of its two arguments, fake-course-solution-only-line"
