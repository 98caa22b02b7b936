"""The array NSGA-II driver (nasbench_eval.search.pymoo_bridge) against pymoo's own NSGA2, side by side.

Both get the same operators and the same seed; every generation asked must be bit-identical (decision vectors, in
order) and so must every surviving population (order, objectives, crowding), over objectives with many ties (so the
random tie-breaks of the tournament and of the crowding sort are exercised), constraints with infeasible members, the
three operator sets our algorithms use (NSGA-II's integer SBX/PM with rounding, NEvoNAS's real SBX/PM, MO-HDNAS's
uniform crossover, reset mutation, algorithm-level repair and pool-dependent objective).
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pymoo")

from pymoo.algorithms.moo.nsga2 import NSGA2  # noqa: E402
from pymoo.core.problem import Problem  # noqa: E402
from pymoo.operators.survival.rank_and_crowding import RankAndCrowding  # noqa: E402
from pymoo.termination.max_gen import MaximumGenerationTermination  # noqa: E402

from nasbench_eval.search.pymoo_bridge import PymooAskTell  # noqa: E402


def _objectives(X: np.ndarray, n_obj: int, n_constr: int):
    """A deterministic table of X with many ties (coarse levels) and, with constraints, infeasible members."""
    k = np.floor(np.asarray(X, dtype=float) * 2.999).astype(int) if X.max() <= 1 else np.asarray(X, dtype=int)
    F = np.stack([((k * (j + 1) + j) % 7).sum(1) / 10.0 for j in range(n_obj)], 1)
    G = (np.stack([((k * (j + 3)) % 5).sum(1) / 10.0 - 1.0 for j in range(n_constr)], 1) if n_constr else None)
    return F, G


def _diversity(F):
    F = F.astype(float, copy=True)
    F[:, -1] = -((F[:, 0][:, None] - F[:, 0][None, :]) ** 2).sum(axis=1)
    return F


class _DiversitySurvival(RankAndCrowding):
    def _do(self, problem, pop, *args, **kwargs):
        pop.set("F", _diversity(pop.get("F")))
        return super()._do(problem, pop, *args, **kwargs)


def _operators(kind: str):
    """(operators, n_var, xu) for one of our algorithms' configurations (fresh objects each call)."""
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.crossover.ux import UX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import FloatRandomSampling, IntegerRandomSampling

    if kind == "integer":  # algorithms/nsga2.py
        return dict(sampling=IntegerRandomSampling(),
                    crossover=SBX(prob=0.9, eta=15.0, vtype=float, repair=RoundingRepair()),
                    mutation=PM(eta=20.0, vtype=float, repair=RoundingRepair())), 6, np.full(6, 4.0)
    if kind == "real":  # algorithms/nevonas.py
        return dict(sampling=FloatRandomSampling(), crossover=SBX(prob=0.7, eta=15.0),
                    mutation=PM(prob=1.0, prob_var=0.2, eta=20.0)), 30, np.ones(30)
    from nasbench_eval.algorithms.mo_hdnas import _operators as mo_operators  # UX, reset mutation, repair

    from nasbench_eval.spaces import get_space

    allowed = np.zeros(15625, dtype=bool)
    allowed[::3] = True  # a partial-coverage device: the repair moves children into the allowed set
    sampling, Mut, repair = mo_operators(get_space("nb201"), allowed)
    return dict(sampling=sampling, crossover=UX(prob=0.9), mutation=Mut(prob=1.0), repair=repair), 6, np.full(6, 4.0)


@pytest.mark.parametrize("kind,n_obj,n_constr,pop_size,seed", [
    ("integer", 1, 0, 50, 0), ("integer", 2, 1, 50, 1), ("integer", 3, 2, 12, 2),
    ("real", 1, 0, 20, 3), ("real", 2, 0, 20, 4), ("real", 2, 1, 20, 5),
    ("mo-hdnas", 3, 0, 20, 6), ("mo-hdnas", 2, 0, 20, 7),
])
def test_every_generation_is_bit_identical_to_pymoo(kind, n_obj, n_constr, pop_size, seed):
    generations = 12
    ops, n_var, xu = _operators(kind)
    pool = _diversity if kind == "mo-hdnas" and n_obj == 3 else None
    ref = NSGA2(pop_size=pop_size, eliminate_duplicates=True, **ops,
                **({"survival": _DiversitySurvival()} if pool else {}))
    problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=n_constr, xl=np.zeros(n_var), xu=xu)
    rng_ref, rng_ours = np.random.default_rng(seed), np.random.default_rng(seed)
    ref.setup(problem, termination=MaximumGenerationTermination(generations),
              seed=int(rng_ref.integers(2**31 - 1)), verbose=False)
    ops, _, _ = _operators(kind)
    ours = PymooAskTell(pop_size=pop_size, n_var=n_var, xl=np.zeros(n_var), xu=xu, n_obj=n_obj, rng=rng_ours,
                        decode=lambda X: X, n_constr=n_constr, generations=generations, pool_objectives=pool, **ops)
    told = 0
    while ref.has_next():
        assert not ours.finished
        pop = ref.ask()
        X, _ = ours.ask()
        assert np.array_equal(pop.get("X").astype(float), X), f"generation {told}: offspring differ"
        F, G = _objectives(X, n_obj, n_constr)
        pop.set("F", F)
        if n_constr:
            pop.set("G", G)
        ref.tell(infills=pop)
        assert ours.tell(F, G)
        told += 1
        assert np.array_equal(ref.pop.get("X").astype(float), ours.pop["X"]), f"generation {told}: survivors differ"
        assert np.array_equal(ref.pop.get("F"), ours.pop["F"])
        assert np.array_equal(ref.pop.get("CV")[:, 0], ours.pop["CV"])
        feasible = ours.pop["CV"] <= 0
        assert np.array_equal(ref.pop.get("crowding")[feasible].astype(float), ours.pop["crowding"][feasible])
        assert ref.random_state.bit_generator.state == ours.random_state.bit_generator.state
    assert told == generations and ours.finished


def test_a_truncated_generation_is_not_told():
    ops, n_var, xu = _operators("integer")
    ours = PymooAskTell(pop_size=10, n_var=n_var, xl=np.zeros(n_var), xu=xu, n_obj=1, rng=np.random.default_rng(0),
                        decode=lambda X: X, **ops)
    X, _ = ours.ask()
    F, _ = _objectives(X, 1, 0)
    assert not ours.tell(F[:-1])  # the budget cut the batch: nothing told, the generation stays pending
    assert ours.generation == 0 and ours.pending is X
    assert ours.tell(F) and ours.generation == 1 and ours.pending is None


def test_duplicates_by_integer_codes_equal_pymoos_distance_rule():
    """Whole numbers inside the bounds are compared by integer codes; anything else (fractions, -0.0, NaN, values
    outside the bounds) must give exactly the rows pymoo's distance rule gives."""
    from pymoo.core.duplicate import DefaultDuplicateElimination
    from pymoo.core.population import Population

    ops, n_var, xu = _operators("integer")
    ours = PymooAskTell(pop_size=10, n_var=n_var, xl=np.zeros(n_var), xu=xu, n_obj=1, rng=np.random.default_rng(0),
                        decode=lambda X: X, **ops)
    rng = np.random.default_rng(1)
    ref = DefaultDuplicateElimination()
    for trial in range(600):  # X of 1-4 rows (a mating's children: codes in plain Python) and of 5-12 (arrays)
        X, P, O = (rng.integers(0, 3, size=(n, n_var)).astype(float)
                   for n in (rng.integers(1, 5) if trial % 2 else rng.integers(5, 13), 15, rng.integers(0, 4)))
        if trial % 3 == 1:
            X[rng.integers(len(X)), rng.integers(n_var)] = rng.choice([-0.0, 0.5, 1e-20, np.nan, np.inf, 5.0, -1.0])
        if trial % 3 == 2:
            P[rng.integers(len(P)), rng.integers(n_var)] = rng.choice([np.nan, 4.0 + 1e-15, 2.0])
        if trial % 5 == 3 and len(O):
            O[rng.integers(len(O)), rng.integers(n_var)] = rng.choice([-np.inf, 0.25, -0.0])
        if trial % 7 == 0:  # one past the upper bound, whose code would collide with a carry: [a, 5, ..] ~ [a + 1, 0, ..]
            j = int(rng.integers(1, n_var))
            X[0, j], X[0, j - 1] = 5.0, 0.0
            P[0], P[0, j - 1], P[0, j] = X[0], 1.0, 0.0
        want = ref.do(Population.new("X", X), Population.new("X", P), Population.new("X", O)).get("X")
        got = ours._unique(X, P, O)
        assert np.array_equal(got, want.reshape(-1, n_var), equal_nan=True)


def test_crowding_distance_equals_pymoos_bit_for_bit():
    """Our crowding distance (the driver no longer imports pymoo's, which pulls in scipy.spatial) gives pymoo's
    ``calc_crowding_distance`` numbers exactly, on both of its paths (plain Python up to 32 points, arrays above):
    ties, equal columns (0 range), signed zeros, huge stand-ins, sums whose order shows, ranges that overflow, 1-3
    objectives, fronts of every size up to 60."""
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance

    from nasbench_eval.problems.pareto import crowding_distance

    rng = np.random.default_rng(3)
    for trial in range(5000):
        n, m = int(rng.integers(1, 60)), int(rng.integers(1, 4))
        F = [rng.random((n, m)), rng.integers(0, 3, (n, m)).astype(float),
             rng.choice([0.0, -0.0, 1.5, 1e30, -1e-300], size=(n, m)),
             rng.choice([1e16, 1.0, 2.0, 3e15, -0.0], size=(n, m)),  # sums whose order shows in the last bit
             rng.choice([1e308, -1e308, 0.0, 5.0], size=(n, m))][trial % 5]  # ranges that overflow to inf
        if trial % 5 == 0:
            F[:, 0] = 2.0  # one objective with no range
        with np.errstate(over="ignore", invalid="ignore"):  # the overflowing ranges warn in both
            want = np.full(n, np.inf) if n <= 2 else calc_crowding_distance(F.copy())
            got = crowding_distance(F)
        assert got.tobytes() == want.tobytes(), (F, got, want)
