"""Fixtures for hw9: a tiny randomly initialised OLMo-2-shaped causal LM with a byte-level BPE tokenizer
trained here on a few sentences (no download), saved once per session with and without a chat template,
and a tiny SST-2-shaped data folder."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
SPECIALS = ["<|endoftext|>", "<|pad|>", "<|user|>", "<|assistant|>"]
CORPUS = [
    "Review: a gripping , funny and moving film .\nSentiment: positive",
    "Review: dull , lifeless and far too long .\nSentiment: negative",
    "the acting is wonderful and the story is charming",
    "a tedious mess with no redeeming qualities",
    "Classify the sentiment of each movie review as positive or negative.",
]


def build_tokenizer(chat: bool):
    """A byte-level BPE tokenizer (300 tokens) whose BOS is added to every encoded text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(CORPUS * 5, trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIALS,
                                                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    core.post_processor = processors.TemplateProcessing(single="<|endoftext|> $A", pair="<|endoftext|> $A $B",
                                                        special_tokens=[("<|endoftext|>", 0)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<|endoftext|>",
                                        eos_token="<|endoftext|>", pad_token="<|pad|>")
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_model(vocab_size: int):
    from transformers import AutoModelForCausalLM, Olmo2Config

    torch.manual_seed(0)
    config = Olmo2Config(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         pad_token_id=1, bos_token_id=0, eos_token_id=0, initializer_range=0.5)
    return AutoModelForCausalLM.from_config(config).eval()


@pytest.fixture(scope="session")
def tiny_model_dirs(tmp_path_factory) -> dict[str, Path]:
    """{"base": folder, "chat": folder}: the same tiny weights, the second with a chat template."""
    root = tmp_path_factory.mktemp("tiny-olmo2")
    folders = {}
    for kind in ("base", "chat"):
        tokenizer = build_tokenizer(chat=kind == "chat")
        folders[kind] = root / kind
        build_model(len(tokenizer)).save_pretrained(folders[kind])
        tokenizer.save_pretrained(folders[kind])
    return folders


@pytest.fixture(scope="session")
def tiny_lm(tiny_model_dirs):
    from hw9_icl.models import load_language_model

    return load_language_model(tiny_model_dirs["base"])


@pytest.fixture(scope="session")
def tiny_chat_lm(tiny_model_dirs):
    from hw9_icl.models import load_language_model

    return load_language_model(tiny_model_dirs["chat"])


TRAIN_ROWS = [
    (1, "a gripping , funny and moving film"), (0, "dull , lifeless and far too long"),
    (1, "the acting is wonderful and the story charming"), (0, "a tedious mess with no redeeming qualities"),
    (1, "one of the best films of the year"), (0, "the plot makes no sense at all"),
    (1, "warm , witty and beautifully shot"), (0, "boring characters in a boring story"),
]
DEV_ROWS = [(1, "a charming and moving story"), (0, "a dull and tedious film"), (1, "witty and wonderful"),
            (0, "no sense , no fun , no point")]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A data folder with sst2/{train,dev,test}.tsv in GLUE's format (8 / 4 / 4 rows)."""
    folder = tmp_path_factory.mktemp("data") / "sst2"
    folder.mkdir()
    for split, header, rows in (("train", "sentence", TRAIN_ROWS), ("dev", "content", DEV_ROWS),
                                ("test", "content", DEV_ROWS)):
        (folder / f"{split}.tsv").write_text(f"label\t{header}\n" + "".join(f"{y}\t{x}\n" for y, x in rows),
                                             encoding="utf-8")
    return folder.parent
