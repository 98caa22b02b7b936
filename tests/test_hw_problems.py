"""HW problems: thresholds, coverage restriction, the cifar10-cost flag, ground truth vs brute force."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.errors import ConfigError, UnknownNameError
from nasbench_eval.problems import (
    DEFAULT_QUANTILES,
    hw_constrained_problems,
    hw_problem,
)
from nasbench_eval.judge import constrained_optima, finalise_result
from nasbench_eval.search import non_dominated, run
from nasbench_eval.spaces import nb201
from nasbench_eval.tables import hw_column


def test_bi_objective_problem_shape_and_sources(store):
    p = hw_problem("cifar10", "fpga", "latency")
    assert [o.sense for o in p.objectives] == ["max", "min"]
    assert p.proxy_metric == "valid_acc" and p.cost_metric == "fpga_latency_ms"
    assert p.allowed is None and not p.info["coverage"]["restricted"]
    d = p.describe()
    assert d["sources"]["fpga_latency_ms"] == hw_column("fpga", "latency")
    assert "test_acc" in p.report_columns
    ev = p.evaluate(nb201.index_to_ops(np.array([0, 1])))
    assert np.allclose(ev.values["fpga_latency_ms"], store.lookup([hw_column("fpga")], [0, 1])[:, 0])


def test_default_thresholds_are_nine_quantiles(store):
    p = hw_problem("cifar10", "raspi4")
    cost = store.column(hw_column("raspi4"))
    assert p.quantiles == DEFAULT_QUANTILES and len(p.thresholds) == 9
    assert np.allclose(p.thresholds, np.quantile(cost, DEFAULT_QUANTILES))
    assert list(p.thresholds) == sorted(p.thresholds)


def test_constrained_problem_threshold_explicit_or_quantile(store):
    q = hw_problem("cifar10", "pixel3", kind="constrained", quantile=0.3)
    cost = store.column(hw_column("pixel3"))
    assert q.threshold == pytest.approx(np.quantile(cost, 0.3))
    assert q.n_obj == 1 and q.constraints[0].metric == "pixel3_latency_ms"
    t = hw_problem("cifar10", "pixel3", kind="constrained", threshold=2.5)
    assert t.threshold == 2.5
    ev = t.evaluate(nb201.index_to_ops(np.arange(50)))
    assert np.array_equal(t.feasible(ev), ev.values["pixel3_latency_ms"] <= 2.5)
    probs = hw_constrained_problems("cifar10", "pixel3")
    assert [pp.threshold for pp in probs] == pytest.approx(list(hw_problem("cifar10", "pixel3").thresholds))
    with pytest.raises(ConfigError, match="threshold"):
        hw_problem("cifar10", "pixel3", kind="constrained")
    with pytest.raises(ConfigError, match="not both"):
        hw_problem("cifar10", "pixel3", kind="constrained", threshold=1.0, quantile=0.5)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        hw_problem("cifar10", "pixel3", kind="constrained", quantile=1.5)


def test_unknown_device_or_metric_names_what_is_allowed():
    with pytest.raises(UnknownNameError, match="fpga"):
        hw_problem("cifar10", "toaster")
    with pytest.raises(UnknownNameError, match="latency"):
        hw_problem("cifar10", "raspi4", "energy")


def test_energy_and_help_devices(store):
    e = hw_problem("cifar10", "fpga", "energy")
    assert e.cost_metric == "fpga_energy_mJ" and e.info.get("derived_cost_archs", 0) > 0
    h = hw_problem("cifar10", "titanxp_1")
    assert h.cost_metric == "help_titanxp_1_latency_ms" and h.allowed is None


def test_cifar100_needs_the_explicit_flag():
    with pytest.raises(ConfigError, match="allow_cifar10_costs"):
        hw_problem("cifar100", "fpga")
    p = hw_problem("cifar100", "fpga", allow_cifar10_costs=True)
    assert p.info["allow_cifar10_costs"] is True and p.info["cost_input"] == "cifar10"
    assert p.describe()["allow_cifar10_costs"] is True


@pytest.mark.parametrize("device,metric,n", [("edgetpu", "latency", 8786), ("edgegpu", "latency", 12554),
                                             ("eyeriss", "energy", 12554)])
def test_partial_coverage_restricts_the_space(store, device, metric, n):
    p = hw_problem("cifar10", device, metric)
    assert p.allowed is not None and int(p.allowed.sum()) == n
    assert p.info["coverage"]["restricted"] and "no imputation" in p.info["coverage"]["note"]
    cost = store.column(hw_column(device, metric))
    assert np.array_equal(p.allowed, np.isfinite(cost))
    assert np.allclose(p.thresholds, np.quantile(cost[p.allowed], DEFAULT_QUANTILES))
    gt = p.ground_truth()
    assert gt.allowed[gt.front_keys].all() and gt.allowed[gt.test_front_keys].all()


def test_edgetpu_picks_are_never_uncovered():
    from nasbench_eval.search import get_algorithm

    p = hw_problem("cifar10", "edgetpu")
    for name, prob in (("mo-hdnas", p), ("hw-evrsnas", p.with_threshold(quantile=0.2)),
                       ("rminas", p.with_threshold(quantile=0.5))):
        params = {"n_warmup": 20, "n_good": 1, "n_candidates": 200} if name == "rminas" else {}
        res = run(get_algorithm(name)(**params), prob, 300, seed=0)
        assert res.chosen and all(prob.allowed[c["index"]] for c in res.chosen), name
        assert np.all(prob.allowed[res.trajectory["key"]]), f"{name} evaluated an uncovered arch"
        out = finalise_result(prob, res)
        for r in out["result"]:
            assert prob.allowed[r["index"]]


@pytest.mark.parametrize("m", [2, 3])
def test_non_dominated_equals_brute_force(m):
    rng = np.random.default_rng(m)
    for _ in range(30):
        F = rng.integers(0, 6, size=(60, m)).astype(float)  # many ties and duplicates
        F[rng.random(60) < 0.1, 0] = np.inf
        F[rng.random(60) < 0.05, -1] = np.nan
        brute = [bool(np.all(np.isfinite(F[i]))) and not any(
            np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(60) if np.all(np.isfinite(F[j])))
            for i in range(60)]
        assert np.array_equal(non_dominated(F), brute)


def test_ground_truth_equals_brute_force_on_a_small_case(store):
    p = hw_problem("cifar10", "eyeriss", "energy", thresholds=(0.5, 0.9, 2.0))
    gt = p.ground_truth()
    keys = np.flatnonzero(p.allowed)
    ev = p.evaluate(nb201.index_to_ops(keys))
    F = p.F(ev)
    F[:, 1] = [float(f"{c:.9g}") for c in F[:, 1]]  # one value per physical cost (float copies differ at 1e-16)
    brute = set(keys[non_dominated(F)].tolist())
    assert set(gt.front_keys.tolist()) == brute
    test = store.column(p.report_columns["test_acc"])
    cost, prox = ev.values["eyeriss_energy_mJ"], ev.values["valid_acc"]
    for T, o in zip(p.thresholds, constrained_optima(gt, p.thresholds)):
        feas = np.array([float(f"{c:.9g}") for c in cost]) <= float(f"{T:.9g}")
        assert o["opt_proxy"] == pytest.approx(prox[feas].max())
        assert o["best_test_acc"] == pytest.approx(test[keys][feas].max())
        assert o["opt_cost"] <= T and p.allowed[o["opt_index"]]
        assert o["opt_test_acc"] == pytest.approx(test[o["opt_index"]])
    assert gt is p.ground_truth()  # cached


def test_ground_truth_is_not_readable_during_a_search():
    from nasbench_eval.problems.ground_truth import clear_cache

    p = hw_problem("cifar10", "raspi4")
    clear_cache()
    with p.search_guard(), pytest.raises(RuntimeError, match="leakage"):
        p.ground_truth()
