"""MO-HDNAS: multi-objective hardware-aware NAS with a hardware-cost diversity objective (NSGA-II).

Sinha, Rostami, Shabayek, Kacem & Aouada, "Multi-Objective Hardware Aware Neural Architecture Search using Hardware
Cost Diversity", CVPR Workshops 2024, pp. 8032-8039 (arXiv 2404.12403). The abstract fixes the three objectives and
NSGA-II; settings it does not give are our ASSUMPTIONS, stated below.

pymoo NSGA-II on three objectives over the NB201 integer encoding:

1. proxy -- maximised (``valid_acc``, an RMI table, ...; a ``*_loss`` proxy is minimised);
2. device cost Psi(a) -- minimised;
3. hardware-cost diversity chi(a, P) = sum over b in P of (Psi(a) - Psi(b))^2 -- maximised, where P is the merged
   parent + offspring pool. chi depends on the pool, so it is recomputed (:func:`with_diversity`) on every merged
   pool right before non-dominated sorting and crowding, and the survivors keep that value for the next mating
   tournament. Archs without a cost get the worst chi.

``diversity=False`` is the ablation: plain NSGA-II on (proxy, cost) with the same operators.

Defaults (our assumptions, NEvoNAS-like): population 20, 50 generations (20 + 49 x 20 = at most 1,000 evaluations),
integer random sampling inside the allowed archs, uniform crossover (per-gene 0.5, ``crossover_prob`` 0.9 per mating),
per-gene reset mutation with probability 1/6 per gene, duplicate elimination within the population, and a repair that
moves a child outside the problem's ``allowed`` mask (partial-coverage device) to a random allowed arch at the smallest
edge distance.

Architecture-fitness table: an arch evaluated once is not asked again (its objectives are reused), so the budget
counts distinct evaluations; a generation made only of known archs is completed without asking.

``result()``: the non-dominated set on (proxy, cost) of every evaluated arch (``front_from="archive"``, default)
or of the final population (``"population"``), sorted by cost. On a constrained problem (one objective plus a cost
constraint) the answer is the single front member that is best by Deb's rules: the best proxy among the feasible
members, else the least violating one; and any answer is feasible whenever an evaluated arch was.
:meth:`MOHDNAS.picks` returns, per threshold, the member with the best proxy whose cost is <= T.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.problems.costs import pick_per_threshold
from nasbench_eval.problems.hw import cost_metric_of
from nasbench_eval.search import Algorithm, non_dominated
from nasbench_eval.search.params import Boolean, Interval, Optional, Options
from nasbench_eval.search.selection import deb_best

from . import _ga

_BIG = 1e30  # stands in for +inf inside pymoo (its crowding arithmetic needs finite numbers)


def hardware_diversity(cost: np.ndarray) -> np.ndarray:
    """chi(a, P) = sum_b (cost_a - cost_b)^2 over the finite costs of the pool; NaN where cost is not finite."""
    c = np.asarray(cost, dtype=float)
    fin = np.isfinite(c) & (c < _BIG)
    out = np.full(len(c), np.nan)
    v = c[fin]
    out[fin] = ((v[:, None] - v[None, :]) ** 2).sum(axis=1)
    return out


def with_diversity(F: np.ndarray) -> np.ndarray:
    """The pool's objectives with column 3 recomputed as -chi over the pool's costs (column 2); the worst stand-in
    where chi is undefined. Applied to every pool right before its non-dominated sorting and crowding."""
    F = F.astype(float, copy=True)
    chi = hardware_diversity(F[:, 1])
    F[:, 2] = np.where(np.isnan(chi), _BIG, -chi)
    return F


def _operators(space, allowed):
    from pymoo.core.mutation import Mutation
    from pymoo.core.repair import Repair
    from pymoo.core.sampling import Sampling

    allowed_keys = None if allowed is None else np.flatnonzero(allowed)
    allowed_ops = None if allowed is None else space.from_key(allowed_keys).reshape(len(allowed_keys), -1)

    class AllowedIntegerSampling(Sampling):
        def _do(self, problem, n_samples, random_state=None, **kwargs):
            if allowed_keys is None:
                return space.random(random_state, n_samples).astype(float)
            return space.from_key(random_state.choice(allowed_keys, size=n_samples)).reshape(n_samples, -1).astype(float)

    class ResetMutation(Mutation):
        """Each gene, with prob_var (default 1/n_var), is drawn afresh from its choices."""

        def _do(self, problem, X, random_state=None, **kwargs):
            pv = self.get_prob_var(problem, size=(len(X), 1))
            hit = random_state.random(X.shape) < pv
            fresh = np.floor(random_state.random(X.shape) * (problem.xu - problem.xl + 1)) + problem.xl
            return np.where(hit, fresh, X)

    class AllowedRepair(Repair):
        def _do(self, problem, X, random_state=None, **kwargs):
            X = np.clip(np.rint(X), problem.xl, problem.xu)
            if allowed_keys is None:
                return X
            keys = np.atleast_1d(space.key(X.astype(np.int64)))
            for i in np.flatnonzero(~allowed[keys]):
                d = (allowed_ops != X[i].astype(np.int64)).sum(axis=1)
                near = np.flatnonzero(d == d.min())
                j = near[int(random_state.integers(len(near)))] if random_state is not None else near[0]
                X[i] = allowed_ops[j]
            return X

    return AllowedIntegerSampling(), ResetMutation, AllowedRepair()


class MOHDNAS(Algorithm):
    name = "mo-hdnas"
    summary = "NSGA-II on (proxy max, device cost min, hardware-cost diversity max); one run -> a front"
    paper = ("Sinha, Rostami, Shabayek, Kacem & Aouada, Multi-Objective Hardware Aware Neural Architecture Search "
             "using Hardware Cost Diversity, CVPR Workshops 2024 (NSGA-II settings are our assumptions)")
    multi_objective = True
    battery_problem = "hw"  # the shared battery builds nasbench_eval.problems.hw.battery_problem(cls)
    parameter_constraints = {
        "population_size": Interval(int, 2, None),
        "generations": Optional(Interval(int, 1, None)),
        "diversity": Boolean(),
        "crossover_prob": Interval(float, 0, 1),
        "mutation_prob_var": Optional(Interval(float, 0, 1)),
        "front_from": Options("archive", "population"),
    }

    def __init__(self, population_size: int = 20, generations: int | None = 50, diversity: bool = True,
                 crossover_prob: float = 0.9, mutation_prob_var: float | None = None,
                 front_from: str = "archive"):
        self.population_size = population_size
        self.generations = generations
        self.diversity = diversity
        self.crossover_prob = crossover_prob
        self.mutation_prob_var = mutation_prob_var
        self.front_from = front_from

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        from pymoo.operators.crossover.ux import UX

        from nasbench_eval.search.pymoo_bridge import PymooAskTell

        self.cost_metric = cost_metric_of(self.problem)
        sampling, Mut, repair = _operators(self.space, self.problem.allowed)
        hi = (self.space.n_choices - 1).astype(float)
        self._pymoo = PymooAskTell(
            pop_size=int(self.population_size), sampling=sampling, crossover=UX(prob=self.crossover_prob),
            mutation=Mut(prob=1.0, prob_var=self.mutation_prob_var), repair=repair, n_var=len(hi),
            xl=np.zeros(len(hi)), xu=hi, n_obj=3 if self.diversity else 2, rng=self.rng,
            decode=lambda X: np.clip(np.rint(X), 0, self.space.n_choices - 1).astype(np.int64), vtype=int,
            generations=self.generations, bad=_BIG, pool_objectives=with_diversity if self.diversity else None)
        self.generation = 0
        self._free = 0
        self._done = False

    @property
    def finished(self) -> bool:
        return self._done

    def _keys(self, archs) -> list[int]:
        return np.atleast_1d(self.space.key(archs)).tolist()

    # ------------------------------------------------------------------ ask / tell
    def ask(self) -> np.ndarray:
        return _ga.ask_unseen(self, self._pending_generation, self._complete)

    def _pending_generation(self) -> np.ndarray:
        """The offspring pymoo asked for (asked once per generation, decoded to the integer encoding)."""
        return self._pymoo.ask()[1]

    def _tell(self, archs, ev) -> None:
        # the AF table is the history (the run's record): objectives and violation are read from it by key
        pending = self._pymoo.pending_archs
        if pending is not None and all(self.history.seen(k) for k in self._keys(pending)):
            self._complete()

    def _known(self, keys) -> tuple[np.ndarray, np.ndarray]:
        """([-fitness, cost] minimised, inf where unknown; the problem's constraint violation) of the last
        evaluation of each key."""
        h = self.history
        rows = [h.row_of(k) for k in keys]
        cost = h.values[self.cost_metric][rows]
        F = np.stack([-h.fitness[rows], np.where(np.isfinite(cost), cost, np.inf)], axis=1).reshape(-1, 2)
        return F, h.violation[rows]

    def _complete(self) -> None:
        F, _ = self._known(self._keys(self._pymoo.pending_archs))  # non-finite -> _BIG in the bridge
        if self.diversity:
            F = np.concatenate([F, np.zeros((len(F), 1))], axis=1)  # chi is filled in by the survival
        self._pymoo.tell(F)
        self.generation += 1
        if self._pymoo.finished:
            self._done = True

    # ------------------------------------------------------------------ answer
    def evaluated(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, F) of every distinct evaluated arch; F = [-fitness, cost] (minimised, inf where unknown)."""
        keys = self.history.keys[self.history.first_rows()]
        return keys, self._known(keys.tolist())[0]

    def front(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, F) of the non-dominated set on (proxy, cost), sorted by cost."""
        keys, F = self.evaluated()
        if self.front_from == "population" and self._pymoo.pop:
            pk = set(self._keys(np.rint(self._pymoo.pop["X"]).astype(np.int64)))
            sel = np.array([k in pk for k in keys.tolist()], dtype=bool)
            keys, F = keys[sel], F[sel]
        if len(keys) == 0:
            return keys, F
        nd = non_dominated(F)
        keys, F = keys[nd], F[nd]
        o = np.lexsort((keys, F[:, 1]))
        return keys[o], F[o]

    def picks(self, thresholds) -> np.ndarray:
        """Per threshold, the NB201 index of the front member with the best proxy and cost <= T (-1 if none)."""
        keys, F = self.front()
        rows = pick_per_threshold(-F[:, 0], F[:, 1], list(thresholds), "max")
        return np.where(rows >= 0, keys[np.maximum(rows, 0)] if len(keys) else -1, -1)

    def result(self) -> np.ndarray:
        keys, F = self.front()
        if len(keys) == 0:
            return np.empty((0, *self.space.arch_shape), dtype=np.int64)
        if self.problem.n_obj == 1 and self.problem.constraints:
            keys = keys[[deb_best(-F[:, 0], self._known(keys.tolist())[1])]]
        return self.feasible_first(self.space.from_key(keys).reshape(len(keys), -1))
