"""Translate typed sentences with a trained checkpoint.

    python -m hw7_seq2seq.translate --checkpoint runs/hw7_seq2seq/<id>/best.ckpt "Ein Mann fährt Fahrrad."
    echo "Zwei Hunde spielen im Schnee." | python -m hw7_seq2seq.translate --checkpoint <run>/best.ckpt --beam 1

The run folder's ``src_vocab.tsv`` and ``tgt_vocab.tsv`` (beside the checkpoint) give the words,
``src_truecase.json`` / ``tgt_truecase.json`` the truecasers (and, for a model trained with
``data.subwords``, ``src_subwords.json`` and ``tgt_subwords.json`` the BPE pieces); the checkpoint
refuses vocabularies other than the ones it was trained with. Sentences go through the same text
pipeline as the run's test set (``text.py``), so a test sentence translates to its line in
``test.beam.txt``. Behaviour on bad input: an empty sentence or one longer than the model's training
limit (``data.max_len`` tokens) is an error naming the limit; unknown words become ``<unk>`` and are
listed with the translation; ``--src``/``--tgt`` that differ from the checkpoint's language pair are an error.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.checkpoint import CheckpointError, load_model, load_state
from common.torch_utils import resolve_device
from common.vocabulary import Vocabulary
from hw7_seq2seq.config import ModelConfig
from hw7_seq2seq.data import UNK_INDEX, encode_source
from hw7_seq2seq.evaluate import align, translate_sources
from hw7_seq2seq.model import Seq2Seq
from hw7_seq2seq.text import TextSide, detokenize, replace_unknowns


@dataclass
class Translation:
    """A translated sentence, its words, and the source words the model did not know (read as <unk>)."""

    text: str
    tokens: list[str]
    unknown_words: list[str]


class Translator:
    """A trained model with its vocabularies, text pipelines and language pair, loaded from a run's
    ``best.ckpt``; `beam_size` and `length_penalty` the search its run tested with (``decode`` in its config)."""

    def __init__(self, model: Seq2Seq, src_vocab: Vocabulary, tgt_vocab: Vocabulary, sides: tuple[TextSide, TextSide],
                 src: str, tgt: str, max_src_len: int, max_len: int, beam_size: int = 5,
                 length_penalty: float = 1.0, unknown_words: str = "drop") -> None:
        self.model, self.src_vocab, self.tgt_vocab, self.sides = model.eval(), src_vocab, tgt_vocab, sides
        self.src, self.tgt, self.max_src_len, self.max_len = src, tgt, max_src_len, max_len
        self.beam_size, self.length_penalty, self.on_unknown = beam_size, length_penalty, unknown_words

    @classmethod
    def load(cls, checkpoint: str | Path, src: str | None = None, tgt: str | None = None,
             device: str = "auto") -> Translator:
        """Load ``best.ckpt`` and the files beside it; `src`/`tgt`, when given, must match the checkpoint."""
        checkpoint = Path(checkpoint)
        folder = checkpoint.parent
        vocab_files = [folder / "src_vocab.tsv", folder / "tgt_vocab.tsv"]
        for path in vocab_files:
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: translate needs the run folder that wrote {checkpoint}")
        src_vocab, tgt_vocab = (Vocabulary.load(path) for path in vocab_files)
        if not checkpoint.is_file():
            raise FileNotFoundError(f"checkpoint {checkpoint} does not exist; train a model with hw7_seq2seq.run")
        payload = load_state(checkpoint)
        trained = (payload.get("extra", {}).get("src"), payload.get("extra", {}).get("tgt"))
        wanted = (src or trained[0], tgt or trained[1])
        if wanted != trained:
            raise CheckpointError(f"{checkpoint} translates {trained[0]} -> {trained[1]}, not {wanted[0]} -> "
                                  f"{wanted[1]}; train a model for that pair (--data.src / --data.tgt)")
        config = payload["config"]
        model = Seq2Seq(ModelConfig(**config["model"]), len(src_vocab), len(tgt_vocab)).to(resolve_device(device))
        load_model(checkpoint, model, {"src": src_vocab, "tgt": tgt_vocab})
        bpe = config["data"].get("subwords") is not None
        sides = (TextSide.load(folder, "src", bpe), TextSide.load(folder, "tgt", bpe))
        decode = config["decode"]
        return cls(model, src_vocab, tgt_vocab, sides, trained[0], trained[1], config["data"]["max_len"],
                   decode["max_len"], decode["beam_size"], decode["length_penalty"], decode["unknown_words"])

    def translate(self, sentences: Sequence[str], beam_size: int | None = None,
                  length_penalty: float | None = None) -> list[Translation]:
        """Translate raw sentences (tokenised like the training data) with beam search (beam_size 1: greedy);
        None takes the run's own `beam_size` / `length_penalty`."""
        beam_size = self.beam_size if beam_size is None else beam_size
        length_penalty = self.length_penalty if length_penalty is None else length_penalty
        source, target = self.sides
        words = [source.words(sentence) for sentence in sentences]
        for number, tokens in enumerate(words, start=1):
            if not tokens:
                raise ValueError(f"sentence {number} is empty; give at least one word")
            if len(tokens) > self.max_src_len:
                raise ValueError(f"sentence {number} has {len(tokens)} tokens but this model was trained on "
                                 f"sentences of at most {self.max_src_len}; split it into shorter sentences")
        units = [source.units(tokens) for tokens in words]
        sources = [encode_source(u, self.src_vocab) for u in units]
        hypotheses = translate_sources(self.model, sources, beam_size, self.max_len, length_penalty)
        results = []
        for tokens, source_units, ids, hypothesis in zip(words, units, sources, hypotheses, strict=True):
            output = self.tgt_vocab.indices_to_tokens(hypothesis.tokens)
            copies = UNK_INDEX in hypothesis.tokens and self.on_unknown == "copy"
            aligned = align(self.model, [ids], [hypothesis.tokens])[0] if copies else None
            output_words = target.output_words(replace_unknowns(output, source_units, aligned))
            results.append(Translation(detokenize(output_words), output_words, self.unknown_words(tokens)))
        return results

    def unknown_words(self, words: Sequence[str]) -> list[str]:
        """The source words the model reads as ``<unk>`` (with subwords: a piece of them)."""
        return [word for word in words if any(unit not in self.src_vocab for unit in self.sides[0].units([word]))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw7_seq2seq.translate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sentences", nargs="*", help="sentences to translate (default: one per line on stdin)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="a run's best.ckpt")
    parser.add_argument("--beam", type=int, default=None, help="beam size (1 = greedy; default: the run's)")
    parser.add_argument("--length-penalty", type=float, default=None, help="length penalty α (default: the run's)")
    parser.add_argument("--src", default=None, help="expected source language (checked against the checkpoint)")
    parser.add_argument("--tgt", default=None, help="expected target language")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    sentences = args.sentences or [line for line in sys.stdin.read().splitlines() if line.strip()]
    try:
        translator = Translator.load(args.checkpoint, args.src, args.tgt, args.device)
        translations = translator.translate(sentences, args.beam, args.length_penalty)
    except (ValueError, FileNotFoundError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    for translation in translations:
        print(translation.text)
        if translation.unknown_words:
            print(f"  (unknown words, read as <unk>: {', '.join(translation.unknown_words)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
