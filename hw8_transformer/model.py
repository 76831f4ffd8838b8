"""A pre-trained encoder with a classification head: the model students build.

    encoder, tokenizer = load_encoder(find_model("all-MiniLM-L6-v2"))
    model = PretrainedClassifier(encoder, num_labels=2, pooling="cls", dropout=0.1)
    logits = model(input_ids, attention_mask)          # [B, num_labels]
    model.set_encoder_trainable(False)                 # linear probe: only the head learns

Pooling: ``"cls"`` feeds the encoder's pooler output, tanh(W h_[CLS] + b), to the head: exactly
``AutoModelForSequenceClassification`` for a BERT checkpoint (see export.py). ``"mean"`` averages the
token states where ``attention_mask`` is 1 (how all-MiniLM-L6-v2 was trained to embed sentences).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

POOLINGS = ("cls", "mean")


class CheckpointError(ValueError):
    """A folder that is not a usable Hugging Face checkpoint; the message says what to pass instead."""


def load_encoder(path: str | Path, dtype: torch.dtype = torch.float32, add_pooling_layer: bool = True):
    """``(AutoModel, AutoTokenizer)`` from a local checkpoint folder (never a hub name), the weights in
    `dtype` whatever the checkpoint stores (float32: the optimizer updates full-precision weights, and
    bf16/fp16 training comes from autocast, not from half-precision weights).

    Raises CheckpointError when `path` holds no config.json or no tokenizer, or when the tokenizer's
    vocabulary is larger than the model's embedding table.
    """
    from transformers import AutoModel, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path} is not a Hugging Face checkpoint: it has no config.json. Pass --model-path "
                              "with the folder that holds config.json, the weights and the tokenizer files")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: no tokenizer could be loaded ({error}); the folder needs "
                              "tokenizer.json or vocab.txt beside config.json") from None
    encoder = AutoModel.from_pretrained(path, add_pooling_layer=add_pooling_layer, dtype=dtype)
    check_vocab_match(tokenizer, encoder)
    return encoder, tokenizer


def check_vocab_match(tokenizer, encoder) -> None:
    """Raise CheckpointError if the tokenizer can emit ids the encoder's embedding table lacks."""
    embedding_rows = encoder.get_input_embeddings().num_embeddings
    if len(tokenizer) > embedding_rows:
        raise CheckpointError(f"tokenizer/model mismatch: the tokenizer has {len(tokenizer)} tokens but the model's "
                              f"embedding table has {embedding_rows} rows; load the tokenizer saved with this model")


def masked_mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token states at real tokens: hidden [B, T, H], attention_mask [B, T] (1 real, 0 pad) -> [B, H].

    A row whose mask is all zero gives zeros (never a division by zero).
    """
    assert hidden.dim() == 3 and attention_mask.shape == hidden.shape[:2], (
        f"expected hidden [B, T, H] and attention_mask [B, T], got {tuple(hidden.shape)} and "
        f"{tuple(attention_mask.shape)}")
    # TODO: zero the padded positions, sum over T, divide by each row's number of real tokens (about 3 lines)
    # BEGIN SOLUTION
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)   # (B, T, 1)
    counts = weights.sum(dim=1).clamp(min=1.0)                # (B, 1)
    return (hidden * weights).sum(dim=1) / counts             # (B, H)
    # END SOLUTION


class PretrainedClassifier(nn.Module):
    """`encoder` (a Hugging Face ``AutoModel``) + dropout + a linear head over the pooled state."""

    def __init__(self, encoder: nn.Module, num_labels: int = 2, pooling: str = "cls", dropout: float = 0.1) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if num_labels < 2:
            raise ValueError(f"a classifier needs num_labels >= 2, got {num_labels}")
        if pooling == "cls" and getattr(encoder, "pooler", None) is None:
            raise ValueError("pooling 'cls' uses the encoder's pooler layer, which this encoder lacks; "
                             "use pooling: mean (or load the encoder with add_pooling_layer=True)")
        if pooling == "mean" and getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # unused: would get no gradient (and confuse DistributedDataParallel)
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        hidden_size = encoder.config.hidden_size
        self.classifier = nn.Linear(hidden_size, num_labels)  # (H -> C)
        nn.init.normal_(self.classifier.weight, std=getattr(encoder.config, "initializer_range", 0.02))
        nn.init.zeros_(self.classifier.bias)
        self.encoder_frozen = False

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The sentence representation [B, H] that the head reads (given)."""
        outputs = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        if self.pooling == "cls":
            return outputs.pooler_output                                          # (B, H)
        return masked_mean_pool(outputs.last_hidden_state, attention_mask)        # (B, H)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits [B, num_labels] for input_ids [B, T] and attention_mask [B, T].

        With a frozen encoder no graph is recorded through it (its activations are not kept): that follows
        from ``requires_grad=False`` on its parameters (``set_encoder_trainable``), as no input of the
        encoder then needs a gradient; forward needs no code of its own for it.
        """
        # TODO: pool (self.pooled), dropout, classifier (about 2 lines)
        # BEGIN SOLUTION
        features = self.pooled(input_ids, attention_mask)                         # (B, H)
        return self.classifier(self.dropout(features))                            # (B, C)
        # END SOLUTION

    def set_encoder_trainable(self, trainable: bool) -> None:
        """Fine-tuning (True) or a linear probe (False): a frozen encoder gets no gradients (``.grad`` stays
        None) and runs in eval mode (no dropout) even during training. (``fit`` builds its optimizer from the
        parameters that require a gradient, so a frozen encoder is left out of it without more code here.)"""
        # TODO: requires_grad of every encoder parameter, remember the state in self.encoder_frozen (the given
        # train() reads it), reapply the current mode with self.train(self.training) (about 4 lines)
        # BEGIN SOLUTION
        for parameter in self.encoder.parameters():
            parameter.requires_grad_(trainable)
        self.encoder_frozen = not trainable
        self.train(self.training)
        # END SOLUTION

    def train(self, mode: bool = True) -> PretrainedClassifier:
        """Like ``nn.Module.train``, but a frozen encoder stays in eval mode."""
        super().train(mode)
        if self.encoder_frozen:
            self.encoder.eval()
        return self
