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
