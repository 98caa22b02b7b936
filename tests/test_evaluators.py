import numpy as np
import pytest
from scipy import stats

from nasbench_eval.errors import ConfigError
from nasbench_eval.evaluators.cache import CachedEvaluator
from nasbench_eval.evaluators.noise import ProxyNoiseEvaluator
from nasbench_eval.evaluators.tabular import TabularEvaluator
from nasbench_eval.spaces import nb201
from nasbench_eval.tables import dataset_view


@pytest.fixture(scope="module")
def tab(store):
    return TabularEvaluator({"valid_acc": dataset_view("cifar10").valid}, store=store)


def test_tabular_refuses_test_columns(store):
    with pytest.raises(ConfigError, match="test column"):
        TabularEvaluator({"acc": dataset_view("cifar10").test}, store=store)


def test_tabular_values_and_cost(tab, store):
    ops = nb201.index_to_ops([6111, 0])
    ev = tab.evaluate(ops)
    assert ev.values["valid_acc"][0] == pytest.approx(91.6067, abs=1e-4)
    assert np.array_equal(ev.cost, [1.0, 1.0]) and not ev.cached.any()


def test_cache_hits_are_free_and_persist(tab, tmp_path):
    path = tmp_path / "af.jsonl"
    c = CachedEvaluator(tab, path)
    ops = nb201.index_to_ops([1, 2, 1])
    ev = c.evaluate(ops)
    assert list(ev.cached) == [False, False, True] and ev.cost[2] == 0
    assert ev.values["valid_acc"][0] == ev.values["valid_acc"][2]
    c2 = CachedEvaluator(tab, path)  # a resumed run reads the table back
    ev2 = c2.evaluate(ops[:2])
    assert ev2.cached.all() and np.array_equal(ev2.values["valid_acc"], ev.values["valid_acc"][:2])
    with open(path, "a") as fh:
        fh.write('{"torn": ')  # an interrupted write must not break the next load
    assert len(CachedEvaluator(tab, path)) == 2


@pytest.mark.parametrize("tau", [0.3, 0.6, 0.9])
def test_proxy_noise_hits_the_target_tau(tab, store, tau):
    noisy = ProxyNoiseEvaluator(tab, tau, noise_seed=1)
    assert abs(noisy.achieved_tau - tau) < 0.02
    ops = nb201.index_to_ops(np.arange(0, 15625, 7))
    ev = noisy.evaluate(ops)
    truth = tab.evaluate(ops).values["valid_acc"]
    assert abs(stats.kendalltau(truth, ev.values["noisy_valid_acc"]).statistic - tau) < 0.05
    # same arch, same noisy score (a frozen proxy); marginals preserved
    assert np.array_equal(noisy.evaluate(ops[:5]).values["noisy_valid_acc"], ev.values["noisy_valid_acc"][:5])
    assert np.isclose(np.median(noisy.noisy), np.median(store.column(tab.columns["valid_acc"])), atol=0.5)


def test_proxy_noise_validates(tab):
    with pytest.raises(ConfigError, match="target_tau"):
        ProxyNoiseEvaluator(tab, 1.5, noise_seed=0)


# ------------------------------------------------------------------------------------------------ leakage guard
def _problem(evaluator):
    from nasbench_eval import Objective, Problem
    from nasbench_eval.spaces import NB201Space

    return Problem(NB201Space(), evaluator, (Objective(evaluator.metrics[0]),),
                   report_columns={"test_acc": dataset_view("cifar10").test}, name="chain")


def test_the_guard_finds_the_store_at_any_depth_of_the_wrapper_chain(tab, store):
    from nasbench_eval.evaluators.base import stores_in
    from nasbench_eval.search import run

    deep = CachedEvaluator(ProxyNoiseEvaluator(tab, target_tau=0.5, noise_seed=1))
    assert stores_in(deep) == [store] and stores_in(CachedEvaluator(deep)) == [store]
    problem = _problem(deep)
    test_col = dataset_view("cifar10").test
    with problem.search_guard():
        with pytest.raises(RuntimeError, match="leakage"):
            store.column(test_col)
        store.column(dataset_view("cifar10").valid)  # search metrics stay readable
    assert np.isfinite(store.column(test_col)).all()  # and test ones again after the search

    class Peek(__import__("nasbench_eval").Algorithm):
        name = "peek"

        def ask(self):
            return self.space.random(self.rng, 2)

        def result(self):  # chooses its answer by test accuracy: NEvoNAS's reference-code leak
            archs = np.concatenate(self.archive_archs)
            return archs[[int(np.argmax(self.problem.report(archs)["test_acc"]))]]

    with pytest.raises(RuntimeError, match="leakage"):
        run(Peek(), problem, 10, seed=0)


def test_the_ground_truth_and_the_raw_array_are_closed_during_a_search(store):
    from nasbench_eval.problems.ground_truth import ground_truth
    from nasbench_eval.problems.hw import hw_problem
    from nasbench_eval.search import run

    problem = hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.5)
    ground_truth(problem)  # cached before the search: the cache must not be a way around the guard
    assert not hasattr(store, "values")  # the raw (columns x archs) array is private
    assert store.all_values().shape == store.shape and not store.all_values().flags.writeable

    class Oracle(__import__("nasbench_eval").Algorithm):
        name = "oracle"

        def ask(self):
            return self.space.random(self.rng, 2)

        def result(self):
            return self.space.from_key([int(np.nanargmax(ground_truth(self.problem).test))]).reshape(1, -1)

    with pytest.raises(RuntimeError, match="leakage"):
        run(Oracle(), problem, 10, seed=0)
    with problem.search_guard(), pytest.raises(RuntimeError, match="leakage"):
        store.all_values()
