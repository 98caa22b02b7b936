"""MO-HDNAS: the diversity objective, front quality on fpga with a small budget, picks, ablation switch."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.mo_hdnas import MOHDNAS, hardware_diversity
from nasbench_eval.errors import ConfigError
from nasbench_eval.judge import finalise_result, front_quality
from nasbench_eval.problems import hw_problem
from nasbench_eval.search import run


def test_hardware_diversity_definition():
    c = np.array([1.0, 2.0, 4.0, np.nan])
    chi = hardware_diversity(c)
    assert chi[:3] == pytest.approx([0 + 1 + 9, 1 + 0 + 4, 9 + 4 + 0]) and np.isnan(chi[3])


@pytest.fixture(scope="module")
def fpga():
    return hw_problem("cifar10", "fpga")


def test_front_quality_on_fpga_small_budget(fpga):
    hv = []
    for seed in range(3):
        res = run(MOHDNAS(), fpga, 1000, seed=seed)
        assert res.evaluations <= 1000
        keys = [c["index"] for c in res.chosen]
        hv.append(front_quality(fpga.ground_truth(), keys)["hv_norm"])
        out = finalise_result(fpga, res)
        assert all(r["feasible"] for r in out["per_threshold"])
        assert out["indicators"]["mean_gap"] <= 1.0
        assert {"front", "result", "indicators", "per_threshold"} <= set(out)
    assert np.mean(hv) >= 0.95


def test_front_is_non_dominated_and_picks_respect_thresholds(fpga):
    algo = MOHDNAS(generations=10)
    from nasbench_eval.search.run import make_rng

    algo.setup(fpga, make_rng(0))
    while not algo.finished:
        a = algo.ask()
        if len(a) == 0:
            break
        algo.tell(a, fpga.evaluate(a))
    keys, F = algo.front()
    assert np.all(np.diff(F[:, 1]) >= 0)
    for i in range(len(F)):
        assert not np.any(np.all(F <= F[i], axis=1) & np.any(F < F[i], axis=1))
    picks = algo.picks(fpga.thresholds)
    cost = dict(zip(keys.tolist(), F[:, 1]))
    for k, T in zip(picks, fpga.thresholds):
        assert k == -1 or cost[int(k)] <= T
    assert algo.generation == 10


def test_ablation_without_diversity_and_validation(fpga):
    res = run(MOHDNAS(diversity=False, generations=5), fpga, 200, seed=0)
    assert res.stopped_by == "algorithm" and res.chosen
    with pytest.raises(ConfigError, match="front_from"):
        run(MOHDNAS(front_from="x"), fpga, 10, seed=0)
    from nasbench_eval.problems import nb201_problem

    with pytest.raises(ConfigError, match="hardware cost"):
        run(MOHDNAS(), nb201_problem("cifar10"), 10, seed=0)


def test_on_a_constrained_problem_returns_one_feasible_pick(fpga):
    q = fpga.with_threshold(quantile=0.3)
    res = run(MOHDNAS(generations=10), q, 300, seed=1)
    assert len(res.chosen) == 1 and res.chosen[0]["metrics"]["fpga_latency_ms"] <= q.threshold
