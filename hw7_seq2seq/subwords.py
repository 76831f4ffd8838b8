"""Subword units (byte-pair encoding, Sennrich et al., 2016) learned on the training split (given code).

Word-level vocabularies with ``min_freq`` turn every rare word into ``<unk>``: a German compound
seen once ("Straßenmusiker") is lost on the source side, and on the target side the model can
never write a word outside its vocabulary. BPE starts from characters and merges the most frequent
adjacent pair again and again until the vocabulary has ``vocab_size`` units, so frequent words stay
whole and rare ones are spelled from pieces. The pieces of a word after its first carry the prefix
``##`` (the convention of BERT's wordpieces, hw8), so words come back exactly:

    >>> bpe = Subwords.train(sentences, vocab_size=6000)
    >>> bpe.split(["ein", "straßenmusiker", "spielt"])
    ['ein', 'straßen', '##musiker', 'spielt']
    >>> Subwords.join(['ein', 'straßen', '##musiker', 'spielt'])
    ['ein', 'straßenmusiker', 'spielt']

The model then reads and writes pieces; BLEU is computed on the joined, detokenised words.
The trainer is the Rust BPE of Hugging Face ``tokenizers`` (installed with transformers).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from common.fileio import atomic_write_text
from common.vocabulary import UNK

CONTINUATION = "##"


class Subwords:
    """A BPE model over word tokens (lists of strings in, lists of pieces out)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    @classmethod
    def train(cls, sentences: Iterable[Sequence[str]], vocab_size: int, min_frequency: int = 2) -> Subwords:
        """Learn merges on tokenised sentences until there are `vocab_size` units (characters included)."""
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (the characters alone need more), got {vocab_size}")
        tokenizer = Tokenizer(models.BPE(unk_token=UNK, continuing_subword_prefix=CONTINUATION))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[UNK],
                                      continuing_subword_prefix=CONTINUATION, show_progress=False)
        tokenizer.train_from_iterator((" ".join(sentence) for sentence in sentences), trainer)
        return cls(tokenizer)

    def split(self, words: Sequence[str]) -> list[str]:
        """Words -> pieces; a character never seen in training becomes ``<unk>``."""
        if not words:
            return []
        return self.tokenizer.encode(list(words), is_pretokenized=True).tokens

    @staticmethod
    def join(pieces: Sequence[str]) -> list[str]:
        """Pieces -> words: a ``##`` piece continues the word before it (or starts one, if it comes first)."""
        words: list[str] = []
        for piece in pieces:
            if piece.startswith(CONTINUATION) and words:
                words[-1] += piece[len(CONTINUATION):]
            else:
                words.append(piece.removeprefix(CONTINUATION))
        return words

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size()

    def save(self, path: str | Path) -> None:
        """The merges and units as the tokenizers library's JSON file, written atomically."""
        atomic_write_text(Path(path), self.tokenizer.to_str())

    @classmethod
    def load(cls, path: str | Path) -> Subwords:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: it is written beside best.pt by a run with data.subwords set")
        return cls(Tokenizer.from_file(str(path)))
