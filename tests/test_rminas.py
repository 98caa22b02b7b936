"""RMI-NAS strategy: warm-up threshold, stopping after N new good archs, the 'sum' answer."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.algorithms.rminas import RMINAS
from nasbench_eval.search import run
from nasbench_eval.search.run import make_rng
from nasbench_eval.spaces import nb201


def _drive(algo, problem, seed=0, max_steps=500):
    algo.setup(problem, make_rng(seed))
    steps = 0
    while not algo.finished and steps < max_steps:
        a = algo.ask()
        algo.tell(a, problem.evaluate(a))
        steps += 1
    return algo


def test_stops_after_n_new_good(c10_problem):
    algo = _drive(RMINAS(n_warmup=40, n_good=6), c10_problem)
    assert algo.finished and algo.n_new_good >= 6
    fit = algo.history.fitness
    assert algo.threshold == pytest.approx(np.quantile(fit[:40], 0.95))
    new_good = int(np.sum(fit[40:] > algo.threshold))
    assert new_good == algo.n_new_good and np.sum(fit[40:-1] > algo.threshold) < 6  # stopped right at N
    assert len(set(algo.history.keys.tolist())) == len(algo.history)  # never re-evaluates


def test_answer_is_the_per_edge_argmax_of_the_top_good(c10_problem):
    algo = _drive(RMINAS(n_warmup=40, n_good=6, n_top=5), c10_problem, seed=3)
    gk, gf = algo.good()
    top = nb201.index_to_ops(gk[:5])
    expected = np.argmax(nb201.ops_to_onehot(top).sum(axis=0), axis=1)
    assert np.array_equal(algo.result()[0], expected)


def test_works_with_a_minimised_loss_proxy(store):
    from nasbench_eval.evaluators.base import Evaluation, Evaluator
    from nasbench_eval.problems import nb201_problem
    from nasbench_eval.tables import dataset_view

    valid = np.asarray(store.column(dataset_view("cifar10").valid))

    class FakeLoss(Evaluator):
        metrics = ("rmi_loss",)
        store = None

        def _evaluate(self, archs):
            return Evaluation({"rmi_loss": 3.0 - valid[nb201.ops_to_index(archs)] / 100 * 3}, np.ones(len(archs)))

    p = nb201_problem("cifar10", evaluator=FakeLoss())
    assert p.objectives[0].sense == "min"
    res = run(RMINAS(n_warmup=40, n_good=5), p, 300, seed=0)
    assert res.stopped_by == "algorithm"
    assert res.chosen[0]["metrics"]["rmi_loss"] < np.quantile(3.0 - valid / 100 * 3, 0.2)


def test_refit_growth_zero_is_the_authors_schedule_bit_for_bit(c10_problem):
    """refit_growth=0 (a fit every step) gives the trajectories of the version that had only that schedule
    (digests recorded from it: algorithms/rminas.py before the refit schedule, seeds 0 and 1)."""
    import hashlib

    want = {0: (59, "fa25b04fa72c4162", 42), 1: (57, "e72a45c71729653e", 13390)}
    for seed, (n, digest, chosen) in want.items():
        res = run(RMINAS(n_warmup=40, n_good=10, n_candidates=300, refit_growth=0.0), c10_problem, 120, seed=seed)
        k = np.asarray(res.trajectory["key"], dtype=np.int64)
        assert (len(k), hashlib.sha256(k.tobytes()).hexdigest()[:16], res.chosen[0]["index"]) == (n, digest, chosen)


def test_refit_schedule_fits_geometrically_and_scores_the_whole_space(c10_problem, monkeypatch):
    fits, scored = [], []
    real = RMINAS._forest_proba

    def spy(self, y, X_score):
        fits.append(len(self.history))
        p = real(self, y, X_score)
        scored.append(p)
        return p

    monkeypatch.setattr(RMINAS, "_forest_proba", spy)
    algo = RMINAS(n_warmup=40, n_good=1000, n_candidates=200, refit_growth=0.5)
    algo.setup(c10_problem, make_rng(4))
    for _ in range(1 + 110):  # warm-up batch + 110 steps: 40 -> 150 evaluated archs
        a = algo.ask()
        algo.tell(a, c10_problem.evaluate(a))
    assert fits == [40, 60, 90, 135]  # refit once the evaluated set grew by 50 %
    assert all(len(p) == c10_problem.space.size for p in scored)  # one scoring of the whole space per fit
    assert len(set(algo.history.keys.tolist())) == len(algo.history) == 150


def _sklearn_forest(X, y, X_score, n_trees, seed):
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=n_trees, random_state=seed, n_jobs=1).fit(X, y)
    return rf.predict_proba(X_score)[:, list(rf.classes_).index(True)]


@pytest.mark.parametrize("case", range(12))
def test_forest_proba_is_sklearns_forest_bit_for_bit(case):
    """The lean forest gives RandomForestClassifier's probabilities exactly: one-hot NB201 data of RMI-NAS's sizes,
    dense random features, few rows with duplicates, a single positive, float64 input, odd tree counts."""
    from nasbench_eval.algorithms.rminas import _all_onehot, forest_proba

    rng = np.random.default_rng(case)
    if case < 4:
        X_all = _all_onehot()
        rows = rng.choice(len(X_all), size=int(rng.integers(40, 260)), replace=False)
        X, y, X_score = X_all[rows], rng.random(len(rows)) < 0.1, X_all
    elif case < 8:
        n = int(rng.integers(3, 60))
        X = rng.normal(size=(n, int(rng.integers(1, 12))))
        X[rng.integers(0, n, n // 3)] = X[0]  # duplicated rows
        y = rng.random(n) < 0.5
        y[:2] = [True, False]
        X_score = rng.normal(size=(200, X.shape[1]))
    else:
        X = (rng.random((30, 30)) < 0.2).astype(np.float64)
        y = np.zeros(30, dtype=bool)
        y[int(rng.integers(30))] = True  # one positive: most bootstraps miss it
        X_score = (rng.random((500, 30)) < 0.2).astype(np.float64)
    n_trees, seed = int(rng.integers(1, 40)), int(rng.integers(2**31 - 1))
    got = forest_proba(X, y, X_score, n_trees, seed)
    want = _sklearn_forest(X, y, X_score, n_trees, seed)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_forest_proba_without_the_tree_api_is_the_forest_itself(monkeypatch):
    import nasbench_eval.algorithms.rminas as mod

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 5)), rng.random(50) < 0.3
    fast = mod.forest_proba(X, y, X, 7, 11)
    monkeypatch.setattr(mod, "_tree_api", lambda: None)
    assert np.array_equal(mod.forest_proba(X, y, X, 7, 11), fast)
    with pytest.raises(ValueError, match="both classes"):
        mod.forest_proba(X, np.ones(50, dtype=bool), X, 7, 11)
