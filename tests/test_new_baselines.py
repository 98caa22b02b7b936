"""The baselines from other libraries and papers: local search, REINFORCE, optuna's TPE, and pymoo on our problems.
(The shared battery runs on each of them in test_algorithm_battery.py; these are their own behaviours.)"""
from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from nasbench_eval import run
from nasbench_eval.errors import ConfigError
from nasbench_eval.search import get_algorithm
from nasbench_eval.spaces import NB201Space, nb201

NEW = ("local-search", "reinforce", "optuna-tpe")


def test_registered_through_the_entry_point_group():
    from nasbench_eval.search.registry import _entry_points

    assert set(NEW) <= set(_entry_points())
    for name in NEW:
        cls = get_algorithm(name)
        assert re.search(r"(19|20)\d\d", cls.paper)  # every class cites its paper (authors, venue, year)
        assert re.search(r"(19|20)\d\d", sys.modules[cls.__module__].__doc__)


# ------------------------------------------------------------------------------------------------ local search
def test_one_position_neighbourhood_is_nb201s_one_edge_neighbourhood(rng):
    from nasbench_eval.algorithms.local_search import one_position_neighbours

    arch = nb201.random_ops(rng)
    got = one_position_neighbours(NB201Space(), arch)
    assert len(got) == 24
    assert {tuple(a) for a in got} == {tuple(a) for a in nb201.neighbours(arch)}


def test_one_position_neighbourhood_on_darts_is_valid_and_distinct(rng):
    from nasbench_eval.algorithms.local_search import one_position_neighbours
    from nasbench_eval.spaces.darts import DartsSpace

    space = DartsSpace()
    arch = space.random(rng, 1)[0]
    got = one_position_neighbours(space, arch)
    keys = np.atleast_1d(space.key(got))
    assert len(got) > 50 and space.is_valid(got).all() and len(set(keys)) == len(keys)
    assert space.key(arch) not in set(keys)


def test_local_search_never_asks_twice_and_moves_only_uphill(c10_problem):
    res = run(get_algorithm("local-search")(), c10_problem, 400, seed=3)
    keys = res.trajectory["key"]
    assert len(np.unique(keys)) == len(keys) == 400
    assert res.chosen[0]["index"] == 6111  # NB201's cifar10 optimum (valid 91.61, test 94.37)


def test_local_search_restarts_at_a_local_optimum():
    """On a needle-free plateau every neighbourhood is exhausted at once: each exhaustion costs one restart."""
    from nasbench_eval import Evaluation, Evaluator, Objective, Problem

    class Flat(Evaluator):
        metrics = ("score",)
        arch_shape = (6,)

        def _evaluate(self, archs):
            return Evaluation({"score": np.zeros(len(archs))}, np.ones(len(archs)))

    res = run(get_algorithm("local-search")(num_init=1), Problem(NB201Space(), Flat(), (Objective("score"),)), 75,
              seed=0)
    # 1 initial + 24 neighbours, then restart (1) + 24 neighbours, ... : a new start at evaluations 1, 26, 51
    assert res.evaluations == 75 and len(np.unique(res.trajectory["key"])) == 75


def test_steepest_ascent_variant_runs_and_differs(c10_problem):
    a = run(get_algorithm("local-search")(first_improvement=False), c10_problem, 200, seed=1)
    b = run(get_algorithm("local-search")(), c10_problem, 200, seed=1)
    assert not np.array_equal(a.trajectory["key"], b.trajectory["key"])
    assert a.trajectory["key"][:10].tolist() == b.trajectory["key"][:10].tolist()  # same random start


# ------------------------------------------------------------------------------------------------ REINFORCE
def test_reinforce_gradient_is_the_policy_gradient(c10_problem):
    """Closed-form d/dlogits of -(r - b) * sum log p(a) equals a finite-difference derivative."""
    algo = get_algorithm("reinforce")()
    algo.setup(c10_problem, np.random.default_rng(0))
    algo._logits = np.random.default_rng(1).normal(size=algo._logits.shape)
    arch, adv = np.array([3, 1, 4, 0, 2, 3]), 2.5

    def loss(logits):
        z = logits - logits.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -adv * logp[np.arange(6), arch].sum()

    onehot = np.eye(5)[arch]
    closed = -adv * (onehot - algo.probabilities())
    num = np.zeros_like(closed)
    for idx in np.ndindex(*closed.shape):
        d = np.zeros_like(closed)
        d[idx] = 1e-6
        num[idx] = (loss(algo._logits + d) - loss(algo._logits - d)) / 2e-6
    np.testing.assert_allclose(closed, num, atol=1e-6)


def test_reinforce_first_update_has_zero_advantage_and_the_policy_learns(c10_problem):
    """The bias-corrected EMA equals the first reward, so the first step changes nothing (as in NB201's script);
    over 500 steps the policy concentrates on architectures better than the median."""
    algo = get_algorithm("reinforce")()
    algo.setup(c10_problem, np.random.default_rng(0))
    before = algo._logits.copy()
    archs = algo.ask()
    algo.tell(archs, c10_problem.evaluate(archs))
    np.testing.assert_array_equal(algo._logits, before)
    for _ in range(499):
        archs = algo.ask()
        algo.tell(archs, c10_problem.evaluate(archs))
    mode = algo.probabilities().argmax(1)
    valid = c10_problem.evaluate(mode[None]).values["valid_acc"][0]
    all_valid = c10_problem.evaluate(nb201.index_to_ops(np.arange(nb201.N_ARCHS))).values["valid_acc"]
    assert valid > np.nanpercentile(all_valid, 90)
    assert algo.probabilities().max(1).mean() > 0.3  # no longer uniform (0.2); 0.34 measured at seed 0


def test_reinforce_learns_nothing_from_infeasible_before_a_feasible_reward(rng):
    from nasbench_eval.problems.hw import hw_problem

    problem = hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.001)
    res = run(get_algorithm("reinforce")(), problem, 200, seed=0)
    assert res.evaluations == 200  # runs; the battery checks the answer is feasible when any evaluated one was


# ------------------------------------------------------------------------------------------------ optuna TPE
def test_optuna_missing_is_one_clear_line(c10_problem, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ConfigError, match=r"needs optuna: pip install \"nasbench-eval\[optuna\]\""):
        run(get_algorithm("optuna-tpe")(), c10_problem, 10, seed=0)


def test_optuna_tpe_asks_distinct_archs_and_passes_constraints_to_optuna():
    pytest.importorskip("optuna")
    from nasbench_eval.problems.hw import hw_problem

    problem = hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.3)
    algo = get_algorithm("optuna-tpe")()
    res = run(algo, problem, 120, seed=5)
    assert len(np.unique(res.trajectory["key"])) == len(res.trajectory["key"]) == 120
    assert res.chosen[0]["metrics"]["fpga_latency_ms"] <= problem.constraints[0].threshold
    # run() works on a copy; drive one by hand to look at the study optuna kept
    algo.setup(problem, np.random.default_rng(5))
    archs = algo.ask()
    algo.tell(archs, problem.evaluate(archs))
    trial = algo._study.trials[-1]
    G = problem.G(problem.evaluate(archs))[0, 0]
    assert trial.value == problem.fitness(problem.evaluate(archs))[0]
    stored = [v for k, v in {**trial.system_attrs, **trial.user_attrs}.items() if "constraint" in k or "_G" in k]
    assert stored and np.ravel(stored)[0] == pytest.approx(G)


def test_optuna_tpe_seed_comes_from_the_generator(c10_problem):
    pytest.importorskip("optuna")
    a = run(get_algorithm("optuna-tpe")(), c10_problem, 40, seed=np.random.default_rng(11))
    b = run(get_algorithm("optuna-tpe")(), c10_problem, 40, seed=np.random.default_rng(11))
    c = run(get_algorithm("optuna-tpe")(), c10_problem, 40, seed=np.random.default_rng(12))
    assert a.trajectory["key"].tolist() == b.trajectory["key"].tolist() != c.trajectory["key"].tolist()


# ------------------------------------------------------------------------------------------------ pymoo
def test_any_pymoo_algorithm_runs_on_our_problem(c10_problem):
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize

    from nasbench_eval.search.pymoo_problem import as_pymoo_problem

    pp = as_pymoo_problem(c10_problem)
    assert (pp.n_var, pp.n_obj, pp.n_ieq_constr, pp.vtype) == (6, 1, 0, int)
    res = minimize(pp, GA(pop_size=20, sampling=IntegerRandomSampling(), eliminate_duplicates=True),
                   ("n_evals", 300), seed=1)
    chosen = pp.describe(res.X)[0]
    assert res.F[0] == pytest.approx(-chosen["metrics"]["valid_acc"])
    assert pp.n_evaluated == 300 and chosen["metrics"]["test_acc"] > 93.5


def test_pymoo_sees_our_constraints_and_answers_feasibly():
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize

    from nasbench_eval.problems.hw import hw_problem
    from nasbench_eval.search.pymoo_problem import as_pymoo_problem

    problem = hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.2)
    pp = as_pymoo_problem(problem)
    assert pp.n_ieq_constr == 1
    res = minimize(pp, GA(pop_size=20, sampling=IntegerRandomSampling(), eliminate_duplicates=True),
                   ("n_evals", 200), seed=2)
    assert res.G[0] <= 0 and pp.describe(res.X)[0]["metrics"]["fpga_latency_ms"] <= problem.constraints[0].threshold


def test_pymoo_problem_decodes_by_rounding_and_refuses_darts(c10_problem, darts_problem):
    from nasbench_eval.search.pymoo_problem import as_pymoo_problem

    pp = as_pymoo_problem(c10_problem)
    np.testing.assert_array_equal(pp.decode([[0.4, 1.6, 4.9, -0.3, 2.5, 3.0]]), [[0, 2, 4, 0, 2, 3]])
    out = pp.evaluate(np.array([[3, 3, 3, 1, 3, 2]]), return_as_dictionary=True)
    assert out["F"][0, 0] == pytest.approx(-91.6067, abs=1e-4)  # NB201 #6111's validation accuracy, negated
    with pytest.raises(ConfigError, match=r"as_pymoo_problem supports .* \(nb201\); got space .darts."):
        as_pymoo_problem(darts_problem())


def test_the_pymoo_example_in_the_docs_runs(capsys):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "algorithms.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S) if "as_pymoo_problem" in b]
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/algorithms.md", "exec"), {})
    arch, test_acc, latency, n = capsys.readouterr().out.split()
    assert nb201.parse_arch(arch) and float(test_acc) > 90 and int(n) == 500


# ------------------------------------------------------------------------------------------------ quality (30 seeds)
@pytest.mark.slow
@pytest.mark.parametrize("name, floor", [("local-search", 94.3), ("reinforce", 94.05), ("optuna-tpe", 94.2)])
def test_quality_on_cifar10_over_30_seeds(c10_problem, name, floor):
    """30 seeds x 500 evaluations on NB201 cifar10: mean test accuracy of the answer (random search: about 94.0;
    docs/algorithms.md lists the measured means)."""
    test = [run(get_algorithm(name)(), c10_problem, 500, seed=s).chosen[0]["metrics"]["test_acc"] for s in range(30)]
    assert np.mean(test) >= floor
