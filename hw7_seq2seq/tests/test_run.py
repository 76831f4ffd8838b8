"""hw7 end to end: a small training run writes every output, and its checkpoint translates typed text."""
from __future__ import annotations

from pathlib import Path

import pytest
import sacrebleu
import torch

from common.checkpoint import CheckpointError
from common.config import load_config
from common.run import execute
from hw7_seq2seq.config import Config, DataConfig, DecodeConfig, ModelConfig, TrainConfig
from hw7_seq2seq.run import main
from hw7_seq2seq.tests.conftest import toy_pairs
from hw7_seq2seq.train import average_states
from hw7_seq2seq.translate import Translator

TINY_MODEL = ModelConfig(emb_dim=16, enc_hidden=16, dec_hidden=32, attention="additive", attn_dim=16, dropout=0.0)


def small_config(data: Path | None, **data_overrides) -> Config:
    return Config(threads=1, data=DataConfig(root=data, min_freq=1, **data_overrides), model=TINY_MODEL,
                  train=TrainConfig(epochs=3, batch_size=32, lr=0.01),
                  decode=DecodeConfig(beam_size=3, max_len=12, heatmaps=2))


@pytest.mark.task_run
@pytest.mark.points(1)
def test_toy_run_writes_every_output_and_learns(tiny_multi30k: Path, tmp_path: Path) -> None:
    metrics = execute("hw7_seq2seq", small_config(tiny_multi30k), main, runs_root=tmp_path, run_id="toy")
    folder = tmp_path / "hw7_seq2seq" / "toy"
    for name in ("best.ckpt", "last.ckpt", "src_vocab.tsv", "tgt_vocab.tsv", "src_truecase.json", "tgt_truecase.json",
                 "test.greedy.txt", "test.beam.txt", "loss.png", "val_bleu.png", "attention_1.png", "attention_2.png",
                 "metrics.json", "config.yaml"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    history = metrics["history"]
    assert metrics["epochs_run"] == 3 and len(history["val_bleu"]) == 3
    assert history["train_loss"][-1] < history["train_loss"][0], f"the loss should fall: {history['train_loss']}"
    assert metrics["best_val_bleu"] == max(history["val_bleu"]), "the kept checkpoint is the best on validation"
    assert metrics["test_bleu_greedy"] > 20, f"the toy grammar is easy; expected test BLEU > 20, got {metrics}"
    references = [english for _, english in toy_pairs(24, 2)]
    for name in ("greedy", "beam"):
        texts = (folder / f"test.{name}.txt").read_text(encoding="utf-8").splitlines()
        assert len(texts) == 24 and not any("<unk>" in text for text in texts), f"test.{name}.txt: {texts[:3]}"
        expected = sacrebleu.corpus_bleu(texts, [references])            # sacreBLEU's defaults: cased, 13a
        assert metrics[f"test_bleu_{name}"] == pytest.approx(expected.score, abs=0.005), (
            f"expected the {name} headline to be sacreBLEU's default score of test.{name}.txt against the raw "
            f"references, {expected.score:.2f}, but got {metrics[f'test_bleu_{name}']}")
        lowercased = sacrebleu.corpus_bleu(texts, [references], lowercase=True).score
        assert metrics[f"test_bleu_{name}_lowercased"] == pytest.approx(lowercased, abs=0.005)
    assert metrics["bleu_signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert "|case:lc|" in metrics["bleu_signature_lowercased"]


@pytest.mark.points(0)  # given code: checkpoint averaging
def test_average_states_is_the_element_wise_mean() -> None:
    first, second = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.0)}, {"w": torch.tensor([3.0, 6.0]),
                                                                             "b": torch.tensor(1.0)}
    averaged = average_states([first, second])
    assert torch.equal(averaged["w"], torch.tensor([2.0, 4.0])) and float(averaged["b"]) == 0.5, f"got {averaged}"
    with pytest.raises(ValueError, match="at least one state dict"):
        average_states([])


@pytest.mark.points(0)  # given code: label smoothing, the learning-rate decay and averaging in a run
def test_run_with_label_smoothing_decays_the_lr_by_the_step_schedule(tiny_multi30k: Path, tmp_path: Path) -> None:
    config = small_config(tiny_multi30k)
    config.model = ModelConfig(**{**TINY_MODEL.__dict__, "tie_embeddings": True})
    config.train = TrainConfig(epochs=3, batch_size=32, lr=0.01, label_smoothing=0.1, schedule="step",
                               decay_after=2, lr_decay=0.5, average_last=2)
    metrics = execute("hw7_seq2seq", config, main, runs_root=tmp_path, run_id="decay")
    assert metrics["history"]["lr"] == pytest.approx([0.01, 0.01, 0.005]), (
        f"expected lr 0.01, 0.01, then halved after epoch 2; got {metrics['history']['lr']}")
    assert metrics["history"]["train_loss"][-1] < metrics["history"]["train_loss"][0]
    averaged = metrics["history"]["averaged"]
    assert averaged["epochs"] == [2, 3], f"expected the average of epochs 2 and 3, got {averaged}"
    expected_best = averaged["val_bleu"] if averaged["kept"] else max(metrics["history"]["val_bleu"])
    assert averaged["kept"] == (averaged["val_bleu"] > max(metrics["history"]["val_bleu"]))
    assert metrics["best_val_bleu"] == pytest.approx(expected_best), f"expected {expected_best}, got {metrics}"


@pytest.mark.points(0)  # given code: the translate command
def test_translator_round_trip_and_bad_input(tiny_multi30k: Path, tmp_path: Path) -> None:
    execute("hw7_seq2seq", small_config(tiny_multi30k), main, runs_root=tmp_path, run_id="toy")
    checkpoint = tmp_path / "hw7_seq2seq" / "toy" / "best.ckpt"
    translator = Translator.load(checkpoint, device="cpu")
    greedy, beam = ((tmp_path / "hw7_seq2seq" / "toy" / f"test.{name}.txt").read_text(encoding="utf-8").splitlines()
                    for name in ("greedy", "beam"))
    first_source = toy_pairs(24, 2)[0][0]
    (translation,) = translator.translate([first_source], beam_size=1)
    assert translation.text == greedy[0], f"expected the run's greedy output {greedy[0]!r}, got {translation.text!r}"
    assert (translator.beam_size, translator.length_penalty) == (3, 1.0), "expected the run's decode settings"
    (translation,) = translator.translate([first_source])
    assert translation.text == beam[0], f"expected the run's beam output {beam[0]!r}, got {translation.text!r}"
    (unknown,) = translator.translate(["Ein kleiner Elefant läuft."], beam_size=2)
    assert unknown.unknown_words == ["Elefant"], f"expected the unknown word listed, got {unknown.unknown_words}"
    with pytest.raises(ValueError, match="sentence 2 is empty"):
        translator.translate(["Ein Hund.", "   "])
    with pytest.raises(ValueError, match="at most 50"):
        translator.translate(["hund " * 51])
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        translator.translate(["Ein Hund."], beam_size=0)
    with pytest.raises(CheckpointError, match="translates de -> en, not fr -> en"):
        Translator.load(checkpoint, src="fr", device="cpu")


@pytest.mark.points(0)  # needs the real data, which a grading machine may lack (skips score 0)
def test_real_multi30k_run(multi30k_folder: Path, tmp_path: Path) -> None:
    config = small_config(multi30k_folder.parent, max_train_pairs=300)
    config.train.epochs, config.decode.max_len = 1, 8
    metrics = execute("hw7_seq2seq", config, main, runs_root=tmp_path, run_id="real")
    assert metrics["train_pairs"] == 300 and metrics["src"] == "de"
    assert 0 <= metrics["test_bleu_greedy"] <= 100


@pytest.mark.points(0)
def test_config_files_load_and_bad_values_name_the_fix() -> None:
    folder = Path(__file__).resolve().parent.parent
    for name in ("config.yaml", "config.quick.yaml"):
        config = load_config(Config, folder / name)
        assert config.data.src == "de" and config.model.attention == "additive"
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        DecodeConfig(beam_size=0)
    with pytest.raises(ValueError, match="dot attention needs dec_hidden == 2 \\* enc_hidden"):
        ModelConfig(enc_hidden=128, dec_hidden=512, attention="dot")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        TrainConfig(label_smoothing=1.0)
    with pytest.raises(ValueError, match="lr_decay must be in \\(0, 1\\]"):
        TrainConfig(lr_decay=0.0)
    with pytest.raises(ValueError, match="average_last must be >= 1"):
        TrainConfig(average_last=0)
    with pytest.raises(ValueError, match="epochs, batch_size and decay_after must be >= 1"):
        TrainConfig(schedule="step", decay_after=0)
    with pytest.raises(ValueError, match="choose two different languages"):
        DataConfig(src="en", tgt="en")
    with pytest.raises(ValueError, match="subwords must be >= 100"):
        DataConfig(subwords=10)
