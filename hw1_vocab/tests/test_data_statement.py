"""DATA_STATEMENT.md quotes the facts that data_statement.py computes on the real data."""
import pytest

from hw1_vocab.data_statement import STATEMENT_PATH, compute_facts, quoted_facts, render_facts, with_facts

pytestmark = pytest.mark.task_run


@pytest.mark.points(0)  # checks our document on the real data (may be absent when grading)
def test_data_statement_quotes_the_computed_facts(sst_folder, sst2_folder):
    facts = compute_facts()
    assert [facts["sst5"][s]["sentences"] for s in ("train", "dev", "test")] == [8544, 1101, 2210], (
        f"expected SST-5 split sizes 8,544 / 1,101 / 2,210 but got {facts['sst5']}")
    quoted = quoted_facts(STATEMENT_PATH.read_text(encoding="utf-8"))
    computed = render_facts(facts)
    assert quoted == computed, (
        f"{STATEMENT_PATH.name} quotes facts that differ from the data; run "
        f"`python -m hw1_vocab.data_statement --update`.\nexpected:\n{computed}\nbut got:\n{quoted}")


@pytest.mark.points(0)
def test_facts_block_round_trip():
    statement = STATEMENT_PATH.read_text(encoding="utf-8")
    updated = with_facts(statement, "| a | b |")
    assert quoted_facts(updated) == "| a | b |", "expected the new table between the markers"
    assert with_facts(updated, quoted_facts(statement)) == statement, "expected the original statement back"
    with pytest.raises(ValueError, match="--update"):
        quoted_facts("no markers here")
