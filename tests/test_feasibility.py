"""Feasibility first: Deb's rules in one place, and feasible answers from every registered algorithm.

The constrained problem is the one a user reported: cifar10 accuracy under a pixel3 latency limit at the 0.3
quantile of the device's latency (7.5 ms), where the most accurate architectures are all infeasible.
"""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval import Algorithm, Evaluation, get_algorithm, run
from nasbench_eval.errors import ConfigError
from nasbench_eval.search import available
from nasbench_eval.search.selection import better, deb_best, deb_key, deb_order

SEEDS = (0, 1, 2, 3, 4)
BUDGET = 110


# ------------------------------------------------------------------------------------------------ Deb's rules
def test_deb_rules_on_a_known_case():
    fit = np.array([95.0, 90.0, 91.0, 80.0, -np.inf, 97.0])
    viol = np.array([0.0, 0.0, 0.5, 0.2, 0.0, np.inf])
    # feasible by fitness (0, 1, then 4 whose metric is missing), then infeasible by violation (3, 2, 5)
    assert deb_order(fit, viol).tolist() == [0, 1, 4, 3, 2, 5]
    assert deb_best(fit, viol) == 0
    key = deb_key(fit, viol)
    assert np.argsort(-key, kind="stable").tolist() == [0, 1, 4, 3, 2, 5]
    assert better(60.0, 0.0, 99.0, 1e-9) and better(60.0, 0.1, 99.0, 0.2) and better(61.0, 0.0, 60.0, 0.0)
    assert not better(60.0, 0.0, 60.0, 0.0)  # equal rows: neither is better


def test_without_constraints_deb_is_plain_argmax_and_stable_sort():
    rng = np.random.default_rng(0)
    for _ in range(50):
        fit = rng.integers(0, 6, size=12).astype(float)  # many ties
        fit[rng.random(12) < 0.2] = -np.inf
        zero = np.zeros(12)
        assert deb_best(fit, zero) == int(np.argmax(fit))
        assert deb_order(fit, zero).tolist() == np.argsort(-fit, kind="stable").tolist()
        key = deb_key(fit, zero)
        assert np.array_equal(np.argsort(-key, kind="stable"), np.argsort(-fit, kind="stable"))
        assert all((key[i] == key[j]) == (fit[i] == fit[j]) for i in range(12) for j in range(12))


def test_nan_inputs_count_as_the_worst():
    assert deb_best([np.nan, 1.0], [0.0, 0.0]) == 1
    assert deb_best([5.0, 1.0], [np.nan, 3.0]) == 1
    with pytest.raises(ValueError):
        deb_best([], [])


# ------------------------------------------------------------------------------------------------ the problem
@pytest.fixture(scope="module")
def pixel3():
    from nasbench_eval.problems.hw import hw_problem

    return hw_problem("cifar10", "pixel3", "latency", kind="constrained", quantile=0.3)


def test_violation_is_the_excess_over_the_threshold(pixel3):
    T = pixel3.constraints[0].threshold
    cost = np.array([T - 1.0, T, T + 0.5, np.nan])
    ev = Evaluation({"valid_acc": np.full(4, 90.0), "pixel3_latency_ms": cost}, np.zeros(4))
    v = pixel3.violation(ev)
    assert v[0] == 0 and v[1] == 0 and v[2] == pytest.approx(0.5) and v[3] == np.inf
    assert np.array_equal(v == 0, pixel3.feasible(ev))


def _feasible_answer(problem, res) -> tuple[bool, int]:
    """(every chosen arch feasible, number of distinct feasible archs the search evaluated)."""
    m, T = problem.constraints[0].metric, problem.constraints[0].threshold
    lat = np.asarray(res.trajectory[m], dtype=float)
    n_feasible = len(np.unique(res.trajectory["key"][np.isfinite(lat) & (lat <= T)]))
    chosen = [c["metrics"][m] for c in res.chosen]
    return bool(chosen) and all(c is not None and c <= T for c in chosen), n_feasible


@pytest.mark.parametrize("name", available())
def test_every_algorithm_answers_feasibly_on_a_constrained_problem(name, pixel3):
    cls = get_algorithm(name)
    if not getattr(cls, "handles_constraints", True):
        with pytest.raises(ConfigError, match="handles_constraints"):
            run(cls(), pixel3, BUDGET, seed=0)
        return
    for seed in SEEDS:
        res = run(cls(), pixel3, BUDGET, seed=seed)
        ok, n_feasible = _feasible_answer(pixel3, res)
        assert n_feasible > 0, f"{name} seed {seed} evaluated no feasible architecture in {BUDGET}"
        assert ok, f"{name} seed {seed}: infeasible answer {res.chosen} although {n_feasible} feasible were seen"


def test_feasibility_first_beats_the_most_accurate_infeasible_answer(pixel3, c10_problem):
    """EvNAS's answer used to be the most accurate arch of its last generation, infeasible on every seed."""
    from nasbench_eval.algorithms.evnas import EvNAS

    res = run(EvNAS(), pixel3, 300, seed=0)
    free = run(EvNAS(), c10_problem, 300, seed=0)
    T = pixel3.constraints[0].threshold
    assert res.chosen[0]["metrics"]["pixel3_latency_ms"] <= T
    assert free.chosen[0]["metrics"]["valid_acc"] > res.chosen[0]["metrics"]["valid_acc"]  # the limit costs accuracy


# ------------------------------------------------------------------------------------------------ refusal
class _Greedy(Algorithm):
    name = "greedy-no-constraints"
    summary = "test double that cannot handle constraints"
    handles_constraints = False

    def ask(self):
        return self.space.random(self.rng, 5)


def test_an_algorithm_that_cannot_handle_constraints_is_refused_up_front(pixel3, c10_problem):
    with pytest.raises(ConfigError, match=r"'greedy-no-constraints' declares handles_constraints = False and cannot "
                                          r"run on the constrained problem .*pixel3_latency_ms <= 7\.5"):
        _Greedy().setup(pixel3, np.random.default_rng(0))
    assert run(_Greedy(), c10_problem, 10, seed=0).evaluations == 10  # unconstrained problems are fine


def test_feasible_first_keeps_feasible_members_and_falls_back_to_deb(pixel3):
    algo = get_algorithm("random")()
    algo.setup(pixel3, np.random.default_rng(1))
    archs = pixel3.space.from_key(np.arange(0, 15625, 125)).reshape(-1, 6)
    ev = pixel3.evaluate(archs)
    algo.tell(archs, ev)
    feas = pixel3.feasible(ev)
    assert feas.any() and (~feas).any()
    infeasible, feasible = archs[~feas][:2], archs[feas][:1]
    kept = algo.feasible_first(np.concatenate([infeasible, feasible]))
    assert np.array_equal(kept, feasible)
    fallback = algo.feasible_first(infeasible)
    best = deb_best(pixel3.fitness(ev), pixel3.violation(ev))
    assert np.array_equal(fallback, archs[[best]]) and feas[best]


def test_the_run_check_refuses_the_pair_before_any_cell_runs():
    from nasbench_eval.runner.spec import check_problems, parse_spec

    spec = parse_spec({"name": "refusal", "root_seed": 0, "seeds": 1, "budget": 10,
                       "algorithms": [f"{__name__}:_Greedy", "random"],
                       "problems": [{"type": "hw", "dataset": "cifar10", "device": "pixel3", "metric": "latency",
                                     "quantile": 0.3}]})
    with pytest.raises(ConfigError, match=r"greedy-no-constraints.*handles_constraints = False"):
        check_problems(spec)
