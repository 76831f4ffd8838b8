"""hw7 tests run PyTorch on one thread: their models are tiny, and on a shared 2-core machine extra
threads only wait for each other (the same test runs several times slower with two)."""
import pytest

from common.testing import one_torch_thread  # noqa: F401  (autouse: torch on one thread)

# A toy German -> English corpus in Multi30k's file layout: "ein kleiner hund läuft ." -> "a small dog runs ."
_DETERMINERS = {"ein": "a", "der": "the"}
_ADJECTIVES = {"kleiner": "small", "großer": "big", "roter": "red", "alter": "old"}
_NOUNS = {"hund": "dog", "mann": "man", "junge": "boy", "vogel": "bird"}
_VERBS = {"läuft": "runs", "schläft": "sleeps", "singt": "sings", "springt": "jumps"}


def toy_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` random (German, English) sentence pairs of the toy grammar, raw text with capitals."""
    import random

    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        words = [rng.choice(list(table.items())) for table in (_DETERMINERS, _ADJECTIVES, _NOUNS, _VERBS)]
        german = " ".join(de for de, _ in words)
        english = " ".join(en for _, en in words)
        pairs.append((german.capitalize() + ".", english.capitalize() + "."))
    return pairs


@pytest.fixture()
def tiny_multi30k(tmp_path):
    """A data folder holding multi30k/{train,val,test_2016_flickr}.{de,en,fr}.gz: 256 / 24 / 24 toy pairs
    (the resolver wants all three languages; the unused .fr files repeat the German)."""
    import gzip

    folder = tmp_path / "data" / "multi30k"
    folder.mkdir(parents=True)
    for split, count, seed in (("train", 256, 0), ("val", 24, 1), ("test_2016_flickr", 24, 2)):
        pairs = toy_pairs(count, seed)
        for side, language in ((0, "de"), (1, "en"), (0, "fr")):
            with gzip.open(folder / f"{split}.{language}.gz", "wt", encoding="utf-8") as handle:
                handle.write("".join(pair[side] + "\n" for pair in pairs))
    return tmp_path / "data"


@pytest.fixture(scope="session")
def multi30k_folder():
    """The real Multi30k folder, or skip when it is in none of the usual places."""
    from common.resources import DatasetNotFoundError, find_dataset

    try:
        return find_dataset("multi30k", download=False)
    except DatasetNotFoundError:
        pytest.skip("multi30k data not found (set COURSE_DATA or run `make data`); skipping the real-data run")
