"""HW-EvRSNAS: feasibility of the answer, penalty forms, threshold resolution, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.hw_evrsnas import HWEvRSNAS, penalty
from nasbench_eval.errors import ConfigError
from nasbench_eval.judge import finalise_result
from nasbench_eval.problems import hw_constrained_problems, hw_problem, nb201_problem
from nasbench_eval.search import run


def test_penalty_forms():
    c = np.array([5.0, 10.0, 12.0, np.nan])
    assert penalty(c, 10.0, "one-sided")[:3] == pytest.approx([0.0, 0.0, 0.2]) and np.isinf(penalty(c, 10.0)[3])
    assert penalty(c, 10.0, "two-sided")[:3] == pytest.approx([0.5, 0.0, 0.2])


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_answer_is_feasible_and_close(q):
    p = hw_problem("cifar10", "fpga", kind="constrained", quantile=q)
    res = run(HWEvRSNAS(), p, 1000, seed=0)
    assert res.evaluations <= 1000 and res.stopped_by in ("algorithm", "budget")
    (c,) = res.chosen
    assert c["metrics"]["fpga_latency_ms"] <= p.threshold
    out = finalise_result(p, res)
    assert out["per_threshold"][0]["feasible"] and out["per_threshold"][0]["gap"] <= 2.5


def test_two_sided_and_threshold_on_a_bi_objective_problem():
    bi = hw_problem("cifar10", "pixel3")
    with pytest.raises(ConfigError, match="once per threshold"):
        run(HWEvRSNAS(), bi, 50, seed=0)
    T = bi.thresholds[3]
    res = run(HWEvRSNAS(threshold=float(T), penalty="two-sided", generations=5), bi, 300, seed=0)
    assert res.chosen[0]["metrics"]["pixel3_latency_ms"] <= T


def test_plain_accuracy_problem_is_a_clear_error():
    with pytest.raises(ConfigError, match="no hardware cost"):
        run(HWEvRSNAS(), nb201_problem("cifar10"), 50, seed=0)


def test_bad_parameters():
    p = hw_constrained_problems("cifar10", "fpga", quantiles=(0.5,))[0]
    for bad in ({"penalty": "both"}, {"penalty_weight": -1.0}, {"tournament_size": 500}):
        with pytest.raises(ConfigError):
            run(HWEvRSNAS(**bad), p, 10, seed=0)
