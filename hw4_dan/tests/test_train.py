"""The whole DAN, trained by the given loop: it can fit 20 sentences, a run is repeatable, and a
resumed run continues exactly where it stopped."""
import numpy as np
import pytest

from common.run import execute
from hw4_dan.dan import DAN
from hw4_dan.data import build_vocabulary, encode, load_sst
from hw4_dan.run import Config, main
from hw4_dan.train import Optimizers, load_checkpoint, predict_probabilities, train_epoch

from .helpers import unfinished_tasks

pytestmark = pytest.mark.task_train
TINY = dict(views=["sst2"], train_phrases=False, max_train=300, dim=16, hidden=16, depth=1, epochs=2, batch_size=32,
            weight_average=0.9)


@pytest.mark.points(3)
def test_a_small_dan_fits_twenty_sentences(sst_folder):
    examples = load_sst("sst5", data=sst_folder)["train"][:20]
    vocab = build_vocabulary(examples)
    data = encode(examples, vocab, num_classes=5)
    model = DAN(len(vocab), 16, 32, 1, 5, word_dropout=0.0, rng=np.random.default_rng(0))
    optimizers = Optimizers.create(model, "adam", lr=0.02)
    for epoch in range(1, 61):
        loss = train_epoch(model, optimizers, data, batch_size=10, l2=0.0, seed=0, epoch=epoch)
    predicted = predict_probabilities(model, data).argmax(axis=1)
    accuracy = (predicted == data.labels).mean()
    assert accuracy == 1.0, f"expected 100% training accuracy on 20 sentences but got {accuracy:.0%} (loss {loss:.4f})"


@pytest.fixture(scope="module")
def student_tasks_done():
    """Fail a test of the given training loop up front, naming the task of dan.py it needs, when one of
    them is not done or wrong (else the test would blame the given code)."""
    problems = unfinished_tasks()
    if problems:
        details = "; ".join(f"{task}: {problem}" for task, problem in problems.items())
        verb = "does" if len(problems) == 1 else "do"
        pytest.fail(f"this test of the given training loop needs every task of dan.py, and {', '.join(problems)} "
                    f"{verb} not work yet ({details}): run pytest hw4_dan -m {next(iter(problems))} first",
                    pytrace=False)


@pytest.fixture(scope="module")
def straight(tmp_path_factory, sst_folder):
    """(runs root, metrics) of a tiny two-epoch SST-2 run."""
    root = tmp_path_factory.mktemp("runs")
    return root, execute("hw4_dan", Config(**TINY, data=sst_folder), main, runs_root=root, run_id="straight")


@pytest.mark.points(2)
def test_same_seed_same_metrics(straight, sst_folder):
    root, first = straight
    second = execute("hw4_dan", Config(**TINY, data=sst_folder), main, runs_root=root, run_id="again")
    for key in ("curves", "dev", "test", "confidently_wrong_dev"):
        assert first["views"]["sst2"][key] == second["views"]["sst2"][key], (
            f"expected the same {key} from the same seed but got {first['views']['sst2'][key]} "
            f"and {second['views']['sst2'][key]}")


@pytest.mark.points(0)  # given code: checkpoints and resuming
def test_a_resumed_run_equals_an_uninterrupted_one(student_tasks_done, straight, tmp_path, sst_folder):
    straight = straight[1]
    execute("hw4_dan", Config(**{**TINY, "epochs": 1}, data=sst_folder), main, runs_root=tmp_path, run_id="part")
    resumed = execute("hw4_dan", Config(**TINY, data=sst_folder, resume=tmp_path / "hw4_dan" / "part"), main,
                      runs_root=tmp_path, run_id="resumed")
    for key in ("curves", "dev", "test", "best_epoch"):
        assert resumed["views"]["sst2"][key] == straight["views"]["sst2"][key], (
            f"expected the resumed run's {key} to equal the uninterrupted run's: "
            f"{resumed['views']['sst2'][key]} vs {straight['views']['sst2'][key]}")
    run_dir = tmp_path / "hw4_dan" / "resumed"
    for name in ("sst2_best.npz", "sst2_last.npz", "sst2_curves.png", "sst2_confusion.png", "vocab_sst2.tsv",
                 "metrics.json"):
        assert (run_dir / name).is_file(), f"expected {name} in {run_dir}"
    assert len(straight["views"]["sst2"]["confidently_wrong_dev"]) == 10


@pytest.mark.points(0)  # given code: the ensemble option
def test_an_ensemble_trains_each_seed_as_alone_and_averages_their_probabilities(student_tasks_done, straight, tmp_path,
                                                                                sst_folder):
    ensemble = execute("hw4_dan", Config(**TINY, data=sst_folder, ensemble=2), main, runs_root=tmp_path,
                       run_id="pair")["views"]["sst2"]
    alone = execute("hw4_dan", Config(**TINY, data=sst_folder, seed=1), main, runs_root=tmp_path, run_id="seed1")
    pair_dir, root = tmp_path / "hw4_dan" / "pair", straight[0]
    for member_file, single_file in (("sst2_last.npz", root / "hw4_dan" / "straight" / "sst2_last.npz"),
                                     ("sst2_last_1.npz", tmp_path / "hw4_dan" / "seed1" / "sst2_last.npz")):
        with np.load(pair_dir / member_file) as member, np.load(single_file) as single:
            for key in (k for k in single.files if k.startswith("param.")):
                assert np.array_equal(member[key], single[key]), (
                    f"expected ensemble member {member_file} to train exactly as a run with its seed alone, "
                    f"but {key} differs")
    assert alone["views"]["sst2"]["curves"]["train_loss"] != straight[1]["views"]["sst2"]["curves"]["train_loss"]

    splits = load_sst("sst2", train_phrases=False, data=sst_folder)
    vocab = build_vocabulary(splits["train"][:300])
    dev = encode(splits["dev"], vocab, num_classes=2)
    probabilities = []
    for name in ("sst2_best.npz", "sst2_best_1.npz"):
        model = DAN(len(vocab), 16, 16, 1, 2, rng=np.random.default_rng(0))
        load_checkpoint(pair_dir / name, model)
        probabilities.append(predict_probabilities(model, dev))
    expected = float((np.mean(probabilities, axis=0).argmax(axis=1) == dev.labels).mean())
    assert ensemble["dev"]["accuracy"] == pytest.approx(expected), (
        f"expected the ensemble's dev accuracy to be that of its members' averaged probabilities, {expected:.4f}, "
        f"but got {ensemble['dev']['accuracy']:.4f}")


@pytest.mark.points(0)  # given code: resuming an ensemble
def test_a_resumed_ensemble_equals_an_uninterrupted_one(student_tasks_done, tmp_path, sst_folder):
    config = dict(TINY, data=sst_folder, ensemble=2)
    straight = execute("hw4_dan", Config(**config), main, runs_root=tmp_path, run_id="straight")
    execute("hw4_dan", Config(**{**config, "epochs": 1}), main, runs_root=tmp_path, run_id="part")
    resumed = execute("hw4_dan", Config(**config, resume=tmp_path / "hw4_dan" / "part"), main, runs_root=tmp_path,
                      run_id="resumed")
    for key in ("curves", "dev", "test", "best_epoch"):
        assert resumed["views"]["sst2"][key] == straight["views"]["sst2"][key], (
            f"expected the resumed ensemble's {key} to equal the uninterrupted one's: "
            f"{resumed['views']['sst2'][key]} vs {straight['views']['sst2'][key]}")
