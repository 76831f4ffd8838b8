"""Repository-wide pytest setup: plots never need a screen."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
