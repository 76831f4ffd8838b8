"""Turn a registry package's GGUF file into an ordinary Hugging Face checkpoint, once.

Loading a quantised GGUF file through transformers dequantises every weight (about a minute for Gemma 3
270M on 2 cores). :func:`convert_gguf_package` does that once and saves a normal checkpoint (config,
safetensors weights in float32, tokenizer) that later loads in a second or two. The folder appears in one
rename, so an interrupted conversion leaves nothing half-written behind.
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path


def convert_gguf_package(module: str, target: Path) -> Path:
    """Assemble the GGUF file bundled by package `module` (which exposes ``assemble(dest)``), dequantise
    it with transformers and save a plain checkpoint into `target`. Returns `target`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".convert-{target.name}-") as tmp:
        gguf_path = Path(importlib.import_module(module).assemble(Path(tmp) / "gguf" / "model.gguf"))
        print(f"{target.name}: dequantising {gguf_path.name} from {module} once (about a minute) ...", file=sys.stderr)
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype="float32")
        # The weights are dequantised already; without these markers save_pretrained refuses a "quantised" model.
        model.config.quantization_config = None
        model.hf_quantizer = None
        model.is_quantized = False
        staging = Path(tmp) / "checkpoint"
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if target.exists():  # a stale copy: moved aside and deleted with the temporary folder
            os.replace(target, Path(tmp) / "old")
        os.replace(staging, target)
    seconds = time.perf_counter() - started
    print(f"{target.name}: saved a plain checkpoint in {target} ({seconds:.0f} s)", file=sys.stderr)
    return target
