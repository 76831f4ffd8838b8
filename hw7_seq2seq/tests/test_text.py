"""Given code: reading Multi30k, the text pipeline (tokens, truecasing, <unk> copying, detokenising), vocabularies
and batches, and sacreBLEU."""
from __future__ import annotations

import gzip

import pytest
import sacrebleu
import torch

from common.metrics import corpus_bleu
from common.sst_trees import DataFormatError
from hw7_seq2seq.data import (
    BOS_INDEX,
    EOS_INDEX,
    PAD_INDEX,
    build_vocabularies,
    encode_pairs,
    make_batch,
    read_multi30k,
)
from hw7_seq2seq.evaluate import align
from hw7_seq2seq.tests.seq2seq_helpers import ScriptedModel, batch_args, random_sources
from hw7_seq2seq.text import (
    TextSide,
    Truecaser,
    capitalize_sentences,
    detokenize,
    replace_unknowns,
    tokenize_sentence,
)

pytestmark = pytest.mark.points(0)

PAIRS = [(["ein", "hund", "."], ["a", "dog", "."]), (["ein", "mann", "läuft", "."], ["a", "man", "runs", "."]),
         (["zwei", "hunde"], ["two", "dogs"])]


def test_detokenize_reattaches_punctuation_and_round_trips() -> None:
    tokens = ["A", "man", "'s", "dog", ",", "running", "(", "fast", ")", "."]
    assert detokenize(tokens) == "A man's dog, running (fast)."
    text = "A girl in a pink dress, climbing stairs (into a house)."
    assert tokenize_sentence(text) == ["A", "girl", "in", "a", "pink", "dress", ",", "climbing", "stairs", "(",
                                       "into", "a", "house", ")", "."], "tokens keep their case"
    assert detokenize(tokenize_sentence(text)) == text


def test_truecaser_learns_each_words_usual_form_away_from_sentence_starts() -> None:
    sentences = [tokenize_sentence(line) for line in ("A dog runs in Boston.", "Two dogs and a man. A cat sleeps.",
                                                      "Boston is big.", "The man sees the dog in Boston!")]
    truecaser = Truecaser.train(sentences)
    assert truecaser.forms["a"] == "a" and truecaser.forms["boston"] == "Boston", truecaser.forms
    assert "two" not in truecaser.forms, "a word seen only at sentence starts has no usual form yet"
    expected = ["a", "man", ".", "Boston", "?", "the", "dog", "."]
    assert truecaser(tokenize_sentence("A man. Boston? The dog.")) == expected
    assert truecaser(["Two", "Dogs"]) == ["Two", "Dogs"], "unknown first words and words inside stay as written"
    assert capitalize_sentences(["a", "man", ".", "the", "dog", "!", "Boston"]) == ["A", "man", ".", "The", "dog",
                                                                                  "!", "Boston"]


def test_a_text_side_round_trips_reference_lines(tmp_path) -> None:
    lines = ["A man in an orange hat starring at something.", "A Boston Terrier is running on lush green grass.",
             "Two young, White males are outside near many bushes.", "People are fixing the roof of a house."]
    for subwords in (None, 100):
        side = TextSide.train([tokenize_sentence(line) for line in lines], subwords)
        for line in lines:
            words = side.words(line)
            assert words[0] in ("a", "Two", "People"), f"expected the first word truecased, got {words}"
            assert side.text(side.units(words)) == line, f"expected {line!r} back from the units {side.units(words)}"
        side.save(tmp_path, "tgt")
        loaded = TextSide.load(tmp_path, "tgt", subwords is not None)
        assert loaded.units(loaded.words(lines[1])) == side.units(side.words(lines[1]))


def test_unknown_words_are_copied_from_the_aligned_source_or_dropped() -> None:
    output, source = ["a", "<unk>", "runs", "<unk>", "."], ["ein", "Dackel", "läuft", "schnell", "."]
    assert replace_unknowns(output, source, [0, 1, 2, 3, 4]) == ["a", "Dackel", "runs", "schnell", "."]
    assert replace_unknowns(output, source, None) == ["a", "runs", "."], "without attention <unk> is dropped"
    with pytest.raises(ValueError, match="a source position for each of the 5 output units"):
        replace_unknowns(output, source, [0, 1])


def test_bleu_is_sacrebleus_default_cased_score_with_the_lower_cased_one_beside() -> None:
    references = ["A man in an orange hat starring at something.", "Two dogs play in the snow."]
    hypotheses = ["a man in a hat staring at something.", "Two dogs are playing in snow."]
    cased, lowercased = corpus_bleu(hypotheses, references), corpus_bleu(hypotheses, references, lowercase=True)
    assert cased.score == pytest.approx(sacrebleu.corpus_bleu(hypotheses, [references]).score)
    assert lowercased.score == pytest.approx(sacrebleu.corpus_bleu(hypotheses, [references], lowercase=True).score)
    assert cased.score < lowercased.score, "the lower-case 'a' should cost the cased score"
    assert "case:mixed" in cased.signature and "case:lc" in lowercased.signature


def test_multi30k_lines_are_read_as_released(tiny_multi30k) -> None:
    from hw7_seq2seq.tests.conftest import toy_pairs

    assert read_multi30k("train", root=tiny_multi30k) == toy_pairs(256, 0), "raw lines, case and punctuation kept"
    assert len(read_multi30k("val", "en", "fr", root=tiny_multi30k)) == 24
    assert read_multi30k("test", root=tiny_multi30k)[0] == toy_pairs(24, 2)[0]
    with pytest.raises(ValueError, match="different languages"):
        read_multi30k("train", "de", "de", root=tiny_multi30k)
    with pytest.raises(ValueError, match="src must be one of"):
        read_multi30k("train", "cs", "en", root=tiny_multi30k)
    with pytest.raises(ValueError, match="split must be one of"):
        read_multi30k("test_2016_flickr", root=tiny_multi30k)
    with gzip.open(tiny_multi30k / "multi30k" / "val.en.gz", "wt", encoding="utf-8") as handle:
        handle.write("only one line\n")
    with pytest.raises(DataFormatError, match="aligned"):
        read_multi30k("val", root=tiny_multi30k)


def test_vocabularies_batches_and_shifted_targets() -> None:
    src_vocab, tgt_vocab = build_vocabularies(PAIRS, min_freq=1)
    assert src_vocab.tokens[:4] == tgt_vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    examples = encode_pairs(PAIRS, src_vocab, tgt_vocab)
    batch = make_batch(examples, [1, 2])
    assert batch.src.shape == (2, 4) and batch.src_lengths.tolist() == [4, 2]
    assert batch.tgt_in[:, 0].tolist() == [BOS_INDEX, BOS_INDEX] and EOS_INDEX not in batch.tgt_in
    assert batch.tgt_out[0].tolist() == [*tgt_vocab.tokens_to_indices(["a", "man", "runs", "."]), EOS_INDEX]
    assert batch.tgt_out[1].tolist()[2:] == [EOS_INDEX, PAD_INDEX, PAD_INDEX]
    assert torch.equal(batch.tgt_in[:, 1:], batch.tgt_out[:, :-1].masked_fill(batch.tgt_out[:, :-1] == EOS_INDEX, 0))
    assert batch.num_target_tokens == 5 + 3


def test_align_finds_the_source_position_each_output_token_attended_to_most() -> None:
    model = ScriptedModel(seed=4)
    sentences, outputs = random_sources(6, seed=2), [[5, 6, 7], [], [4], [8, 5, 6, 7, 4], [6, 6], [7]]
    aligned = align(model, sentences, outputs, batch_size=4)                   # two batches, padded
    for source, output, positions in zip(sentences, outputs, aligned, strict=True):
        memory, state = model.encode(*batch_args([source]))                    # one sentence, no padding
        expected = []
        for previous in [BOS_INDEX, *output][: len(output)]:
            _, state, weights = model.decoder.step(torch.tensor([previous]), state, memory)
            expected.append(int(weights.argmax()))
        assert positions == expected, f"expected {expected} for {output} but got {positions}"
        assert all(position < len(source) for position in positions), "padding is never the most attended"
    assert align(ScriptedModel(attention=False), sentences, outputs) == [None] * 6
