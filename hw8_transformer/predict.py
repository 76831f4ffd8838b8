"""Classify sentences with a saved classifier (a run's ``best/`` folder).

    python -m hw8_transformer.predict --model runs/hw8_transformer/<run id>/best "a gorgeous , witty film"
    echo "it 's a dull , lifeless movie" | python -m hw8_transformer.predict --model .../best

Text is classified as typed (the SST-2 text is lower-cased and tokenized with spaces before
punctuation; the uncased tokenizer lower-cases anyway). A sentence longer than `--max-length` tokens
is cut (its end is lost) and flagged in the output; an empty sentence is an error.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from hw8_transformer.data import PaddingCollator, truncate


@dataclass
class Prediction:
    sentence: str
    label: str
    probability: float      # of `label`
    truncated: bool         # longer than max_length tokens: only its beginning was read


@torch.no_grad()
def predict(model: torch.nn.Module, tokenizer, sentences: Sequence[str], label_names: Sequence[str],
            max_length: int = 128, batch_size: int = 64) -> list[Prediction]:
    """The predicted label and its probability for each sentence (``model`` in eval mode on CPU or GPU)."""
    empty = [i for i, sentence in enumerate(sentences) if not sentence.strip()]
    if empty:
        raise ValueError(f"sentence {empty[0] + 1} is empty; give at least one word to classify")
    device = next(model.parameters()).device
    model.eval()
    collate = PaddingCollator(tokenizer.pad_token_id)
    results = []
    for start in range(0, len(sentences), batch_size):
        chunk = list(sentences[start: start + batch_size])
        encoded = tokenizer(chunk, truncation=False, verbose=False)["input_ids"]
        batch = collate([(i, truncate(ids, max_length), 0) for i, ids in enumerate(encoded)])
        logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))   # (B, C)
        probabilities = logits.float().softmax(dim=-1).cpu()
        for sentence, ids, row in zip(chunk, encoded, probabilities, strict=True):
            best = int(row.argmax())
            results.append(Prediction(sentence, label_names[best], float(row[best]), len(ids) > max_length))
    return results


def main(argv: list[str] | None = None) -> int:
    from hw8_transformer.export import load_classifier

    parser = argparse.ArgumentParser(prog="python -m hw8_transformer.predict", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a checkpoint folder written by a run (best/)")
    parser.add_argument("--max-length", type=int, default=128, help="tokens read per sentence ([CLS], [SEP] included)")
    parser.add_argument("sentences", nargs="*", help="sentences to classify (default: one per line on stdin)")
    args = parser.parse_args(argv)
    sentences = args.sentences or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not sentences:
        parser.error("no sentence given; pass sentences as arguments or one per line on stdin")
    model, tokenizer, label_names = load_classifier(args.model)
    try:
        predictions = predict(model, tokenizer, sentences, label_names, args.max_length)
    except ValueError as error:
        parser.error(str(error))
    for p in predictions:
        note = f"  (truncated to {args.max_length} tokens)" if p.truncated else ""
        print(f"{p.label}\t{p.probability:.3f}\t{p.sentence}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
