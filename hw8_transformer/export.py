"""Checkpoints: our classifier <-> a Hugging Face ``AutoModelForSequenceClassification`` folder.

A ``pooling: cls`` classifier is exactly a BERT ``*ForSequenceClassification`` (pooler, dropout, linear
``classifier``), so :func:`save_classifier` writes that layout with ``save_pretrained`` and
``transformers.pipeline("text-classification", model=<folder>)`` loads it and gives our predictions.
Masked-mean pooling is not a transformers architecture: such a checkpoint keeps the encoder in
``encoder/`` (``save_pretrained``) and the head in ``head.safetensors`` beside ``classifier.json``;
there is deliberately no top-level config.json, so a pipeline refuses it instead of guessing a
different model. :func:`load_classifier` reads both layouts. Folders are replaced atomically.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from common.fileio import give_usual_mode
from hw8_transformer.data import LABEL_NAMES
from hw8_transformer.model import CheckpointError, PretrainedClassifier, check_vocab_match

HEAD_FILE, META_FILE = "head.safetensors", "classifier.json"


def to_sequence_classification(model: PretrainedClassifier, label_names=LABEL_NAMES):
    """A ``AutoModelForSequenceClassification`` holding the same weights as `model` (``pooling: cls``)."""
    from transformers import AutoModelForSequenceClassification

    if model.pooling != "cls":
        raise CheckpointError("only pooling 'cls' maps onto AutoModelForSequenceClassification; a mean-pooled "
                              "model is saved in our own layout (save_classifier does that)")
    config = model.encoder.config.__class__.from_dict(model.encoder.config.to_dict())
    config.num_labels = model.classifier.out_features
    config.id2label = dict(enumerate(label_names))
    config.label2id = {name: i for i, name in enumerate(label_names)}
    config.classifier_dropout = model.dropout.p
    sequence_model = AutoModelForSequenceClassification.from_config(config)
    if not isinstance(getattr(sequence_model, "classifier", None), torch.nn.Linear):
        raise CheckpointError(f"{type(sequence_model).__name__} has no linear 'classifier' head; the cls export "
                              "supports BERT-style encoders (use pooling: mean for others)")
    sequence_model.base_model.load_state_dict(model.encoder.state_dict())
    sequence_model.classifier.load_state_dict(model.classifier.state_dict())
    return sequence_model.to(next(model.parameters()).dtype)


def from_sequence_classification(sequence_model) -> PretrainedClassifier:
    """Our classifier sharing the encoder and head of a BERT-style ``*ForSequenceClassification``."""
    model = PretrainedClassifier(sequence_model.base_model, sequence_model.config.num_labels, "cls",
                                 dropout=sequence_model.dropout.p)
    model.classifier = sequence_model.classifier
    return model


def save_classifier(model: PretrainedClassifier, tokenizer, directory: str | Path,
                    label_names=LABEL_NAMES) -> Path:
    """Write `model` and `tokenizer` to `directory` (replacing it atomically); see the module doc."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        if model.pooling == "cls":
            to_sequence_classification(model, label_names).save_pretrained(staging)
            tokenizer.save_pretrained(staging)
        else:
            from safetensors.torch import save_file

            model.encoder.save_pretrained(staging / "encoder")
            tokenizer.save_pretrained(staging / "encoder")
            head = {name: tensor.detach().cpu().contiguous() for name, tensor in model.classifier.state_dict().items()}
            save_file(head, staging / HEAD_FILE)
            meta = {"pooling": model.pooling, "dropout": model.dropout.p, "label_names": list(label_names)}
            (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _give_usual_modes(staging)
        old = None
        if directory.exists():
            old = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.old."))
            os.replace(directory, old / "previous")
        os.replace(staging, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _give_usual_modes(folder: Path) -> None:
    """The modes mkdir and open() give under the umask, for `folder` and all in it: mkdtemp makes the folder
    owner-only and safetensors writes its weights owner-only, unlike every other output of a run."""
    for path in [folder, *folder.rglob("*")]:
        give_usual_mode(path)


def load_classifier(directory: str | Path):
    """``(PretrainedClassifier, tokenizer, label_names)`` from a folder written by :func:`save_classifier`
    (or any BERT-style ``*ForSequenceClassification`` checkpoint)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    directory = Path(directory)
    if (directory / META_FILE).is_file():
        from safetensors.torch import load_file

        from hw8_transformer.model import load_encoder

        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        encoder, tokenizer = load_encoder(directory / "encoder", add_pooling_layer=False)
        head = load_file(directory / HEAD_FILE)
        model = PretrainedClassifier(encoder, head["weight"].shape[0], meta["pooling"], meta["dropout"])
        model.classifier.load_state_dict(head)
        return model.eval(), tokenizer, tuple(meta["label_names"])
    if not (directory / "config.json").is_file():
        raise CheckpointError(f"{directory} is not a classifier checkpoint: expected config.json (pooling cls) or "
                              f"{META_FILE} (pooling mean); pass the folder a training run saved (best/)")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    sequence_model = AutoModelForSequenceClassification.from_pretrained(directory)
    check_vocab_match(tokenizer, sequence_model)
    labels = tuple(sequence_model.config.id2label[i] for i in range(sequence_model.config.num_labels))
    return from_sequence_classification(sequence_model).eval(), tokenizer, labels
