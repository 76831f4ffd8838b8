"""Every homework's Gradescope autograder zip, run as Gradescope runs it, on the reference solution.

For each homework found by grading.course.find_homeworks: build the zip, unpack it into a fresh folder
laid out as on Gradescope (``AUTOGRADER_ROOT``: source/, submission/, data/, results/), run its
fetch_data.sh against a server on 127.0.0.1 that serves the official archives of the course datasets
(built from the course data folder), then run_autograder. The reference must get full marks with no
test skipped (a skipped test earns nothing on Gradescope). The packages come from this machine's
environment: setup.sh's installation itself needs the internet.

Marked slow (it runs every homework's tests once more, as the grader does): ``make test-slow``.
"""
import functools
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from common.resources import EXPECTED_LINES, DatasetNotFoundError, find_dataset
from grading.course import CourseError, Homework, find_homeworks, load_homework
from grading.gradescope import build_zip
from grading.needs import TORCH_CPU_INDEX, NeedsError, requirements_of

REPO = Path(__file__).resolve().parents[1]
HOMEWORKS = find_homeworks(REPO)
ARCHIVES = {"sst": ["trainDevTestTrees_PTB.zip"], "sst2": ["SST-2.zip"],
            "multi30k": sorted(EXPECTED_LINES["multi30k"])}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _glue_layout(course_tsv: Path) -> bytes:
    """A course-layout SST-2 split (label<TAB>text) in GLUE's layout (sentence<TAB>label)."""
    rows = [line.split("\t", 1) for line in course_tsv.read_text(encoding="utf-8").splitlines()[1:]]
    return ("sentence\tlabel\n" + "".join(f"{text}\t{label}\n" for label, text in rows)).encode()


def _official_archives(name: str, folder: Path) -> dict[str, bytes]:
    """The files the official hosts serve for dataset `name`, rebuilt from its course-layout folder."""
    if name == "sst":
        return {"trainDevTestTrees_PTB.zip": _zip({f"trees/{s}.txt": (folder / "trees" / f"{s}.txt").read_bytes()
                                                   for s in ("train", "dev", "test")})}
    if name == "sst2":
        return {"SST-2.zip": _zip({f"SST-2/{s}.tsv": _glue_layout(folder / f"{s}.tsv") for s in ("train", "dev")})}
    return {rel: (folder / rel).read_bytes() for rel in EXPECTED_LINES[name]}


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def do_GET(self) -> None:
        self.requested.append(self.path.lstrip("/"))
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """(base URL, list of the paths requested) of a 127.0.0.1 server of the datasets the homeworks read."""
    served = tmp_path_factory.mktemp("mirror")
    for name in sorted({d for hw in HOMEWORKS for d in hw.data}):
        try:
            folder = find_dataset(name, download=False)
        except DatasetNotFoundError as error:
            pytest.skip(f"the course data folder is needed to serve {name}: {str(error).splitlines()[0]}")
        for rel, data in _official_archives(name, folder).items():
            (served / rel).write_bytes(data)
    requested: list[str] = []
    handler = functools.partial(type("Handler", (_RecordingHandler,), {"requested": requested}),
                                directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("hw", HOMEWORKS, ids=[hw.name for hw in HOMEWORKS])
def test_the_autograder_zip_gives_the_reference_full_marks(hw, mirror, tmp_path):
    url, requested = mirror
    root = tmp_path / "autograder"
    build_zip(REPO, hw.name, tmp_path / "autograder.zip")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        archive.extractall(root / "source")
        setup = archive.read("setup.sh").decode()
    assert "-r requirements.txt" not in setup, "setup.sh installs every homework's packages"
    assert (TORCH_CPU_INDEX in setup) == ("torch==" in setup), "setup.sh installs torch, but not the CPU build"
    for rel in hw.editable:
        (root / "submission" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / hw.name / rel, root / "submission" / rel)
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA"}
    env.update(AUTOGRADER_ROOT=str(root), PYTHON=sys.executable, COURSE_DATA_MIRROR=url,
               no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    requested.clear()
    fetch = subprocess.run(["bash", str(root / "source" / "fetch_data.sh")], env=env, capture_output=True, text=True)
    assert fetch.returncode == 0, fetch.stderr
    fetched = sorted(p.name for p in (root / "data").iterdir()) if (root / "data").exists() else []
    assert fetched == sorted(hw.data), f"expected the datasets {sorted(hw.data)} but fetch_data.sh gave {fetched}"
    expected_requests = sorted(f for name in hw.data for f in ARCHIVES[name])
    assert sorted(requested) == expected_requests, f"expected requests {expected_requests} but got {requested}"
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    lost = {t["name"]: t["output"][-600:] for t in results["tests"] if t["status"] != "passed"}
    skipped = [t["name"] for t in results["tests"] if "skipped" in t["output"]]
    assert not lost and not skipped, f"{hw.name}: the reference lost {lost}; skipped: {skipped}"
    assert results["score"] == results["max_score"] > 0, results["output"]


def test_a_homework_needs_the_packages_its_files_reach():
    """hw9_x imports numpy, and common.a, which imports torch inside a function; common.b (scipy) is
    not reached; the grader always needs pytest, pytest-timeout and pyyaml."""
    pins = "torch==2.0.0\nnumpy==1.0\nscipy==1.1\npytest==8.0\npytest-timeout==2.0  # timeouts\nPyYAML==6.0\n"
    files = {"requirements.txt": pins.encode(), "common/__init__.py": b"",
             "common/a.py": b"def f():\n    import torch\n", "common/b.py": b"import scipy\n",
             "hw9_x/__init__.py": b"", "hw9_x/model.py": b"import numpy as np\nfrom common import a\n",
             "hw9_x/tests/test_model.py": b"import os\nfrom hw9_x.model import np\n"}
    hw = Homework("hw9_x", 9, ("model.py",), ())
    torch, others = requirements_of(files, hw)
    assert torch == "torch==2.0.0"
    assert others == ["PyYAML==6.0", "numpy==1.0", "pytest-timeout==2.0", "pytest==8.0"], others
    files["hw9_x/extra.py"] = b"import some_unpinned_package\n"
    with pytest.raises(NeedsError, match="some_unpinned_package"):
        requirements_of(files, hw)


def test_a_manifest_names_only_datasets_the_course_can_fetch(tmp_path):
    folder = tmp_path / "hw9_x"
    folder.mkdir()
    (folder / "model.py").write_text("")
    (folder / "manifest.yaml").write_text("editable: [model.py]\ndata: [sst, imagenet]\n")
    with pytest.raises(CourseError, match="'data' must list datasets the tests read, among"):
        load_homework(tmp_path, "hw9_x")
    (folder / "manifest.yaml").write_text("editable: [model.py]\ndata: [sst2]\n")
    assert load_homework(tmp_path, "hw9_x").data == ("sst2",)
