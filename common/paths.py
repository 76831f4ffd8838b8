"""Where the course checkout is: the one definition of REPO_ROOT (the folder holding common/)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
