"""common.bench_results: every benchmark's JSON and Markdown land side by side, complete."""
import json

from common.bench_results import write_bench_results


def test_writes_json_and_markdown_with_a_final_newline(tmp_path, capsys):
    write_bench_results("hw0", {"ratio": 0.5}, "| a |\n|---|", folder=tmp_path / "results")
    assert json.loads((tmp_path / "results" / "hw0.json").read_text()) == {"ratio": 0.5}
    assert (tmp_path / "results" / "hw0.md").read_text() == "| a |\n|---|\n"
    assert "hw0.json" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["hw0.json", "hw0.md"]
