"""One battery of checks that every registered algorithm must pass (scikit-learn's estimator checks in spirit).

Algorithms are discovered through the entry-point group, exactly as a user's plug-in would be. An algorithm that
needs a hardware-aware problem declares ``battery_problem = "hw"`` and gets ``problems.hw.battery_problem(cls)``.
Known exceptions are declared in KNOWN_EXCEPTIONS with a reason.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from nasbench_eval import Evaluation, Evaluator, Problem, get_algorithm, run
from nasbench_eval.search import available

BUDGET = 120
ALGORITHMS = available()
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _problem_for(cls, c10_problem):
    if getattr(cls, "battery_problem", None) == "hw":
        from nasbench_eval.problems import hw

        return hw.battery_problem(cls)
    return c10_problem


def _digest(res) -> str:
    t = res.trajectory
    h = hashlib.sha256()
    for k in sorted(t):
        h.update(k.encode())
        h.update(np.ascontiguousarray(t[k]).tobytes())
    return h.hexdigest()


def _skip_known(name, check):
    if (name, check) in KNOWN_EXCEPTIONS:
        pytest.skip(KNOWN_EXCEPTIONS[(name, check)])


@pytest.fixture(params=ALGORITHMS)
def algo(request, c10_problem):
    cls = get_algorithm(request.param)
    return request.param, cls, _problem_for(cls, c10_problem)


def test_registry_is_not_empty():
    assert {"random", "rea", "nsga2"} <= set(ALGORITHMS)


def test_same_seed_same_trajectory_different_seed_differs(algo):
    name, cls, problem = algo
    _skip_known(name, "determinism")
    a, b = run(cls(), problem, BUDGET, seed=7), run(cls(), problem, BUDGET, seed=7)
    assert _digest(a) == _digest(b)
    assert [c["index"] for c in a.chosen] == [c["index"] for c in b.chosen]
    c = run(cls(), problem, BUDGET, seed=8)
    assert not np.array_equal(a.trajectory["key"], c.trajectory["key"])


def test_budget_respected_and_archs_valid(algo):
    name, cls, problem = algo
    res = run(cls(), problem, BUDGET, seed=1)
    t = res.trajectory
    assert res.evaluations <= BUDGET
    assert int((~t["cached"]).sum()) == res.evaluations
    assert np.all((t["key"] >= 0) & (t["key"] < problem.space.size))
    assert len(res.chosen) >= 1
    for c in res.chosen:
        assert problem.space.key(problem.space.parse(c["arch"])) == c["index"]
        if problem.allowed is not None:
            assert problem.allowed[c["index"]], "an algorithm chose an architecture outside the covered space"


def test_constructor_only_stores_parameters(algo):
    name, cls, _ = algo
    inst = cls()
    assert inst.get_params() == cls.defaults()
    assert cls.summary, f"{name} needs a one-line summary"


def test_unknown_parameter_is_a_clear_error(algo):
    from nasbench_eval.errors import ConfigError

    name, cls, _ = algo
    with pytest.raises(ConfigError, match="unknown parameter"):
        cls.from_params({"no_such_parameter": 1})


class _HolesEvaluator(Evaluator):
    """Wraps an evaluator and returns NaN for about a quarter of the space (deterministic by index)."""

    def __init__(self, inner):
        self.inner, self.metrics, self.cost_unit = inner, inner.metrics, inner.cost_unit
        self.store = getattr(inner, "store", None)

    def _evaluate(self, archs):
        from nasbench_eval.spaces import nb201

        ev = self.inner.evaluate(archs)
        holes = (np.atleast_1d(nb201.ops_to_index(archs)) % 4) == 0
        return Evaluation({k: np.where(holes, np.nan, v) for k, v in ev.values.items()}, ev.cost, ev.cached)


def test_survives_nan_metrics(algo):
    name, cls, problem = algo
    _skip_known(name, "nan")
    holey = Problem(problem.space, _HolesEvaluator(problem.evaluator), problem.objectives, problem.constraints,
                    problem.report_columns, problem.allowed, problem.name + "-holes", dict(problem.info))
    res = run(cls(), holey, BUDGET, seed=3)
    assert res.evaluations <= BUDGET
    first = problem.objectives[0].metric
    assert any(c["metrics"][first] is not None for c in res.chosen), "the answer should be an evaluated arch"


def test_no_test_metric_is_read_during_search(algo):
    """The run loop forbids test columns while the algorithm runs (a read raises); the spy double-checks."""
    from nasbench_eval.tables.columns import is_test_column

    name, cls, problem = algo
    store = getattr(problem.evaluator, "store", None)
    if store is None:
        pytest.skip("evaluator without a store")
    reads = []
    original = store.column_id

    def spy(col):
        reads.append((col, bool(store._forbidden)))
        return original(col)

    store.column_id = spy
    try:
        res = run(cls(), problem, BUDGET, seed=5)
    finally:
        del store.column_id
    assert res.evaluations > 0
    assert not [c for c, during in reads if during and is_test_column(c)]
    assert any(is_test_column(c) for c, during in reads if not during), "test metrics are reported after search"


def test_the_leakage_guard_catches_a_cheater(c10_problem):
    from nasbench_eval import Algorithm

    class Cheater(Algorithm):
        name = "cheater"

        def ask(self):
            arch = self.space.random(self.rng, 1)
            self.problem.report(arch)  # peeks at test accuracy
            return arch

    with pytest.raises(RuntimeError, match="leakage"):
        run(Cheater(), c10_problem, 10, seed=0)
