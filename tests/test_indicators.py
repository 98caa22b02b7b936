"""Indicators against pymoo on hand-made fronts, and per-threshold gaps."""
from __future__ import annotations

import numpy as np
import pytest
from pymoo.indicators.hv import HV
from pymoo.indicators.igd import IGD
from pymoo.indicators.igd_plus import IGDPlus

from nasbench_eval.judge import (
    REF_POINT,
    band_front_keys,
    front_indicators,
    front_quality,
    hypervolume,
    judge_thresholds,
    normalise,
)
from nasbench_eval.problems import hw_problem

TRUE = np.array([[0.0, 4.0], [1.0, 2.0], [2.0, 1.0], [4.0, 0.0]])


def test_hypervolume_by_hand_and_pymoo():
    # staircase volume of TRUE w.r.t. (5, 5): 5*1 + 3*1 + 2*2 + ... computed by hand = 1*1+... use pymoo as the oracle
    ref = np.array([5.0, 5.0])
    by_hand = (1 - 0) * (5 - 4) + (2 - 1) * (5 - 2) + (4 - 2) * (5 - 1) + (5 - 4) * (5 - 0)
    assert hypervolume(TRUE, ref) == pytest.approx(by_hand)
    assert hypervolume(TRUE, ref) == pytest.approx(HV(ref_point=ref)(TRUE))
    assert hypervolume(np.empty((0, 2)), ref) == 0.0
    assert hypervolume(np.array([[6.0, 6.0]]), ref) == 0.0  # outside the box adds nothing
    assert hypervolume(np.array([[np.inf, 1.0], [1.0, 2.0]]), ref) == pytest.approx(4 * 3)


def test_front_indicators_match_pymoo_in_normalised_space():
    approx = np.array([[0.5, 4.0], [1.0, 2.5], [3.0, 1.0], [5.0, 5.0]])
    ind = front_indicators(approx, TRUE)
    ideal, nadir = TRUE.min(0), TRUE.max(0)
    assert ind["ideal"] == ideal.tolist() and ind["nadir"] == nadir.tolist()
    An, Tn = normalise(approx, ideal, nadir), normalise(TRUE, ideal, nadir)
    ref = np.full(2, REF_POINT)
    assert ind["hv"] == pytest.approx(HV(ref_point=ref)(An[np.all(An < ref, axis=1)]))
    assert ind["hv_norm"] == pytest.approx(ind["hv"] / HV(ref_point=ref)(Tn))
    assert ind["igd"] == pytest.approx(IGD(Tn)(An))
    assert ind["igd_plus"] == pytest.approx(IGDPlus(Tn)(An))
    same = front_indicators(TRUE, TRUE)
    assert same["hv_norm"] == pytest.approx(1.0) and same["igd"] == 0.0 and same["igd_plus"] == 0.0


def test_true_front_scores_one_and_a_subset_less():
    p = hw_problem("cifar10", "fpga")
    gt = p.ground_truth()
    full = front_quality(gt, gt.front_keys)
    assert full["hv_norm"] == pytest.approx(1.0) and full["igd_plus"] == pytest.approx(0.0)
    part = front_quality(gt, gt.front_keys[::2])
    assert 0 < part["hv_norm"] < 1 and part["igd"] > 0
    assert full["test"]["hv_norm"] <= 1.0 + 1e-12


def test_threshold_report_gap_and_failures():
    p = hw_problem("cifar10", "fpga")
    gt = p.ground_truth()
    rep = judge_thresholds(gt, gt.front_keys, p.thresholds)
    for r in rep:  # the true front contains every constrained optimum: zero gap, all feasible
        assert r["feasible"] and r["gap"] == pytest.approx(0.0) and r["proxy_gap"] == pytest.approx(0.0)
        assert r["gap_oracle"] >= -1e-9
    expensive = int(np.nanargmax(gt.cost))
    rep = judge_thresholds(gt, np.array([expensive]), p.thresholds)
    assert not any(r["feasible"] for r in rep) and all(r["gap"] is None for r in rep)
    answer = judge_thresholds(gt, np.array([expensive]), (p.thresholds[-1],), pick="answer")
    assert answer[0]["feasible"] is False


def test_band_excludes_disconnected_cells_from_the_normalisation():
    """raspi4: the cheapest arch is a disconnected cell at chance accuracy; it sets no nadir (hv is over the band)."""
    from nasbench_eval.spaces import nb201

    p = hw_problem("cifar10", "raspi4")
    gt = p.ground_truth()
    cheapest = int(np.nanargmin(gt.cost))
    assert nb201.is_disconnected(nb201.index_to_ops(cheapest)) and gt.test[cheapest] < 11
    band = band_front_keys(gt, "test")
    assert not nb201.is_disconnected(nb201.index_to_ops(band)).any()
    assert gt.test[band].min() > 80  # the band's nadir is a real network, not a 10 % cell
    # a random-search front (1,000 archs): normalised by the full front (nadir = the 10 % cell) it scores > 0.99
    from nasbench_eval.search import non_dominated

    keys = np.random.default_rng(0).choice(nb201.N_ARCHS, 1000, replace=False)
    keys = keys[non_dominated(gt.F(keys, "proxy"))]
    full = front_indicators(gt.F(keys, "proxy"), gt.front_F("proxy"))
    band = front_quality(gt, keys)
    assert full["hv_norm"] > 0.99 and band["hv_norm"] < full["hv_norm"] - 0.02
    assert band["true_front_size"] == len(band_front_keys(gt, "proxy")) < len(gt.front_keys)
