"""The whole DAN, trained by the given loop: it can fit 20 sentences, a run is repeatable, and a
run interrupted mid-epoch and resumed (``--resume``) continues exactly where it stopped."""
import numpy as np
import pytest

from common.checkpoint import load_model, load_state
from common.config import load_config
from common.run import Launch, execute
from hw4_dan.config import Config
from hw4_dan.dan import DAN
from hw4_dan.data import build_vocabulary, encode, load_sst
from hw4_dan.evaluate import predict_probabilities
from hw4_dan.run import main
from hw4_dan.train import Member, Optimizers

from .helpers import unfinished_tasks

pytestmark = pytest.mark.task_train
TINY = dict(views=["sst2"], train_phrases=False, max_train=300, dim=16, hidden=16, depth=1, epochs=2, batch_size=32,
            weight_average=0.9, lr_decay=0.8)
STEPS = 10  # batches per epoch and member: 300 examples in batches of 32


@pytest.mark.points(3)
def test_a_small_dan_fits_twenty_sentences(sst_folder):
    examples = load_sst("sst5", data=sst_folder)["train"][:20]
    vocab = build_vocabulary(examples)
    data = encode(examples, vocab, num_classes=5)
    model = DAN(len(vocab), 16, 32, 1, 5, word_dropout=0.0, rng=np.random.default_rng(0))
    member = Member(model, Optimizers.create(model, "adam", lr=0.02))
    for epoch in range(1, 61):
        member.start_epoch(epoch)
        for ids in member.epoch_batches(data, batch_size=10, epoch=epoch):
            member.train_batch(data, ids, l2=0.0)
    predicted = predict_probabilities(model, data).argmax(axis=1)
    accuracy = (predicted == data.labels).mean()
    assert accuracy == 1.0, (f"expected 100% training accuracy on 20 sentences but got {accuracy:.0%} "
                             f"(loss {member.epoch_loss:.4f})")


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


class Interrupted(Exception):
    """Stands for a kill in the middle of a run."""


def interrupted_and_resumed(config, root, run_id, after_steps, monkeypatch):
    """Run `config` (``last.ckpt`` after every step, as ``--checkpoint-minutes 0``) until it has taken
    `after_steps` training steps, stop it there, then resume its folder as ``--resume`` does.
    Returns the resumed run's metrics and the number of steps the resumed run took."""
    train_batch, steps, stop_at = Member.train_batch, [], [after_steps]

    def counted(member, *args, **kwargs):
        if len(steps) in stop_at:
            raise Interrupted
        steps.append(member)
        return train_batch(member, *args, **kwargs)

    monkeypatch.setattr(Member, "train_batch", counted)
    with pytest.raises(Interrupted):
        execute("hw4_dan", config, main, launch=Launch(root, run_id, checkpoint_minutes=0))
    folder = root / "hw4_dan" / run_id
    assert not (folder / "metrics.json").exists()
    steps.clear()
    stop_at.clear()
    resumed = execute("hw4_dan", load_config(Config, folder / "config.yaml"), main,
                      launch=Launch(root, resume=folder, checkpoint_minutes=0))
    assert "resumed from" in (folder / "log.txt").read_text(encoding="utf-8")
    return resumed, len(steps)


def assert_same_figures(resumed, straight, what):
    for view, results in straight["views"].items():
        for key in ("curves", "dev", "test", "best_epoch", "confidently_wrong_dev"):
            assert resumed["views"][view][key] == results[key], (
                f"expected the resumed {what}'s {view} {key} to equal the uninterrupted one's: "
                f"{resumed['views'][view][key]} vs {results[key]}")


@pytest.fixture(scope="module")
def straight(tmp_path_factory, sst_folder):
    """(runs root, metrics) of a tiny two-epoch SST-2 run."""
    root = tmp_path_factory.mktemp("runs")
    return root, execute("hw4_dan", Config(**TINY, data=sst_folder), main, runs_root=root, run_id="straight")


@pytest.mark.points(2)
def test_same_seed_same_metrics(straight, sst_folder):
    root, first = straight
    second = execute("hw4_dan", Config(**TINY, data=sst_folder), main, runs_root=root, run_id="again")
    losses = first["views"]["sst2"]["curves"]["train_loss"]
    assert np.isfinite(losses).all(), (
        f"expected a finite training loss but got {losses}: a NaN usually comes from a division by a zero "
        "count (check masked_average's count of kept tokens along the right axis) or an overflow in the loss")
    for key in ("curves", "dev", "test", "confidently_wrong_dev"):
        assert first["views"]["sst2"][key] == second["views"]["sst2"][key], (
            f"expected the same {key} from the same seed but got {first['views']['sst2'][key]} "
            f"and {second['views']['sst2'][key]}")


@pytest.mark.points(0)  # given code: checkpoints and resuming
def test_a_run_resumed_mid_epoch_equals_an_uninterrupted_one(student_tasks_done, straight, tmp_path, sst_folder,
                                                            monkeypatch):
    straight = straight[1]
    stopped = STEPS + 3  # in epoch 2, after its third batch
    resumed, steps = interrupted_and_resumed(Config(**TINY, data=sst_folder), tmp_path, "killed", stopped, monkeypatch)
    assert_same_figures(resumed, straight, "run")
    left = 2 * STEPS - stopped
    assert steps == left, f"expected the resumed run to take the {left} steps left, but it took {steps}"
    run_dir = tmp_path / "hw4_dan" / "killed"
    for name in ("sst2.best.ckpt", "sst2.last.ckpt", "sst2_curves.png", "sst2_confusion.png", "vocab_sst2.tsv",
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
    members = load_state(pair_dir / "sst2.last.ckpt")["state"]["members"]
    for index, single_dir in ((0, root / "hw4_dan" / "straight"), (1, tmp_path / "hw4_dan" / "seed1")):
        single = load_state(single_dir / "sst2.last.ckpt")["state"]["members"][0]["model"]
        for key, value in single.items():
            assert np.array_equal(members[index]["model"][key], value), (
                f"expected ensemble member {index} to train exactly as a run with its seed alone, but {key} differs")
    assert alone["views"]["sst2"]["curves"]["train_loss"] != straight[1]["views"]["sst2"]["curves"]["train_loss"]

    splits = load_sst("sst2", train_phrases=False, data=sst_folder)
    vocab = build_vocabulary(splits["train"][:300])
    dev = encode(splits["dev"], vocab, num_classes=2)
    probabilities = []
    for name in ("sst2.best.ckpt", "sst2.member1.best.ckpt"):
        model = DAN(len(vocab), 16, 16, 1, 2, rng=np.random.default_rng(0))
        load_model(pair_dir / name, model, {"vocab": vocab})
        probabilities.append(predict_probabilities(model, dev))
    expected = float((np.mean(probabilities, axis=0).argmax(axis=1) == dev.labels).mean())
    assert ensemble["dev"]["accuracy"] == pytest.approx(expected), (
        f"expected the ensemble's dev accuracy to be that of its members' averaged probabilities, {expected:.4f}, "
        f"but got {ensemble['dev']['accuracy']:.4f}")


@pytest.mark.points(0)  # given code: resuming an ensemble, a finished view not trained again
def test_a_resumed_ensemble_equals_an_uninterrupted_one(student_tasks_done, tmp_path, sst_folder, monkeypatch):
    config = Config(**{**TINY, "views": ["sst2", "sst5"]}, data=sst_folder, ensemble=2)
    straight = execute("hw4_dan", config, main, runs_root=tmp_path, run_id="straight")
    per_view = 2 * 2 * STEPS  # two members, two epochs
    stopped = per_view + STEPS + 3  # SST-5, epoch 1, member 1 after its third batch (member 0's epoch done)
    resumed, steps = interrupted_and_resumed(config, tmp_path, "killed", stopped, monkeypatch)
    assert_same_figures(resumed, straight, "ensemble")
    assert steps == 2 * per_view - stopped, (
        f"expected the resumed run to take the {2 * per_view - stopped} steps left (SST-2 had finished), took {steps}")
