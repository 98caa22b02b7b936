"""search/pymoo_kernels.py gives pymoo's SBX and polynomial mutation bit for bit, with the same draws."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.search import pymoo_kernels as K

pytest.importorskip("pymoo")


def _case(seed: int):
    """Random bounds (some columns fixed), parents (integer-valued, real-valued, or partly identical)."""
    from pymoo.core.problem import Problem

    rng = np.random.default_rng(seed)
    n_var = int(rng.integers(1, 9))
    xl = rng.integers(-3, 2, n_var).astype(float)
    xu = xl + rng.integers(0, 6, n_var)  # xu == xl in some columns: never crossed or mutated
    if seed % 3 == 0:
        xl, xu = xl - rng.random(n_var), xu + rng.random(n_var)  # real bounds
    n = int(rng.integers(1, 30))
    X = xl + (xu - xl) * rng.random((2, n, n_var))
    if seed % 2:
        X = np.rint(X)  # integer encodings (NB201): many equal parents
    X[1, : n // 3] = X[0, : n // 3]  # identical pairs: never crossed
    return Problem(n_var=n_var, xl=xl, xu=xu), X, rng


def _same(a, b) -> bool:
    """Equal bit for bit (-0.0 differs from 0.0, NaN equals NaN)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # pymoo's discarded branch; ours skips it
@pytest.mark.parametrize("kernel", ["_sbx_python", "_sbx_numpy"])
@pytest.mark.parametrize("block", range(4))
def test_sbx_is_pymoos_sbx(block, kernel):
    from pymoo.operators.crossover.sbx import SBX

    for seed in range(block * 500, (block + 1) * 500):
        problem, X, rng = _case(seed)
        op = SBX(prob_var=float(rng.choice([0.5, 1.0, rng.random()])), eta=float(rng.uniform(1.5, 30)),
                 prob_exch=float(rng.choice([1.0, rng.random()])), prob_bin=float(rng.choice([0.5, rng.random()])),
                 n_offsprings=int(rng.choice([1, 2])))
        params = K.sbx_params(op)
        assert params is not None
        want_rs, got_rs = np.random.default_rng(seed), np.random.default_rng(seed)
        want = op._do(problem, X, random_state=want_rs)
        got = getattr(K, kernel)(X, problem.xl, problem.xu, params, op.n_offsprings, got_rs)
        assert _same(got, want), seed
        assert got_rs.bit_generator.state == want_rs.bit_generator.state, seed  # the same draws


@pytest.mark.parametrize("kernel", ["_pm_python", "_pm_numpy"])
@pytest.mark.parametrize("block", range(4))
def test_pm_is_pymoos_polynomial_mutation(block, kernel):
    from pymoo.operators.mutation.pm import PM

    for seed in range(block * 500, (block + 1) * 500):
        problem, X, rng = _case(seed)
        prob_var = None if seed % 4 == 0 else float(rng.choice([0.2, 1.0, rng.random()]))
        op = PM(eta=float(rng.uniform(1.5, 30)), prob_var=prob_var)
        params = K.pm_params(op, problem.n_var)
        assert params is not None
        want_rs, got_rs = np.random.default_rng(seed), np.random.default_rng(seed)
        want = op._do(problem, X[0], random_state=want_rs)
        got = getattr(K, kernel)(X[0], problem.xl, problem.xu, params, got_rs)
        assert _same(got, want), seed
        assert got_rs.bit_generator.state == want_rs.bit_generator.state, seed


def test_small_batches_take_the_python_path_large_ones_numpy(monkeypatch):
    from pymoo.core.problem import Problem

    calls = []
    for name in ("_sbx_python", "_sbx_numpy", "_pm_python", "_pm_numpy"):
        monkeypatch.setattr(K, name, lambda *a, _n=name: calls.append(_n))
    p = Problem(n_var=6, xl=np.zeros(6), xu=np.full(6, 4.0))
    for n in (1, K.SMALL_SBX // 6, K.SMALL_SBX // 6 + 1):
        K.sbx(np.zeros((2, n, 6)), p.xl, p.xu, (15.0, 0.5, 1.0, 0.5), 2, None)
    for n in (1, K.SMALL_PM // 6, K.SMALL_PM // 6 + 1):
        K.pm(np.zeros((n, 6)), p.xl, p.xu, (20.0, 0.2), None)
    assert calls == ["_sbx_python"] * 2 + ["_sbx_numpy"] + ["_pm_python"] * 2 + ["_pm_numpy"]


def test_only_pymoos_own_operators_with_constant_parameters_run_as_kernels():
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.crossover.ux import UniformCrossover
    from pymoo.operators.mutation.pm import PM

    class MySBX(SBX):
        pass

    assert K.sbx_params(SBX(eta=15, prob=0.9)) == (15.0, 0.5, 1.0, 0.5)
    assert K.sbx_params(MySBX()) is None  # a subclass may change _do
    assert K.sbx_params(UniformCrossover()) is None
    odd = SBX()
    odd.eta = "15"
    assert K.sbx_params(odd) is None
    assert K.pm_params(PM(eta=20), 6) == (20.0, 1 / 6)  # pymoo's default per-variable probability
    assert K.pm_params(PM(eta=20, prob_var=0.2), 6) == (20.0, 0.2)
    assert K.pm_params(PM(eta=20, at_least_once=True), 6) is None  # extra draws: pymoo's own _do
