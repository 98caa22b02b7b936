"""EvNAS (arXiv 2012.12540): quality on NB201, determinism, generation semantics, ablations, DARTS genericity."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.evnas import EvNAS
from nasbench_eval import run
from nasbench_eval.errors import ConfigError


def test_finds_a_good_cifar10_arch(c10_problem):
    res = [run(EvNAS(), c10_problem, 500, seed=s) for s in range(3)]
    assert all(r.evaluations == 500 for r in res)
    assert np.mean([r.chosen[0]["metrics"]["valid_acc"] for r in res]) > 91.2  # optimum 91.61, RS(500) ~91.3


def test_same_seed_same_run_and_no_global_rng(c10_problem):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    a, b = run(EvNAS(), c10_problem, 150, seed=4), run(EvNAS(), c10_problem, 150, seed=4)
    assert np.array_equal(a.trajectory["key"], b.trajectory["key"]) and a.chosen == b.chosen
    assert not np.array_equal(a.trajectory["key"], run(EvNAS(), c10_problem, 150, seed=5).trajectory["key"])
    assert np.array_equal(np.random.get_state()[1], state)


def test_one_generation_is_the_whole_population_and_answer_is_best_of_last(c10_problem):
    algo = EvNAS(population_size=12, tournament_size=4, generations=3)
    algo.setup(c10_problem, np.random.default_rng(0))
    told = []
    while not algo.finished:
        archs = algo.ask()
        assert archs.shape == (12, 6)
        assert np.array_equal(archs, c10_problem.space.decode_alpha(algo.population))
        ev = c10_problem.evaluate(archs)
        algo.tell(archs, ev)
        told.append((archs, c10_problem.fitness(ev)))
    assert len(told) == 3 and algo.generation == 3
    last_archs, last_fit = told[-1]
    assert np.array_equal(algo.result()[0], last_archs[np.argmax(last_fit)])
    # the elite survives: the best of generation g is in generation g + 1
    best0 = told[0][0][np.argmax(told[0][1])]
    assert any(np.array_equal(best0, a) for a in told[1][0])


def test_generations_stop_the_run(c10_problem):
    res = run(EvNAS(generations=2), c10_problem, 1000, seed=0)
    assert res.evaluations == 100 and res.stopped_by == "algorithm"


def test_truncated_last_generation(c10_problem):
    res = run(EvNAS(), c10_problem, 75, seed=0)  # 1.5 generations
    assert res.evaluations == 75 and res.chosen[0]["metrics"]["valid_acc"] is not None


@pytest.mark.parametrize("params", [{"crossover_row_prob": 0.0}, {"mutation_rate": 0.0}, {"n_elites": 0}])
def test_ablations_run(c10_problem, params):
    res = run(EvNAS(**params), c10_problem, 300, seed=1)
    assert res.evaluations == 300 and res.chosen[0]["metrics"]["valid_acc"] > 88


@pytest.mark.parametrize("params, match", [
    ({"population_size": 1}, r"parameter 'population_size' of algorithm 'evnas' must be an int in \[2, inf\)"),
    ({"tournament_size": 60}, r"parameter 'tournament_size' of algorithm 'evnas' must be at most population_size "
                              r"= 50; got 60"),
    ({"n_elites": 50}, r"parameter 'n_elites' of algorithm 'evnas' must be at most population_size - 1 = 49"),
    ({"mutation_rate": -0.1}, r"parameter 'mutation_rate' of algorithm 'evnas' must be a float in \[0, 1\]"),
    ({"generations": 0}, r"parameter 'generations' of algorithm 'evnas' must be None or an int in \[1, inf\)"),
])
def test_bad_parameters_are_clear_errors(c10_problem, params, match):
    with pytest.raises(ConfigError, match=match):
        run(EvNAS(**params), c10_problem, 10, seed=0)


def test_runs_unchanged_on_the_darts_space(darts_problem):
    problem = darts_problem()
    res = run(EvNAS(), problem, 300, seed=0)
    assert res.evaluations == 300
    assert np.all(problem.space.is_valid(problem.space.from_key(res.trajectory["key"])))
    assert res.chosen[0]["metrics"]["score"] >= 8.0  # random genotypes score 2.3 on average, 6.6 at best of 1000
