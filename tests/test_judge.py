"""The judge: tie-safe costs (checked against an independent exhaustive enumeration), merged thresholds, picks,
constrained answers judged without HV, and the truth tables the result store keeps."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.judge import (
    COST_RTOL,
    constrained_optima,
    cost_le,
    cost_quantiles,
    judge_run,
    merge_thresholds,
    pick_per_threshold,
    snap_costs,
    truth_tables,
)
from nasbench_eval.problems import hw_constrained_problems, hw_problem
from nasbench_eval.spaces import nb201


def _physical(x) -> np.ndarray:
    """Independent notion of 'the same physical cost': equal when printed with 9 significant digits."""
    return np.array([float(f"{v:.9g}") if np.isfinite(v) else np.nan for v in np.asarray(x, dtype=float)])


def test_cost_le_treats_float_rounding_copies_as_equal_and_nothing_else():
    a, b = 4.8744200000000015, 4.874420000000002  # eyeriss latency: one physical value, two floats
    assert a < b and cost_le(b, a) and cost_le(a, b)
    near = (1.4874362989976362, 1.4874362999980804)  # edgetpu: two measurements 1 ns apart, really different
    assert not cost_le(near[1], near[0]) and cost_le(near[0], near[1])
    assert not cost_le(np.nan, 5.0) and not cost_le(5.0, np.nan)
    assert cost_le(np.array([1.0, 2.0, 3.0]), 2.0).tolist() == [True, True, False]
    assert 1e-15 < COST_RTOL < 1e-10


def test_snapping_gives_one_value_per_physical_cost(store):
    p = hw_problem("cifar10", "eyeriss")
    raw = np.asarray(store.column(p.cost_column), dtype=float)
    snapped = snap_costs(raw)
    assert len(np.unique(raw)) == 38 and len(np.unique(snapped)) == 27 == len(np.unique(_physical(raw)))
    # the two groupings agree arch by arch
    pairs = {(s, f) for s, f in zip(snapped, _physical(raw))}
    assert len(pairs) == 27
    assert np.all(cost_le(raw, snapped) & cost_le(snapped, raw))


@pytest.mark.parametrize("q", [0.1, 0.2, 0.3])
def test_eyeriss_quantile_thresholds_make_every_tied_arch_feasible(store, q):
    """Every arch whose cost is physically <= T is feasible (problem constraint and judge), by enumeration."""
    c = hw_problem("cifar10", "eyeriss", kind="constrained", quantile=q)
    T = c.threshold
    raw = np.asarray(store.column(c.cost_column), dtype=float)
    phys, T_phys = _physical(raw), float(f"{T:.9g}")
    expect = phys <= T_phys
    assert (phys == T_phys).any()  # the threshold is a cost some archs have
    keys = np.arange(nb201.N_ARCHS)
    ev = c.evaluate(nb201.index_to_ops(keys))
    assert np.array_equal(c.feasible(ev), expect)
    assert np.array_equal(c.G(ev)[:, 0] <= 0, expect)
    # the constrained optimum by brute force over the physical costs: best valid acc, then lower cost, then index
    valid = np.asarray(store.column(c.evaluator.columns["valid_acc"]), dtype=float)
    test = np.asarray(store.column(c.report_columns["test_acc"]), dtype=float)
    k = keys[expect]
    best = int(k[np.lexsort((k, phys[k], -valid[k]))[0]])
    (opt,) = constrained_optima(c.ground_truth(), [T])
    assert opt["feasible_archs"] == int(expect.sum())
    assert opt["opt_test_acc"] == pytest.approx(test[best]) and valid[opt["opt_index"]] == valid[best]
    assert opt["best_test_acc"] == pytest.approx(test[k].max())


def test_eyeriss_q02_optimum_is_the_tie_safe_one():
    """The issue's example: with plain float comparison the q0.2 optimum was 93.625; tie-safe it is 93.375."""
    c = hw_problem("cifar10", "eyeriss", kind="constrained", quantile=0.2)
    (opt,) = constrained_optima(c.ground_truth(), [c.threshold])
    assert opt["opt_test_acc"] == pytest.approx(93.375)


def test_physically_equal_quantile_thresholds_are_merged_and_noted():
    p = hw_problem("cifar10", "eyeriss")
    assert len(p.thresholds) == 8 and p.quantiles == (0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
    (m,) = p.info["merged_thresholds"]
    assert m["quantiles"] == [0.3, 0.4] and "judged once" in m["note"] and "4.87442 ms" in m["note"]
    assert len(hw_constrained_problems("cifar10", "eyeriss")) == 8
    fpga = hw_problem("cifar10", "fpga")  # distinct physical values: nothing merged
    assert len(fpga.thresholds) == 9 and "merged_thresholds" not in fpga.info
    ths, qs, merged = merge_thresholds([1.0, 1.0 + 1e-15, 2.0])
    assert ths == (1.0, 2.0) and qs is None and merged[0]["thresholds"] == [1.0, 1.0 + 1e-15]


def test_quantiles_inside_a_tie_group_are_the_group_value():
    cost = np.array([1.0, 2.0, 2.0 + 4e-16, 2.0 + 4e-16, 3.0])
    T = cost_quantiles(cost, [0.5, 0.6])
    assert T[0] == 2.0 and T[1] == 2.0  # np.quantile on raw floats would give 2.0000000000000004
    assert np.quantile(cost, 0.6) > 2.0


def test_pick_per_threshold_is_tie_safe():
    proxy = np.array([90.0, 95.0, 94.0, np.nan])
    cost = np.array([1.0, 2.0 + 4e-16, 1.5, 0.5])
    assert pick_per_threshold(proxy, cost, [2.0, 1.6, 1.2, 0.1]).tolist() == [1, 2, 0, -1]
    assert pick_per_threshold(proxy, cost, [2.0], sense="min").tolist() == [0]


def test_constrained_run_is_judged_by_gap_and_feasibility_without_hv():
    from nasbench_eval.search import get_algorithm, run

    c = hw_problem("cifar10", "eyeriss", kind="constrained", quantile=0.3)
    res = run(get_algorithm("random")(), c, 300, seed=0)
    j = judge_run(c, [r["index"] for r in res.chosen])
    assert j["kind"] == "constrained" and j["front"] is None and "hv_norm" not in j["summary"]
    (rec,) = j["per_threshold"]
    assert rec["feasible"] and rec["quantile"] == 0.3 and rec["gap"] >= 0


def test_bi_objective_judgment_and_truth_tables():
    p = hw_problem("cifar10", "eyeriss")
    gt = p.ground_truth()
    j = judge_run(p, gt.front_keys)
    assert j["summary"]["hv_norm"] == pytest.approx(1.0) and j["summary"]["mean_gap"] == pytest.approx(0.0)
    assert len(j["per_threshold"]) == 8 and j["threshold_notes"]
    t = truth_tables(p, "eyeriss")
    fr, th = t["truth_fronts"], t["truth_thresholds"]
    assert set(fr["space"]) == {"search", "test"} and set(fr["band"]) == {True, False}
    assert len(fr[(fr.space == "search") & ~fr.band]) == len(gt.front_keys)
    assert th["threshold"].tolist() == list(p.thresholds) and th["note"].str.contains("judged once").sum() == 1
    assert th["opt_test_acc"].tolist() == pytest.approx([r["opt_test_acc"] for r in j["per_threshold"]])


def test_judge_refuses_during_a_search():
    from nasbench_eval.tables.store import leakage_guard

    p = hw_problem("cifar10", "fpga")
    p.ground_truth()  # cached: the guard must still refuse
    with leakage_guard(), pytest.raises(RuntimeError, match="leakage"):
        judge_run(p, [0])


def test_result_store_keeps_the_truth_the_report_reads(tmp_path):
    from nasbench_eval.runner import load_results, parse_spec, run_experiment

    d = {"root_seed": 1, "seeds": 1, "budget": {"evaluations": 40},
         "algorithms": [{"name": "nsga2", "params": {"population_size": 10}}],
         "problems": [{"type": "hw", "device": "eyeriss", "metric": "latency", "kind": "bi-objective",
                       "label": "eyeriss"}]}
    run_experiment(parse_spec(d), tmp_path / "o", progress=False)
    r = load_results(tmp_path / "o")
    p = hw_problem("cifar10", "eyeriss")
    th = r.truth_thresholds
    assert th["threshold"].tolist() == list(p.thresholds) and set(th["problem"]) == {"eyeriss"}
    assert th["note"].str.contains("judged once").sum() == 1
    fr = r.truth_fronts
    band = fr[(fr.space == "test") & fr.band]
    assert len(band) and not nb201.is_disconnected(nb201.index_to_ops(band["key"].to_numpy())).any()
    assert r.manifest["truth"]["problems"] == ["eyeriss"]


def test_reproduce_hw_table_dedupes_merged_thresholds_and_reports_no_hv_for_picks(tmp_path):
    from nasbench_eval.reproduce.hw import hw_table
    from nasbench_eval.runner import load_results, parse_spec, run_experiment

    d = {"root_seed": 2, "seeds": 1, "budget": {"evaluations": 300},
         "algorithms": [{"name": "hw-evrsnas", "params": {"generations": 3}}, "random"],
         "problems": [{"type": "hw", "device": "eyeriss", "metric": "latency", "quantile": q, "label": f"e{q}"}
                      for q in (0.3, 0.4, 0.5)]}
    run_experiment(parse_spec(d), tmp_path / "e", progress=False)
    t = hw_table({"evrs": load_results(tmp_path / "e")}).set_index("algorithm")
    # q0.3 and q0.4 are one physical threshold on eyeriss: two distinct thresholds, two runs per answer
    assert t.loc["hw-evrsnas x2", "runs"] == 2 and np.isnan(t.loc["hw-evrsnas x2", "hv_norm"])
    assert t.loc["random x2 (240 evaluations per run)", "evaluations"] == 480
    one = t.loc["random (one run)"]
    assert one["evaluations"] == 300 and 0 < one["hv_norm"] < 1 and one["feasible"] == 1.0
