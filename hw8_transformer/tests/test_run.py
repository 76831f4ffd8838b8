"""hw8 end to end on the tiny BERT: a run trains above chance, its checkpoint loads in a pipeline with the
same predictions, the same seed gives the same numbers, and predict handles bad input."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
import torch

from common.config import ConfigError, load_config
from common.run import execute, run_cli
from hw8_transformer.config import Config, TrainSettings
from hw8_transformer.data import load_sst2
from hw8_transformer.export import load_classifier, save_classifier
from hw8_transformer.model import PretrainedClassifier, load_encoder
from hw8_transformer.predict import main as predict_main
from hw8_transformer.predict import predict
from hw8_transformer.run import build_model, main


def small_config(data: Path, model: Path, **changes) -> Config:
    settings = dict(seed=0, data=data, model_path=model, max_length=32, eval_test=True, mistakes_shown=3,
                    train=TrainSettings(lr=2e-3, warmup=0.1, epochs=3, batch_size=16, eval_every=10,
                                        eval_batch_size=32),
                    probe=TrainSettings(lr=1e-2, warmup=0.0, epochs=2, batch_size=16, eval_every=0))
    settings.update(changes)
    return Config(**settings)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, sst2_data, tiny_bert_dir):
    root = tmp_path_factory.mktemp("runs")
    metrics = execute("hw8_transformer", small_config(sst2_data, tiny_bert_dir), main, runs_root=root, run_id="small")
    return metrics, root / "hw8_transformer" / "small"


@pytest.mark.task_run
@pytest.mark.points(2)
def test_small_run_learns_and_writes_every_output(finished_run):
    metrics, folder = finished_run
    for name in ("best/config.json", "best/model.safetensors", "metrics.json", "log.txt", "loss_finetune.png",
                 "dev_accuracy_finetune.png", "confusion_finetune.png", "loss_probe.png"):
        assert (folder / name).is_file(), f"expected {name} in the run folder"
    finetune, probe = metrics["finetune"], metrics["probe"]
    assert finetune["dev_accuracy"] >= 0.75, (
        f"expected the tiny model to learn the cue words, got {finetune['dev_accuracy']}")
    assert finetune["dev_accuracy"] == max(finetune["curve"]["dev_accuracy"]), "the best-on-dev model is reported"
    assert finetune["curve"]["update_loss"][-1] < finetune["curve"]["update_loss"][0], "the loss should fall"
    assert 0 <= probe["dev_accuracy"] <= 1 and "test_accuracy" in finetune
    assert len(finetune["confident_mistakes"]) <= 3
    assert sum(row["count"] for row in finetune["accuracy_by_length"]) == 64
    assert finetune["final_dev_accuracy"] == finetune["curve"]["dev_accuracy"][-1], "the last update's model"
    assert [(row["dataset"].split()[1], row["metric"], row["value"]) for row in metrics["summary"]] == [
        ("dev", "accuracy after the last update, linear probe, pooling mean", probe["final_dev_accuracy"]),
        ("test", "accuracy of the checkpoint chosen on dev, linear probe, pooling mean", probe["test_accuracy"]),
        ("dev", "accuracy after the last update, fine-tuned, pooling cls", finetune["final_dev_accuracy"]),
        ("test", "accuracy of the checkpoint chosen on dev, fine-tuned, pooling cls", finetune["test_accuracy"])], (
        "the summary reports no maximum taken on the data it reports")


@pytest.mark.task_run
@pytest.mark.points(2)
def test_saved_checkpoint_gives_the_same_predictions_in_a_pipeline(finished_run, sst2_data):
    from transformers import pipeline

    _, folder = finished_run
    sentences = list(load_sst2(["dev"], sst2_data)["dev"]["sentence"])
    model, tokenizer, labels = load_classifier(folder / "best")
    ours = predict(model, tokenizer, sentences, labels)
    classifier = pipeline("text-classification", model=str(folder / "best"), device=-1)
    theirs = classifier(sentences, batch_size=16)
    assert [p.label for p in ours] == [t["label"] for t in theirs], "pipeline and our model disagree on a label"
    assert [p.probability for p in ours] == pytest.approx([t["score"] for t in theirs], abs=1e-5)
    assert {p.label for p in ours} <= {"negative", "positive"}


@pytest.mark.task_run
@pytest.mark.points(1)
def test_same_seed_same_numbers(tmp_path, sst2_data, tiny_bert_dir):
    config = small_config(sst2_data, tiny_bert_dir, modes=["finetune"], eval_test=False,
                          train=TrainSettings(lr=2e-3, epochs=1, batch_size=16, eval_every=0))
    first, second = (execute("hw8_transformer", config, main, runs_root=tmp_path, run_id=name)["finetune"]
                     for name in ("first", "second"))
    assert first["curve"] == second["curve"], f"expected the same curves twice: {first['curve']} vs {second['curve']}"


@pytest.mark.task_run
@pytest.mark.points(1)
def test_mean_pooling_checkpoint_round_trip(tmp_path, sst2_data, tiny_bert_dir):
    config = small_config(sst2_data, tiny_bert_dir, modes=["finetune"], pooling="mean", eval_test=False,
                          train=TrainSettings(lr=2e-3, epochs=1, batch_size=16, eval_every=0))
    metrics = execute("hw8_transformer", config, main, runs_root=tmp_path, run_id="mean")
    best = tmp_path / "hw8_transformer" / "mean" / "best"
    assert not (best / "config.json").exists(), "a mean-pooled checkpoint must not pose as a transformers model"
    model, tokenizer, labels = load_classifier(best)
    sentences = list(load_sst2(["dev"], sst2_data)["dev"]["sentence"])
    predictions = predict(model, tokenizer, sentences, labels)
    gold = list(load_sst2(["dev"], sst2_data)["dev"]["label"])
    accuracy = sum(labels.index(p.label) == g for p, g in zip(predictions, gold, strict=True)) / len(gold)
    assert accuracy == pytest.approx(metrics["finetune"]["dev_accuracy"]), "the reloaded model scores as in training"


@pytest.mark.points(0)  # given code
def test_predict_rejects_empty_text_and_flags_truncation(finished_run, capsys):
    _, folder = finished_run
    model, tokenizer, labels = load_classifier(folder / "best")
    with pytest.raises(ValueError, match="sentence 2 is empty"):
        predict(model, tokenizer, ["good", "  "], labels)
    long = " ".join(["good"] * 100)
    [result] = predict(model, tokenizer, [long], labels, max_length=16)
    assert result.truncated and result.label in labels
    assert predict_main(["--model", str(folder / "best"), "--max-length", "16", "a good film", long]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "(truncated to 16 tokens)" in out[1] and "truncated" not in out[0]
    with pytest.raises(SystemExit):
        predict_main(["--model", str(folder / "best"), ""])
    with pytest.raises(ValueError, match="is not a classifier checkpoint"):
        load_classifier(folder)


@pytest.mark.points(0)  # given code
def test_config_files_load_and_bad_configs_name_the_fix():
    folder = Path(__file__).resolve().parent.parent
    for name in ("config.yaml", "config.quick.yaml", "config.cpu.yaml"):
        config = load_config(Config, folder / name)
        assert config.model_name == "all-MiniLM-L6-v2" and "finetune" in config.modes
    with pytest.raises(ValueError, match="modes must list probe and/or finetune"):
        Config(modes=[])
    with pytest.raises(ConfigError, match=r"modes\[0\]' must be one of \['probe', 'finetune'\]"):
        load_config(Config, None, ["--modes", "[pretrain]"])
    with pytest.raises(ConfigError, match="precision' must be one of"):
        load_config(Config, None, ["--train.precision", "fp8"])
    assert torch.float32 == torch.get_default_dtype()


@pytest.mark.points(0)  # given code
def test_a_bad_model_path_stops_before_the_run_folder(tmp_path, capsys, tiny_bert_dir):
    runs_root = tmp_path / "runs"
    for bad, found in [(tmp_path / "missing", "does not exist"), (tiny_bert_dir.parent, "has no config.json")]:
        with pytest.raises(SystemExit) as stopped:
            run_cli("hw8_transformer", Config, main, ["--config", str(Path(__file__).parents[1] / "config.quick.yaml"),
                                                      "--runs-root", str(runs_root), "--model-path", str(bad)])
        error = capsys.readouterr().err
        assert stopped.value.code == 2 and f"model_path {bad} {found}" in error and "pass --model-path" in error, (
            f"expected a one-line error naming {bad} and the fix, got {error!r}")
        assert len(error.strip().splitlines()) == 1, f"expected one line, got {error!r}"
    assert not runs_root.exists(), "a bad model path must stop the run before its folder is made"


@pytest.mark.points(0)  # given code
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_exported_folder_has_the_modes_of_the_other_outputs(tmp_path, tiny_bert_dir, pooling):
    encoder, tokenizer = load_encoder(tiny_bert_dir, add_pooling_layer=pooling == "cls")
    folder = save_classifier(PretrainedClassifier(encoder, pooling=pooling), tokenizer, tmp_path / "best")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain.txt").write_text("made by open()\n", encoding="utf-8")
    usual = {True: stat.S_IMODE((tmp_path / "plain").stat().st_mode),
             False: stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)}
    odd = [f"{path.relative_to(tmp_path)} {stat.S_IMODE(path.stat().st_mode):o}"
           for path in [folder, *folder.rglob("*")] if stat.S_IMODE(path.stat().st_mode) != usual[path.is_dir()]]
    assert not odd, (f"expected the modes mkdir and open() give ({usual[True]:o} for folders, {usual[False]:o} "
                     f"for files) but got {odd}")


@pytest.mark.points(0)  # given code
def test_auto_head_is_transformers_own_model_seen_as_ours(tiny_bert_dir):
    from transformers import AutoModelForSequenceClassification

    model, tokenizer = build_model(Config(head="auto"), tiny_bert_dir, torch.device("cpu"), "cls")
    reference = AutoModelForSequenceClassification.from_pretrained(tiny_bert_dir, num_labels=2)
    reference.classifier.load_state_dict(model.classifier.state_dict())
    batch = tokenizer(["a good film", "dull and boring"], padding=True, return_tensors="pt")
    model.eval()   # no dropout: the head reads the pooled state as it is (given code only, not your forward)
    logits = model.classifier(model.pooled(batch["input_ids"], batch["attention_mask"]))
    torch.testing.assert_close(logits, reference.eval()(**batch).logits)
