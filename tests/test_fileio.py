"""common/fileio.py: atomic writes leave the old file or the new one, never half of one, with normal permissions."""
from __future__ import annotations

import os
import stat

import pytest

from common.fileio import atomic_path, atomic_write_json, atomic_write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "metrics.json"
    atomic_write_json(path, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == '{\n  "a": 1\n}\n' and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_written_files_get_the_permissions_open_would_give(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.md", "x")
        (tmp_path / "plain.md").write_text("x")
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "report.md").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.md").stat().st_mode) == 0o644, oct(mode)
