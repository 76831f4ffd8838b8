"""Given code: BPE subwords learned on training sentences, and a run that translates with them."""
from __future__ import annotations

from pathlib import Path

import pytest

from common.run import execute
from hw7_seq2seq.run import main
from hw7_seq2seq.subwords import Subwords
from hw7_seq2seq.tests.test_run import small_config
from hw7_seq2seq.translate import Translator

pytestmark = pytest.mark.points(0)

SENTENCES = [["ein", "hund", "läuft", "."], ["ein", "hundehalter", "läuft", "."], ["der", "hund", "spielt", "."],
             ["ein", "mann", "spielt", "gitarre", "."], ["die", "hunde", "spielen", "."]] * 3


def test_words_come_back_exactly_and_rare_words_are_spelled_from_pieces() -> None:
    bpe = Subwords.train(SENTENCES, vocab_size=40)
    pieces_used = {piece for sentence in SENTENCES for piece in bpe.split(sentence)}
    assert len(pieces_used) <= 40, f"expected at most 40 units, got {len(pieces_used)}"
    for sentence in SENTENCES:
        assert Subwords.join(bpe.split(sentence)) == sentence, f"{sentence} -> {bpe.split(sentence)}"
    pieces = bpe.split(["hundehalterhunde"])  # never seen whole
    assert len(pieces) > 1 and all(piece.startswith("##") for piece in pieces[1:]), f"got {pieces}"
    assert Subwords.join(pieces) == ["hundehalterhunde"]
    assert bpe.split(["ħund"])[0] == "ħ", "a character never seen in training should stay a piece of its own"
    assert bpe.split([]) == []


def test_merges_by_hand() -> None:
    # "low" x5, "lower" x2, "newest" x6, "widest" x3: the first merge is the most frequent pair, ##e ##s
    # (9 times, in newest and widest), then ##es ##t (9); then ##o ##w and l ##o tie at 7 and the
    # alphabetically first wins ("#" < "l"); then l ##ow (7).
    sentences = [["low"]] * 5 + [["lower"]] * 2 + [["newest"]] * 6 + [["widest"]] * 3
    bpe = Subwords.train(sentences, vocab_size=100)
    expected = [("##e", "##s"), ("##es", "##t"), ("##o", "##w"), ("l", "##ow")]
    assert bpe.merges[:4] == expected, f"expected {expected} but got {bpe.merges[:4]}"
    assert bpe.split(["newest", "lowest"]) == ["newest", "low", "##est"], f"got {bpe.split(['newest', 'lowest'])}"


def test_join_by_hand_and_bad_sizes() -> None:
    assert Subwords.join(["a", "stra", "##ßen", "##musiker", "."]) == ["a", "straßenmusiker", "."]
    assert Subwords.join(["##ab", "c"]) == ["ab", "c"], "a continuation piece first starts a word"
    with pytest.raises(ValueError, match="vocab_size must be >= 2"):
        Subwords.train(SENTENCES, vocab_size=1)


def test_save_and_load_give_the_same_pieces_and_training_is_deterministic(tmp_path: Path) -> None:
    bpe = Subwords.train(SENTENCES, vocab_size=30)
    again = Subwords.train(list(reversed(SENTENCES)), vocab_size=30)
    assert bpe.merges == again.merges, "the same sentences (in any order) should give the same merges"
    bpe.save(tmp_path / "bpe.json")
    loaded = Subwords.load(tmp_path / "bpe.json")
    assert [loaded.split(s) for s in SENTENCES] == [bpe.split(s) for s in SENTENCES]
    with pytest.raises(FileNotFoundError, match="data.subwords"):
        Subwords.load(tmp_path / "missing.json")


def test_a_subword_run_translates_typed_text_like_its_test_output(tiny_multi30k: Path, tmp_path: Path) -> None:
    execute("hw7_seq2seq", small_config(tiny_multi30k, subwords=120), main, runs_root=tmp_path, run_id="bpe")
    folder = tmp_path / "hw7_seq2seq" / "bpe"
    assert (folder / "src_subwords.json").is_file() and (folder / "tgt_subwords.json").is_file()
    translator = Translator.load(folder / "best.ckpt", device="cpu")
    assert all(side.subwords is not None for side in translator.sides), "a subword checkpoint should load its BPE"
    greedy = (folder / "test.greedy.txt").read_text(encoding="utf-8").splitlines()
    from hw7_seq2seq.tests.conftest import toy_pairs

    (translation,) = translator.translate([toy_pairs(24, 2)[0][0]], beam_size=1)
    assert translation.text == greedy[0], f"expected the run's greedy output {greedy[0]!r}, got {translation.text!r}"
    assert not any(token.startswith("##") for token in translation.tokens), f"pieces left: {translation.tokens}"
    (unknown,) = translator.translate(["Ein kleiner Ħund läuft."], beam_size=2)
    assert unknown.unknown_words == ["Ħund"], f"expected the word with an unseen letter, got {unknown.unknown_words}"
