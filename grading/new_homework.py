"""A new homework in the course shape, from the template in grading/homework_template/.

``python -m grading.new_homework --number 10 --name cnn`` (``make new-homework N=10 NAME=cnn``) writes
``hw10_cnn/``: a convolutional sentence classifier on SST, on common/classifier.py, with one task
(``model.py``'s ``ConvClassifier.features``, a solution block under its budgeted TODO), a public and
a hidden test, a resume case, both configs, reference figures, a manifest and a handout with its
grading table. It passes every course check as written; docs/homework-shape.md ("Adding a homework")
says what to replace and what to run next.

Every file of the template is ``<path>.tmpl`` (so that neither pytest, ruff nor setuptools takes it for
course code) and a :class:`string.Template`: ``${hw}`` is the folder (``hw10_cnn``), ``${short}`` its
short name (``hw10``), ``${number}`` and ``${name}`` the two parts (``$$`` is a dollar sign).
"""
from __future__ import annotations

import argparse
import re
import string
import sys
from pathlib import Path

from grading.course import HW_PATTERN, CourseError
from grading.release import OutFile, write_tree

TEMPLATE = Path(__file__).resolve().parent / "homework_template"
SUFFIX = ".tmpl"
NAME = re.compile(r"^[a-z0-9_]+$")


def homework_folder(root: Path, number: int, name: str) -> str:
    """``hw<number>_<name>``, after refusing a number another homework has, a bad name or an existing folder."""
    if number < 1:
        raise CourseError(f"expected a homework number N >= 1 but got {number}; e.g. make new-homework N=10 NAME=cnn")
    if not NAME.match(name):
        raise CourseError(f"expected NAME of lower-case letters, digits and _ but got {name!r}; e.g. NAME=cnn")
    folder = f"hw{number}_{name}"
    taken = sorted(path.name for path in Path(root).glob(f"hw{number}_*") if HW_PATTERN.match(path.name))
    if (Path(root) / folder).exists():
        raise CourseError(f"{folder}/ exists already; pick another NAME, or delete the folder first")
    if taken:
        raise CourseError(f"homework number {number} is used by {', '.join(taken)}; pick another N")
    return folder


def render(number: int, name: str, template: Path = TEMPLATE) -> dict[str, str]:
    """The new homework's files (paths relative to its folder -> text) for `number` and `name`."""
    values = {"hw": f"hw{number}_{name}", "short": f"hw{number}", "number": str(number), "name": name}
    files = {}
    for path in sorted(template.rglob(f"*{SUFFIX}")):
        rel = path.relative_to(template).as_posix().removesuffix(SUFFIX)
        try:
            files[rel] = string.Template(path.read_text(encoding="utf-8")).substitute(values)
        except (KeyError, ValueError) as error:
            known = ", ".join(f"${{{key}}}" for key in values)
            raise CourseError(f"{path}: expected only the placeholders {known} (and $$ for a dollar sign) but "
                              f"found {error}; fix the template") from None
    if not files:
        raise CourseError(f"{template} holds no {SUFFIX} file; the homework template is missing")
    return files


def write_homework(root: Path, number: int, name: str) -> Path:
    """Write the new homework into `root` (all of it or nothing) and return its folder."""
    folder = homework_folder(root, number, name)
    files = {rel: OutFile(text.encode("utf-8")) for rel, text in render(number, name).items()}
    write_tree(files, Path(root) / folder, root)
    return Path(root) / folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", required=True, type=int, help="the homework's number N (hwN_name)")
    parser.add_argument("--name", required=True, help="the homework's name: lower-case letters, digits and _")
    parser.add_argument("--root", type=Path, default=Path("."), help="the course checkout (default: here)")
    args = parser.parse_args(argv)
    try:
        folder = write_homework(args.root, args.number, args.name)
    except CourseError as error:
        print(f"new-homework: {error}", file=sys.stderr)
        return 2
    short = f"hw{args.number}"
    print(f"new-homework: wrote {folder}/ (a CNN sentiment classifier skeleton; every course check passes as it "
          f"stands). Next:\n"
          f"  git add {folder.name}                # a release holds only files git tracks\n"
          f"  make test-{short} && make run-{short}     # its tests; its quick run beside reference.yaml\n"
          f"  make release HW={folder.name}\n"
          f"then replace the skeleton's task with yours and paste `python -m common.reference readme` into "
          f"README.md's quick table (docs/homework-shape.md, 'Adding a homework').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
