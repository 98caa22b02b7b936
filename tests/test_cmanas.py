"""CMANAS (arXiv 2107.07266): the CMA-ES itself, the AF table, the decoded-mean answer, quality, DARTS genericity."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.cmanas import CMAES, CMANAS
from nasbench_eval import run
from nasbench_eval.errors import ConfigError


def test_cmaes_converges_on_a_rotated_ellipsoid():
    rng = np.random.default_rng(0)
    n = 10
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    scale = 10 ** np.linspace(0, 3, n)

    def f(X):
        return (((X - 1.0) @ Q.T * scale) ** 2).sum(1)

    es = CMAES(np.zeros(n), 1.3, rng)
    assert es.lam == 4 + int(np.floor(3 * np.log(n))) and es.mu == es.lam // 2
    assert np.isclose(es.weights[: es.mu].sum(), 1.0) and (es.weights[es.mu:] <= 0).all()
    for _ in range(600):
        es.tell(f(es.ask()))
    assert f(es.mean[None])[0] < 1e-8


def test_default_lambda_per_space(c10_problem, darts_problem):
    a = CMANAS()
    a.setup(c10_problem, np.random.default_rng(0))
    assert a.es.lam == 14 and a.es.sigma == 1.3 and np.all(a.es.mean == 0)  # NB201: n = 30
    b = CMANAS()
    b.setup(darts_problem(), np.random.default_rng(0))
    assert b.es.lam == 20  # DARTS: n = 224


def test_finds_a_good_cifar10_arch(c10_problem):
    res = [run(CMANAS(), c10_problem, 500, seed=s) for s in range(3)]
    assert all(r.stopped_by == "algorithm" and r.evaluations <= 25 * 15 + 1 for r in res)  # 25 generations
    assert np.mean([r.chosen[0]["metrics"]["valid_acc"] for r in res]) > 91.2


def test_af_table_no_repeated_evaluation_and_decoded_mean_answer(c10_problem):
    algo = CMANAS(generations=6)
    algo.setup(c10_problem, np.random.default_rng(3))
    asked, n_batches = [], 0
    while not algo.finished:
        archs = algo.ask()
        if len(archs) == 0:
            break
        asked.extend(np.atleast_1d(c10_problem.space.key(archs)).tolist())
        algo.tell(archs, c10_problem.evaluate(archs))
        n_batches += 1
    assert len(asked) == len(set(asked))  # every real evaluation is a new architecture
    assert algo.es.g == 6
    final_mean = c10_problem.space.decode_alpha(algo.es.mean.reshape(6, 5))
    assert np.array_equal(algo.result()[0], final_mean)  # the decoded mean after the last generation...
    assert c10_problem.space.key(final_mean) in asked  # ...which has been evaluated


def test_budget_counts_only_real_evaluations(c10_problem):
    res = run(CMANAS(generations=None), c10_problem, 120, seed=1)
    t = res.trajectory
    assert res.evaluations == 120 and not t["cached"].any() and len(np.unique(t["key"])) == 120
    # seed 2 converges: after 100 generations in a row of already-known archs it stops by itself (94 evaluations)
    res = run(CMANAS(generations=None), c10_problem, 120, seed=2)
    assert res.stopped_by == "algorithm" and res.evaluations == len(np.unique(res.trajectory["key"])) < 120


def test_same_seed_same_run_and_no_global_rng(c10_problem):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    a, b = run(CMANAS(), c10_problem, 100, seed=4), run(CMANAS(), c10_problem, 100, seed=4)
    assert np.array_equal(a.trajectory["key"], b.trajectory["key"]) and a.chosen == b.chosen
    assert not np.array_equal(a.trajectory["key"], run(CMANAS(), c10_problem, 100, seed=5).trajectory["key"])
    assert np.array_equal(np.random.get_state()[1], state)


def test_without_af_table_repeats_are_asked(c10_problem):
    res = run(CMANAS(af_table=False, generations=5), c10_problem, 1000, seed=0)
    assert res.evaluations == 5 * 15 + 1  # mean + 14 samples per generation, then the final mean


@pytest.mark.parametrize("params, match", [
    ({"sigma0": 0.0}, r"parameter 'sigma0' of algorithm 'cmanas' must be a float in \(0, "),
    ({"mean0": float("nan")}, r"parameter 'mean0' of algorithm 'cmanas' must be a float in"),
    ({"population_size": 1}, r"parameter 'population_size' of algorithm 'cmanas' must be None or an int in \[2, "),
    ({"af_table": "yes"}, r"parameter 'af_table' of algorithm 'cmanas' must be a bool"),
])
def test_bad_parameters_are_clear_errors(c10_problem, params, match):
    with pytest.raises(ConfigError, match=match):
        run(CMANAS(**params), c10_problem, 10, seed=0)


def test_runs_unchanged_on_the_darts_space(darts_problem):
    problem = darts_problem()
    res = run(CMANAS(generations=None), problem, 150, seed=0)
    assert res.evaluations == 150
    assert np.all(problem.space.is_valid(problem.space.from_key(res.trajectory["key"])))
    assert res.chosen[0]["metrics"]["score"] >= 5.0  # the decoded mean; random genotypes score 2.3 on average
