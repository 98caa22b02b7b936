"""pEvoNAS (arXiv 2203.01559): stage progression, elite-only op shrinking, convergence, AF table, DARTS genericity."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.pevonas import PEvoNAS
from nasbench_eval import run
from nasbench_eval.errors import ConfigError
from nasbench_eval.search.callbacks import Callback


def _drive(algo, problem, seed=0, budget=10_000, emit=None):
    """Run ask/tell by hand (keeps the algorithm object); returns the asked batches with their stage."""
    algo.setup(problem, np.random.default_rng(seed), emit=emit)
    batches, n = [], 0
    while not algo.finished and n < budget:
        archs = algo.ask()
        if len(archs) == 0:
            break
        batches.append((algo.stage, algo.op_mask.copy(), archs))
        algo.tell(archs, problem.evaluate(archs))
        n += len(archs)
    return batches


def test_stages_shrink_5_3_2_with_the_elites_top_ops(c10_problem):
    algo = PEvoNAS()
    seen = []
    batches = _drive(algo, c10_problem, emit=lambda event, stage, op_mask: seen.append((stage, op_mask.copy())))
    assert algo.finished and algo.stage == 2
    assert [s for s, _ in seen] == [0, 1, 2]
    assert [m.sum(1).tolist() for _, m in seen] == [[5] * 6, [3] * 6, [2] * 6]
    assert np.all(seen[2][1] <= seen[1][1])  # nested op sets
    # every proposed arch uses only the ops its edge keeps in that stage
    for stage, mask, archs in batches:
        assert np.all(np.take_along_axis(np.broadcast_to(mask, (len(archs), 6, 5)), archs[..., None], 2))


def test_elite_only_shrinking_rule(c10_problem):
    algo = PEvoNAS(progression=[None, 2], max_generations=3)
    algo.setup(c10_problem, np.random.default_rng(1))
    snapshots = []
    orig = algo._advance

    def spy(fitness):
        snapshots.append((algo.population.copy(), np.asarray(fitness).copy(), algo.stage))
        orig(fitness)

    algo._advance = spy
    while not algo.finished and algo.stage == 0:
        archs = algo.ask()
        algo.tell(archs, c10_problem.evaluate(archs))
    pop, fit, stage = snapshots[-1]
    assert stage == 0 and algo.stage == 1
    elite = pop[int(np.argmax(fit))]
    expected = np.zeros((6, 5), dtype=bool)
    np.put_along_axis(expected, np.argsort(-elite, axis=1)[:, :2], True, axis=1)
    assert np.array_equal(algo.op_mask, expected)


def test_convergence_break_and_max_generations(c10_problem):
    algo = PEvoNAS(progression=[None], convergence_break=3, max_generations=50)
    _drive(algo, c10_problem, seed=2)
    assert algo.finished and 3 <= algo.generation <= 50
    algo = PEvoNAS(progression=[None], convergence_break=100, max_generations=4)
    _drive(algo, c10_problem, seed=2)
    assert algo.finished and algo.generation == 4


def test_af_table_scopes(c10_problem):
    keys = {}
    for scope in ("stage", "run", "none"):
        res = run(PEvoNAS(af_table=scope), c10_problem, 5000, seed=3)
        keys[scope] = res.trajectory["key"]
        assert res.stopped_by == "algorithm"
    assert len(np.unique(keys["run"])) == len(keys["run"])  # one table: never the same arch twice
    assert len(keys["none"]) > len(keys["stage"]) > len(keys["run"])


def test_finds_a_good_cifar10_arch(c10_problem):
    res = [run(PEvoNAS(), c10_problem, 500, seed=s) for s in range(3)]
    assert np.mean([r.chosen[0]["metrics"]["valid_acc"] for r in res]) > 91.2


def test_same_seed_same_run_and_no_global_rng(c10_problem):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    a, b = run(PEvoNAS(), c10_problem, 150, seed=4), run(PEvoNAS(), c10_problem, 150, seed=4)
    assert np.array_equal(a.trajectory["key"], b.trajectory["key"]) and a.chosen == b.chosen
    assert not np.array_equal(a.trajectory["key"], run(PEvoNAS(), c10_problem, 150, seed=5).trajectory["key"])
    assert np.array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("params, match", [
    ({"progression": [None, 3, 4]}, "parameter 'progression' of algorithm 'pevonas' must be a non-empty list"),
    ({"progression": [3, None]}, "parameter 'progression' of algorithm 'pevonas' must be a non-empty list"),
    ({"progression": [None, 6]}, "parameter 'progression' of algorithm 'pevonas' must be a non-empty list"),
    ({"progression": []}, "parameter 'progression' of algorithm 'pevonas' must be a list of at least 1"),
    ({"af_table": "global"}, "parameter 'af_table' of algorithm 'pevonas' must be one of 'stage', 'run', 'none'"),
    ({"convergence_break": 0}, r"parameter 'convergence_break' of algorithm 'pevonas' must be an int in \[1, "),
])
def test_bad_parameters_are_clear_errors(c10_problem, params, match):
    with pytest.raises(ConfigError, match=match):
        run(PEvoNAS(**params), c10_problem, 10, seed=0)


def test_runs_unchanged_on_the_darts_space(darts_problem):
    problem = darts_problem()
    algo = PEvoNAS(progression=(None, 5, 2), max_generations=8)  # the paper's DARTS (S1) setting: 8 -> 5 -> 2 ops per edge
    masks = []

    class Stages(Callback):
        def on_stage(self, state, stage, op_mask):
            masks.append(op_mask.sum(1))

    res = run(algo, problem, 300, seed=0, callbacks=[Stages()])
    assert res.evaluations <= 300
    assert np.all(problem.space.is_valid(problem.space.from_key(res.trajectory["key"])))
    assert res.chosen[0]["metrics"]["score"] >= 8.0
    assert len(masks) >= 2 and masks[0].tolist() == [8] * 28 and masks[1].tolist() == [5] * 28
