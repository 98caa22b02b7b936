"""NEvoNAS (arXiv 2204.00188): novelty with archive, pymoo operator settings, answer rule, ablations, DARTS."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.nevonas import NEvoNAS, NEvoNASAccuracyOnly, NEvoNASNoveltyOnly
from nasbench_eval import run
from nasbench_eval.errors import ConfigError


def _brute_novelty(space, batch, archive, k):
    out = []
    for i, a in enumerate(batch):
        d = [space.distance(a, b) for j, b in enumerate(batch) if j != i] + [space.distance(a, b) for b in archive]
        out.append(np.mean(sorted(d)[:k]))
    return np.array(out)


def test_novelty_matches_the_definition(c10_problem):
    algo = NEvoNAS()
    algo.setup(c10_problem, np.random.default_rng(0))
    space = c10_problem.space
    rng = np.random.default_rng(1)
    batch = space.random(rng, 20)
    batch[3] = batch[4]  # a duplicate inside the batch is a neighbour at distance 0
    assert np.allclose(algo.novelty(batch), _brute_novelty(space, batch, [], 5))
    archive = space.random(rng, 30)
    assert np.allclose(algo.novelty(batch, archive), _brute_novelty(space, batch, archive, 5))


def test_archive_holds_every_distinct_evaluated_genotype(c10_problem):
    algo = NEvoNAS(generations=4)
    algo.setup(c10_problem, np.random.default_rng(2))
    keys = set()
    while not algo.finished:
        archs = algo.ask()
        algo.tell(archs, c10_problem.evaluate(archs))
        keys |= set(np.atleast_1d(c10_problem.space.key(archs)).tolist())
    archive_keys = np.atleast_1d(c10_problem.space.key(algo.archive())).tolist()
    assert set(archive_keys) == keys and len(archive_keys) == len(keys)
    assert algo.generation == 4


def test_pymoo_operators_have_the_papers_settings(c10_problem):
    algo = NEvoNAS()
    algo.setup(c10_problem, np.random.default_rng(0))
    driver = algo._pymoo
    cx, mut = driver.crossover, driver.mutation
    assert cx.prob.value == 0.7 and cx.eta.value == 15 and cx.prob_var.value == 0.5
    assert mut.prob.value == 1.0 and mut.prob_var.value == 0.2 and mut.eta.value == 20
    assert driver.pop_size == 20 and driver.generations == 50
    assert driver.problem.n_var == 30 and driver.problem.n_obj == 2


def test_answer_is_best_search_fitness_of_the_first_front(c10_problem):
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    algo = NEvoNAS(generations=5)
    algo.setup(c10_problem, np.random.default_rng(3))
    while not algo.finished:
        archs = algo.ask()
        algo.tell(archs, c10_problem.evaluate(archs))
    pop = algo._pymoo.pop
    front = NonDominatedSorting().do(pop["F"], only_non_dominated_front=True)
    fit = c10_problem.fitness(c10_problem.evaluate(pop["arch"][front]))
    chosen = algo.result()[0]
    assert np.array_equal(chosen, pop["arch"][front][np.argmax(fit)])


def test_finds_a_good_cifar10_arch(c10_problem):
    res = [run(NEvoNAS(), c10_problem, 500, seed=s) for s in range(3)]
    assert np.mean([r.chosen[0]["metrics"]["valid_acc"] for r in res]) > 91.2


def test_same_seed_same_run_and_no_global_rng(c10_problem):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    a, b = run(NEvoNAS(), c10_problem, 100, seed=4), run(NEvoNAS(), c10_problem, 100, seed=4)
    assert np.array_equal(a.trajectory["key"], b.trajectory["key"]) and a.chosen == b.chosen
    assert not np.array_equal(a.trajectory["key"], run(NEvoNAS(), c10_problem, 100, seed=5).trajectory["key"])
    assert np.array_equal(np.random.get_state()[1], state)


def test_ablations(c10_problem):
    assert NEvoNASNoveltyOnly().objectives == "novelty" and NEvoNASAccuracyOnly().objectives == "accuracy"
    nov = run(NEvoNASNoveltyOnly(), c10_problem, 200, seed=0)
    acc = run(NEvoNASAccuracyOnly(), c10_problem, 200, seed=0)
    assert nov.evaluations == acc.evaluations == 200
    assert acc.chosen[0]["metrics"]["valid_acc"] > 88


def test_generations_stop_the_run(c10_problem):
    res = run(NEvoNAS(generations=3), c10_problem, 1000, seed=0)
    assert res.stopped_by == "algorithm" and res.evaluations <= 60


@pytest.mark.parametrize("params, match", [
    ({"objectives": "accuracy+novelty"}, "parameter 'objectives' of algorithm 'nevonas' must be one of 'both', "
                                         "'novelty', 'accuracy'"),
    ({"k_nearest": 0}, r"parameter 'k_nearest' of algorithm 'nevonas' must be None or an int in \[1, inf\)"),
    ({"crossover_eta": -1.0}, r"parameter 'crossover_eta' of algorithm 'nevonas' must be a float in \(0, inf\)"),
])
def test_bad_parameters_are_clear_errors(c10_problem, params, match):
    with pytest.raises(ConfigError, match=match):
        run(NEvoNAS(**params), c10_problem, 10, seed=0)


def test_runs_unchanged_on_the_darts_space(darts_problem):
    problem = darts_problem()
    res = run(NEvoNAS(), problem, 160, seed=0)
    assert res.evaluations == 160
    assert np.all(problem.space.is_valid(problem.space.from_key(res.trajectory["key"])))
    assert res.chosen[0]["metrics"]["score"] >= 5.0  # random genotypes score 2.3 on average
