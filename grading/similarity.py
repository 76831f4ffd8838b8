"""Which submissions look alike: the code similarity of every pair of submissions' editable files.

    python -m grading.similarity --hw hw7_seq2seq --submissions DIR --out dist/grades/hw7_seq2seq/similarity
    make similarity HW=hw7_seq2seq SUBMISSIONS=DIR [THRESHOLD=0.5]

writes ``pairs.csv`` (``a,b,similarity,flagged``, most similar first) and, for each pair flagged
(similarity >= the threshold), ``<a>__<b>.html``: the two submissions side by side, file by file, the
regions that match highlighted. Pages of an earlier run are removed.

How. Each submission's editable files are read as the grader reads them
(:func:`grading.autograde.read_submission`). Each file is normalised by Python's own parser
(``ast.unparse(ast.parse(...))``: comments, blank lines, line breaks, quote style and redundant
parentheses go), then fingerprinted by copydetect, which tokenises with Pygments and replaces every
name by ``V`` (function names ``F``, class names ``O``, strings ``S``), hashes every k-gram of
NOISE characters of what is left and keeps the winnowed ones (the minimum of each window; Schleimer,
Wilkerson & Aiken 2003, as MOSS does): any match of GUARANTEE characters or more is found, none
shorter than NOISE counts. The k-grams of every Python file of the homework's student release
(stubs, given code, public tests: :func:`grading.release.build_release`), normalised the same way,
are boilerplate and never count, and so do those of the release the students were given (``--release``)
if the given code has changed since. A submission's *own code* is what is left.

The similarity of a pair is the share of both submissions' own code that lies in regions matching
the other: (matched in a + matched in b) / (own code of a + own code of b), between 0 and 1 (JPlag's
average similarity). Renamed names, dropped comments, reformatting and reordered functions do not
change it much; a student who submits the stubs has no own code and scores 0 with everyone.

copydetect hashes with Python's ``hash``, so the winnowed fingerprints, and the scores by about 0.02,
vary between runs unless PYTHONHASHSEED is fixed (``make similarity`` sets it to 0). copydetect is
imported here only: grading a submission (the Gradescope zip) does not need it.
"""
from __future__ import annotations

import argparse
import ast
import csv
import html
import io
import itertools
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.fileio import atomic_path, atomic_write_text
from grading.autograde import read_submission
from grading.course import get_homework
from grading.grade_all import find_submissions
from grading.release import build_release

NOISE = 25       # characters of normalised code: no shorter match counts
GUARANTEE = 30   # characters: every match at least this long is found (winnowing window GUARANTEE - NOISE + 1)
THRESHOLD = 0.5  # default: measured on hw7, honest pairs 0.2-0.3, a disguised copy 0.9 (grading/README.md)


@dataclass(frozen=True)
class FileMatch:
    """One editable file of a pair: both normalised codes and their matching regions (character
    offsets, rows: starts and ends)."""

    rel: str
    code_a: str
    code_b: str
    regions_a: np.ndarray  # [2, n]
    regions_b: np.ndarray


@dataclass(frozen=True)
class Pair:
    """Two submissions, their similarity, the share of each one's own code found in the other."""

    a: str
    b: str
    similarity: float
    share_a: float
    share_b: float
    files: list[FileMatch]


def normalise(source: str) -> str:
    """`source` as Python's parser reads it, written back (comments and formatting gone); unchanged
    if it does not parse."""
    try:
        return ast.unparse(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError):
        return source


def given_files(path: Path) -> dict[str, bytes]:
    """The Python files of a release the students were given: a folder or a zip (``dist/<hw>.zip``)."""
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist() if name.endswith(".py")}
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*.py")) if p.is_file()}
    raise FileNotFoundError(f"{path} is neither a release folder nor a zip; pass the release the students got, "
                            "e.g. dist/hw7_seq2seq.zip from make release")


def boilerplate(root: Path, hw: str, releases: list[Path] = ()) -> np.ndarray:
    """The k-gram hashes of every Python file of `hw`'s student release as the course at `root` builds
    it now, and of `releases` (the ones the students were given, if the given code changed since),
    normalised."""
    from copydetect import CodeFingerprint

    files = {rel: out.data for rel, out in build_release(root, hw).files.items() if rel.endswith(".py")}
    given = [files, *(given_files(release) for release in releases)]
    hashes: set[int] = set()
    for rel, data in ((rel, data) for release in given for rel, data in release.items()):
        text = normalise(data.decode("utf-8", "replace"))
        hashes |= CodeFingerprint(rel, NOISE, 1, fp=io.StringIO(text)).hashes
    return np.array(sorted(hashes))


def fingerprints(files: dict[str, bytes], given: np.ndarray) -> dict:
    """rel -> copydetect CodeFingerprint of each file's normalised code, the `given` hashes removed."""
    from copydetect import CodeFingerprint

    return {rel: CodeFingerprint(rel, NOISE, GUARANTEE - NOISE + 1, boilerplate=given,
                                 fp=io.StringIO(normalise(data.decode("utf-8", "replace"))))
            for rel, data in files.items()}


def compare(a: str, prints_a: dict, b: str, prints_b: dict) -> Pair:
    """The similarity of submissions `a` and `b` from their fingerprints (rel -> CodeFingerprint)."""
    from copydetect import compare_files

    own_a = sum(f.token_coverage for f in prints_a.values())
    own_b = sum(f.token_coverage for f in prints_b.values())
    matched_a = matched_b = 0.0
    files = []
    for rel in sorted(set(prints_a) & set(prints_b)):
        fa, fb = prints_a[rel], prints_b[rel]
        _, (share_a, share_b), (regions_a, regions_b) = compare_files(fa, fb)
        matched_a += share_a * fa.token_coverage
        matched_b += share_b * fb.token_coverage
        files.append(FileMatch(rel, fa.raw_code, fb.raw_code, regions_a, regions_b))
    own = own_a + own_b
    return Pair(a, b, float((matched_a + matched_b) / own) if own else 0.0,
                float(matched_a / own_a) if own_a else 0.0, float(matched_b / own_b) if own_b else 0.0, files)


def similarities(root: Path, hw: str, submissions: list[Path], releases: list[Path] = ()) -> list[Pair]:
    """Every pair of `submissions` (folders or zips), most similar first; `releases`: more given code
    (:func:`boilerplate`)."""
    homework = get_homework(root, hw)
    given = boilerplate(root, homework.name, releases)
    prints = {}
    for path in submissions:
        try:
            files, _ = read_submission(path, homework)
        except (OSError, zipfile.BadZipFile) as err:  # not a folder or a readable zip: no own code, and say so
            print(f"similarity: cannot read {path} ({err}); it counts as empty", file=sys.stderr)
            files = {}
        prints[path.name] = fingerprints(files, given)
    pairs = [compare(a, prints[a], b, prints[b]) for a, b in itertools.combinations(sorted(prints), 2)]
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def write_pairs_csv(pairs: list[Pair], threshold: float, path: Path) -> None:
    """``a,b,similarity,flagged`` (similarity with 3 decimals; flagged yes/no)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "similarity", "flagged"])
        for pair in pairs:
            writer.writerow([pair.a, pair.b, f"{pair.similarity:.3f}", "yes" if pair.similarity >= threshold else "no"])


def _highlighted(code: str, regions: np.ndarray) -> str:
    from copydetect.utils import highlight_overlap

    if regions.size == 0:
        return html.escape(code)
    return highlight_overlap(code, regions, "<mark>", "</mark>", escape_html=True)[0]


PAGE_STYLE = ("body{font-family:sans-serif;margin:1em}table{width:100%;table-layout:fixed;border-collapse:collapse}"
              "td{vertical-align:top;border:1px solid #bbb;width:50%}pre{margin:0;padding:.5em;font-size:85%;"
              "white-space:pre-wrap}mark{background:#ffd27f}")


def pair_page(pair: Pair) -> str:
    """One HTML page (no other file needed): the two submissions side by side, matches highlighted."""
    a, b = html.escape(pair.a), html.escape(pair.b)
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{a} and {b}</title>"
             f"<style>{PAGE_STYLE}</style></head><body>",
             f"<h1>{a} and {b}: similarity {pair.similarity:.2f}</h1>",
             f"<p>{pair.share_a:.0%} of {a}'s own code lies in regions that match {b}, and {pair.share_b:.0%} of "
             f"{b}'s in regions that match {a}. The code is shown as it was compared: normalised by Python's "
             "parser (comments and formatting gone). What the release gave every student never counts, though "
             "a match may run a few characters into it (see grading/similarity.py).</p>"]
    for match in pair.files:
        parts.append(f"<h2>{html.escape(match.rel)}</h2><table><tr><th>{a}</th><th>{b}</th></tr><tr>"
                     f"<td><pre>{_highlighted(match.code_a, match.regions_a)}</pre></td>"
                     f"<td><pre>{_highlighted(match.code_b, match.regions_b)}</pre></td></tr></table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_results(pairs: list[Pair], threshold: float, folder: Path) -> list[Path]:
    """pairs.csv and one page per flagged pair into `folder` (earlier pages removed); the pages."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.html"):
        old.unlink()
    write_pairs_csv(pairs, threshold, folder / "pairs.csv")
    pages = []
    for pair in pairs:
        if pair.similarity >= threshold:
            pages.append(folder / f"{pair.a}__{pair.b}.html")
            atomic_write_text(pages[-1], pair_page(pair))
    return pages


def _threshold(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"the threshold is a similarity in (0, 1], e.g. {THRESHOLD}; got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Code similarity of every pair of submissions.")
    parser.add_argument("--hw", required=True)
    parser.add_argument("--submissions", required=True, type=Path, help="one folder or .zip per student")
    parser.add_argument("--out", required=True, type=Path, help="folder for pairs.csv and the pages")
    parser.add_argument("--threshold", type=_threshold, default=THRESHOLD,
                        help=f"flag pairs at least this similar (default {THRESHOLD})")
    parser.add_argument("--release", type=Path, action="append", default=[],
                        help="the release the students were given (folder or zip), if its given code has "
                             "changed since; repeatable")
    parser.add_argument("--root", type=Path, default=Path("."), help="the course checkout")
    args = parser.parse_args(argv)
    submissions = find_submissions(args.submissions)
    if len(submissions) < 2:
        print(f"similarity: need two submissions (folders or .zip) in {args.submissions}, found "
              f"{len(submissions)}", file=sys.stderr)
        return 2
    pairs = similarities(args.root, args.hw, submissions, args.release)
    pages = write_results(pairs, args.threshold, args.out)
    print(f"{len(pairs)} pairs, {len(pages)} flagged (similarity >= {args.threshold:g}) -> {args.out}/pairs.csv")
    for pair in pairs[:len(pages)]:
        print(f"  {pair.similarity:.3f}  {pair.a}  {pair.b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
