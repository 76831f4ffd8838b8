"""Prompt templates and prompt building for in-context learning (students' part: build_prompt).

A prompt is an instruction, k demonstrations (a review followed by its label word) and the test review
without its label; the model's next word after the prompt is the prediction::

    <instruction><example(d_1)><label(d_1)><sep> ... <example(d_k)><label(d_k)><sep><example(query)>

It is kept in two strings, ``prefix`` (instruction + demonstrations + separators) and ``query`` (the test
review's example), so that the shared prefix can be encoded once and its key/value cache reused.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

TEMPLATES_FILE = Path(__file__).resolve().parent / "templates.yaml"
SLOT = "{sentence}"


@dataclass(frozen=True)
class Template:
    """How one review and its label are written (see templates.yaml)."""

    name: str
    instruction: str
    example: str          # contains {sentence}; the label word follows it directly
    separator: str
    labels: tuple[str, ...]  # label words, index = class (0 negative, 1 positive)

    def __post_init__(self) -> None:
        if SLOT not in self.example:
            raise ValueError(f"template {self.name!r}: the example format {self.example!r} has no {SLOT} slot; "
                             f"add {SLOT} where the review goes, e.g. 'Review: {SLOT}\\nSentiment:'")
        if len(self.labels) < 2 or any(not word.strip() for word in self.labels):
            raise ValueError(f"template {self.name!r}: expected at least two non-blank label words but got "
                             f"{list(self.labels)}; give one word per class, e.g. [' negative', ' positive']")


@dataclass(frozen=True)
class Demonstration:
    """One in-context example: the review text and its (gold or replaced) label."""

    sentence: str
    label: int


@dataclass(frozen=True)
class Prompt:
    """A prompt split where the test review starts: ``prefix + query`` is the whole prompt."""

    prefix: str
    query: str

    @property
    def text(self) -> str:
        return self.prefix + self.query


def load_template(name: str, path: str | Path = TEMPLATES_FILE) -> Template:
    """The template called `name` in the YAML file `path`."""
    templates = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if name not in templates:
        raise ValueError(f"unknown template {name!r}; choose one of {sorted(templates)} (defined in {path})")
    fields = templates[name]
    unknown = set(fields) - {"instruction", "example", "separator", "labels"}
    if unknown:
        raise ValueError(f"template {name!r} in {path}: unknown keys {sorted(unknown)}; "
                         "allowed: instruction, example, separator, labels")
    return Template(name, fields.get("instruction", ""), fields["example"], fields.get("separator", "\n\n"),
                    tuple(fields["labels"]))


def build_prompt(template: Template, demonstrations: Sequence[Demonstration], query: str) -> Prompt:
    """The prompt for review `query` after `demonstrations` (in the order given).

    prefix = instruction, then for each demonstration its example (review in the {sentence} slot), its
    label word (``template.labels[label]``) and the separator; query = the example of `query`.
    With no demonstrations the prefix is the instruction alone.
    """
    # TODO: build the two strings (about 5 lines); str.replace puts a review in the slot.
    # BEGIN SOLUTION
    parts = [template.instruction]
    for demonstration in demonstrations:
        parts.append(template.example.replace(SLOT, demonstration.sentence))
        parts.append(template.labels[demonstration.label] + template.separator)
    return Prompt("".join(parts), template.example.replace(SLOT, query))
    # END SOLUTION


def check_prompt_length(num_tokens: int, context_length: int, k: int, extra_tokens: int = 0) -> None:
    """Fail with advice when a prompt of `num_tokens` (+ `extra_tokens` to generate or score) does not fit."""
    if num_tokens + extra_tokens > context_length:
        raise ValueError(f"a {k}-shot prompt has {num_tokens} tokens (+{extra_tokens} to score or generate), more "
                         f"than the model's context of {context_length}; lower k or use shorter demonstrations "
                         "(--max_words)")
