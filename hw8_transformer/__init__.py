"""Homework 8: fine-tuning a pre-trained transformer encoder (all-MiniLM-L6-v2) on SST-2.

No model or dataset hub is reachable at run time: models come from local folders (see
``common.resources.find_model``) and SST-2 from the course data folder, so the Hugging Face
libraries are told to stay offline before any of them is imported.
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
