"""common.bench_results: the verdict logic on synthetic round timings (no test here times anything),
the alternation of the rounds, the load arithmetic, and the results files."""
import json
import math

import pytest

from common import bench_results
from common.bench_results import (
    LoadSample,
    Rounds,
    at_least,
    at_most,
    judge,
    other_load,
    run_rounds,
    write_bench_results,
)

STEADY = {"a": [1.00, 1.01, 0.99, 1.00, 1.02], "b": [1.25, 1.24, 1.26, 1.25, 1.27]}


def ratios(a, b):
    return [x / y for x, y in zip(a, b, strict=True)]


def test_idle_machine_clear_win_is_met():
    verdict = judge(ratios(STEADY["a"], STEADY["b"]), STEADY, other_load=0.2, threads=1, cores=2, target=at_most(1.0))
    assert verdict.status == "met", verdict.reason
    assert verdict.reason.startswith("met: 0.80 <= 1")


def test_idle_machine_clear_loss_is_not_met():
    verdict = judge(ratios(STEADY["b"], STEADY["a"]), STEADY, other_load=0.2, threads=1, cores=2, target=at_most(1.0))
    assert verdict.status == "not met", verdict.reason


def test_at_least_goal_reads_the_other_way():
    speed = ratios(STEADY["b"], STEADY["a"])  # about 1.25
    assert judge(speed, STEADY, 0.0, 1, 2, at_least(1.2)).status == "met"
    assert judge(speed, STEADY, 0.0, 1, 2, at_least(1.3)).status == "not met"


def test_other_programs_above_the_free_cores_mean_no_verdict():
    # the case: two threads on a 2-core machine that other programs keep busy
    verdict = judge(ratios(STEADY["a"], STEADY["b"]), STEADY, other_load=1.6, threads=1, cores=2,
                    target=at_most(1.0))
    assert verdict.status == "no verdict"
    assert "other programs' load average up to 1.6 where the benchmark left 1 of 2 cores free" in verdict.reason
    assert verdict.reason.endswith("rerun on an idle machine")


@pytest.mark.parametrize(("threads", "load", "status"), [(1, 1.5, "met"), (1, 1.51, "no verdict"),
                                                         (2, 0.5, "met"), (2, 0.51, "no verdict")])
def test_load_limit_is_the_free_cores_plus_the_allowance(threads, load, status):
    assert judge(ratios(STEADY["a"], STEADY["b"]), STEADY, load, threads, 2, at_most(1.0)).status == status


def test_ratios_that_vary_from_round_to_round_mean_no_verdict_even_at_low_load():
    a, b = [1.0, 1.0, 1.0, 1.0, 1.0], [1.3, 2.0, 1.1, 2.6, 1.2]
    verdict = judge(ratios(a, b), {"a": a, "b": b}, other_load=0.0, threads=1, cores=2, target=at_most(1.0))
    assert verdict.status == "no verdict"
    assert "per-round ratios 0.38-0.91" in verdict.reason
    assert "the rounds disagree on a quiet machine" in verdict.reason and "--rounds" in verdict.reason


def test_a_loaded_machine_is_named_as_the_reason():
    a, b = [1.0, 1.0, 1.0, 1.0, 1.0], [1.3, 2.0, 1.1, 2.6, 1.2]
    verdict = judge(ratios(a, b), {"a": a, "b": b}, other_load=4.0, threads=1, cores=2, target=at_most(1.0))
    assert verdict.status == "no verdict"
    assert "the machine was loaded (other programs' load average up to 4.0" in verdict.reason
    assert "per-round ratios 0.38-0.91" in verdict.reason


def test_a_side_whose_round_times_drift_means_no_verdict_even_with_a_steady_ratio():
    # the load rose during the run and hit both sides alike: the ratio is steady, the times are not
    a = [1.0, 1.5, 2.0, 2.5, 3.0]
    b = [x * 1.25 for x in a]
    verdict = judge(ratios(a, b), {"a": a, "b": b}, other_load=0.0, threads=1, cores=2, target=at_most(1.0))
    assert verdict.status == "no verdict"
    assert "a's round times spread by 50%" in verdict.reason


def test_one_outlier_round_keeps_the_verdict():
    a, b = [1.0, 1.0, 1.0, 1.0, 3.0], [1.25, 1.25, 1.26, 1.24, 1.25]
    assert judge(ratios(a, b), {"a": a, "b": b}, 0.0, 1, 2, at_most(1.0)).status == "met"


def test_rounds_on_both_sides_of_the_target_are_too_close_to_call():
    a, b = [0.97, 1.02, 0.99, 1.03, 0.98], [1.0] * 5
    verdict = judge(ratios(a, b), {"a": a, "b": b}, 0.0, 1, 2, at_most(1.0))
    assert verdict.status == "no verdict"
    assert "too close to call" in verdict.reason


def test_too_few_rounds_give_no_verdict():
    a, b = [0.5, 0.5], [1.0, 1.0]
    verdict = judge(ratios(a, b), {"a": a, "b": b}, 0.0, 1, 2, at_most(1.0))
    assert verdict.status == "no verdict"
    assert "--rounds 3" in verdict.reason


def test_no_target_is_reported_only_unless_loaded():
    assert judge([0.5] * 3, {}, 0.0, 1, 2, None).status == "no target"
    assert judge([0.5] * 3, {}, 3.0, 1, 2, None).status == "no verdict"


def test_no_rounds_is_an_error_that_names_the_fix():
    with pytest.raises(ValueError, match="--rounds"):
        judge([], {}, 0.0, 1, 2, at_most(1.0))


def test_other_load_subtracts_this_process_as_the_kernel_averages_it():
    # this process keeps one core busy for five minutes, another program a second one: the load
    # average climbs to 2 and the other programs' part is 1 (each sample: wall, cpu, load)
    samples = [LoadSample(0.0, 0.0, 1.0)]
    own = 0.0
    for t in range(10, 301, 10):
        own = own * math.exp(-10 / 60) + (1 - math.exp(-10 / 60))
        samples.append(LoadSample(float(t), float(t), 1.0 + own))
    others = other_load(samples, own_at_first=0.0)
    assert others == pytest.approx([1.0] * len(samples), abs=1e-9)


def test_other_load_is_never_negative_and_counts_a_starved_process_as_load():
    # the process waits for a core half the time: it gets 0.5 CPU s/s but counts 1 in the load average
    samples = [LoadSample(0.0, 0.0, 0.0), LoadSample(600.0, 300.0, 2.0)]
    assert other_load(samples, 0.0) == pytest.approx([0.0, 1.5], abs=1e-3)
    assert other_load([LoadSample(0.0, 0.0, 0.1)], own_at_first=0.9) == [0.0]


def test_rounds_alternate_the_order_and_keep_every_timed_part():
    calls = []

    def side(name, parts=None):
        def run():
            calls.append(name)
            return {f"{name} {part}": 1.0 for part in parts} if parts else 2.0
        return run

    rounds = run_rounds({"A": side("A"), "B": side("B", ["train", "eval"])}, rounds=4, threads=1, warmup=1,
                        progress=False)
    assert calls == ["A", "B"] + ["A", "B", "B", "A", "A", "B", "B", "A"]
    assert rounds.seconds == {"A": [2.0] * 4, "B train": [1.0] * 4, "B eval": [1.0] * 4}
    assert len(rounds.load) == len(rounds.other_load) == 5


def test_ratio_of_speeds_is_the_inverse_ratio_of_times():
    rounds = Rounds({"ours": [2.0, 2.0, 2.0], "ref": [1.0, 1.0, 1.0]}, [0.0] * 4, [0.0] * 4, threads=1, cores=2)
    assert rounds.ratio("ours", "ref").per_round == (2.0, 2.0, 2.0)
    speed = rounds.ratio("ours", "ref", of="speed", target=at_least(0.5))
    assert speed.per_round == (0.5, 0.5, 0.5)
    assert speed.verdict.status == "no verdict"  # exactly on the target: too close to call
    assert rounds.ratio("ours", "ref", of="speed", target=at_least(0.4)).verdict.status == "met"
    with pytest.raises(KeyError, match="expected a measurement named 'torch'"):
        rounds.ratio("ours", "torch")


def test_ratio_uses_the_load_seen_during_its_rounds():
    rounds = Rounds({"a": [1.0] * 3, "b": [2.0] * 3}, [2.5] * 4, [0.1, 2.4, 0.2, 0.1], threads=1, cores=2)
    ratio = rounds.ratio("a", "b", target=at_most(1.0))
    assert ratio.verdict.status == "no verdict"
    assert ratio.as_dict()["verdict"] == "no verdict" and ratio.cell() == "0.50 (rounds 0.50-0.50)"


def test_per_call_times_one_call_of_a_cheap_function(monkeypatch):
    clock = iter(range(1000))
    monkeypatch.setattr(bench_results.time, "perf_counter", lambda: float(next(clock)))
    side = bench_results.per_call(lambda: None, min_seconds=8.0)  # 2 calls fit in a quarter: 8 a round
    assert side() == pytest.approx(1 / 8)


def test_processor_names_the_chip_behind_a_generic_name(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Processor\n"
                       "flags\t\t: fpu avx2 avx512f amx_tile\n\nprocessor\t: 1\nmodel name\t: other\n")
    assert bench_results.processor(cpuinfo) == "Intel(R) Xeon(R) Processor (family 6, model 143; AVX2, AVX-512, AMX)"


def test_writes_json_and_markdown_with_a_final_newline(tmp_path, capsys):
    write_bench_results("hw0", {"ratio": 0.5}, "| a |\n|---|", folder=tmp_path / "results")
    assert json.loads((tmp_path / "results" / "hw0.json").read_text()) == {"ratio": 0.5}
    assert (tmp_path / "results" / "hw0.md").read_text() == "| a |\n|---|\n"
    assert "hw0.json" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["hw0.json", "hw0.md"]
