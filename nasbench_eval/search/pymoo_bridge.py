"""pymoo's NSGA-II driven through our ask/tell loop, one generation at a time, on arrays: the one NSGA-II driver
(NSGA-II, NEvoNAS and MO-HDNAS use it).

pymoo's operators do the work: the array kernels of its sampling, crossover, mutation and repair operators
(``Sampling._do``, ``Crossover._do``, ``Mutation._do``, ``Repair._do``), its non-dominated sorting, randomised argsort,
random permutations and duplicate distance. Two are re-expressed for speed, with pymoo's numbers and draws bit for bit
(tested against pymoo): SBX and polynomial mutation with constant parameters run as :mod:`.pymoo_kernels`, a third of
the numpy calls per mating. The crowding distance is ours
(:func:`nasbench_eval.problems.pareto.crowding_distance`, pymoo's numbers bit for bit): pymoo's module of it imports
scipy.spatial, a quarter of a second in every process that runs NSGA-II. :class:`PymooAskTell` runs the generation of
pymoo's ``NSGA2`` around them (``GeneticAlgorithm`` with ``Mating``: binary tournament by constrained domination then
crowding, crossover, mutation, repair, duplicate elimination against the population and the offspring so far,
re-mating until the offspring are complete or 100 tries; ``RankAndCrowding`` survival after Deb's feasibility split)
on plain arrays instead of pymoo's population of per-individual objects, whose bookkeeping cost 5-10x the operators
on our small populations. Every random draw comes from the same Generator, in the same order, as in pymoo 0.6.2,
so a run is bit-identical to pymoo's own ``NSGA2`` with the same operators and seed: ``tests/test_nsga2_driver.py``
runs both side by side, generation by generation.

We own evaluation and the budget: :meth:`PymooAskTell.ask` returns one generation's decision vectors and decoded
architectures (the generation stays pending until told, so an algorithm with an architecture-fitness table may ask for
it several times); :meth:`PymooAskTell.tell` hands back the minimised objectives, the constraints (``<= 0`` feasible)
and any per-individual data the algorithm keeps (carried through survival like pymoo's individual data).

Termination is pymoo's ``MaximumGenerationTermination(generations)`` (the initial population counts as the first
generation) or, without ``generations``, the run's budget. The driver's Generator is seeded with an integer drawn from
the run's Generator, as pymoo's ``setup(seed=...)`` would be.

Non-finite objective or constraint values (a missing metric) become the finite stand-in ``bad`` first: pymoo's
crowding distance turns inf into NaN, while a huge finite value ranks last.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ..problems.pareto import crowding_distance
from . import pymoo_kernels

BAD = 1e15
EPSILON = 1e-16  # pymoo's DefaultDuplicateElimination: a distance <= EPSILON is a duplicate
MAX_MATINGS = 100  # pymoo's Mating(n_max_iterations=100) in GeneticAlgorithm


@lru_cache(maxsize=64)
def _upper(n: int) -> np.ndarray:
    """Boolean mask of the upper triangle with the diagonal of an ``n x n`` matrix (pymoo's ``np.triu_indices(n)``)."""
    mask = np.triu(np.ones((n, n), dtype=bool))
    mask.flags.writeable = False  # shared by every call of this size
    return mask


def _radix(xl, xu) -> tuple:
    """(lower bounds, choices per variable, mixed-radix weights) of whole-number bounds, for integer row codes;
    choices and weights are None when the bounds are not whole numbers or the codes could overflow int64."""
    lo, hi = np.asarray(xl, dtype=float), np.asarray(xu, dtype=float)
    if not (np.all(lo == np.rint(lo)) and np.all(hi == np.rint(hi)) and np.all(hi >= lo)):
        return lo, None, None
    span = (hi - lo + 1).astype(np.int64)
    if float(np.prod(span.astype(float))) >= 2.0 ** 62:
        return lo, None, None
    return lo, span, np.cumprod(np.concatenate([[1], span[::-1][:-1]]))[::-1].astype(np.int64)


def _get(param, n: int):
    """pymoo's ``get(param, size=n)``: a parameter's values for ``n`` matings or individuals."""
    from pymoo.core.variable import get

    return get(param, size=n)


def finite(a, bad: float = BAD) -> np.ndarray:
    """``a`` as floats with every non-finite value replaced by the stand-in ``bad`` (see the module docstring)."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, bad)


class PymooAskTell:
    """pymoo's NSGA-II with the given operators (pymoo objects), run on arrays (see the module docstring).

    ``repair``: the algorithm-level repair (pymoo ``GeneticAlgorithm(repair=...)``, applied after sampling and after
    every mating); ``pool_objectives``: a function of the objective matrix of the pool about to be ranked, returning
    the matrix to rank it by (kept by the survivors; MO-HDNAS's pool-dependent diversity objective).
    """

    def __init__(self, *, pop_size: int, sampling, crossover, mutation, n_var: int, xl, xu, n_obj: int,
                 rng: np.random.Generator, decode: Callable[[np.ndarray], np.ndarray], n_constr: int = 0,
                 vtype=float, repair=None, generations: int | None = None, bad: float = BAD,
                 pool_objectives: Callable[[np.ndarray], np.ndarray] | None = None):
        from pymoo.core.problem import Problem
        from pymoo.core.repair import NoRepair
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        self.problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=n_constr, xl=xl, xu=xu, vtype=vtype)
        self.pop_size = self.n_offsprings = int(pop_size)
        self.sampling, self.crossover, self.mutation = sampling, crossover, mutation
        self.repair = None if repair is None or type(repair) is NoRepair else repair
        self.generations = None if generations is None else int(generations)
        self.pool_objectives = pool_objectives
        self.decode, self.bad = decode, float(bad)
        self._nds = NonDominatedSorting()  # RankAndCrowding's default sorting
        self._radix = _radix(self.problem.xl, self.problem.xu)
        self._radix_lists = tuple(None if a is None else np.asarray(a).tolist() for a in self._radix)
        # pymoo's SBX / PM with constant parameters run as pymoo_kernels (the same numbers, fewer numpy calls)
        self._sbx = pymoo_kernels.sbx_params(crossover)
        self._pm = pymoo_kernels.pm_params(mutation, int(n_var))
        self._prob_cx = pymoo_kernels.constant(crossover.prob)
        self._prob_mut = pymoo_kernels.constant(mutation.prob)
        self.random_state = np.random.default_rng(int(rng.integers(2**31 - 1)))
        self.n_constr = int(n_constr)
        self.generation = 0  # generations told (the initial population is the first)
        self.terminated = False
        self.pop: dict[str, np.ndarray] = {}  # columns: X, F, CV, rank, crowding and the algorithm's data
        self._pop_rows: tuple | None = None
        self._pop_codes: list | None | bool = False  # False: not computed for this population yet
        self.pending: np.ndarray | None = None  # X of the generation asked and not yet told
        self.pending_archs: np.ndarray | None = None

    # ------------------------------------------------------------------ ask / tell
    def ask(self) -> tuple[np.ndarray, np.ndarray]:
        """(decision vectors X, decoded architectures) of the pending generation (built once)."""
        if self.pending is None:
            X = self._initial() if self.generation == 0 else self._mate()
            if len(X) == 0:  # pymoo: mating found no new offspring, the search is over
                self.terminated = True
            self.pending, self.pending_archs = X, self.decode(X)
        return self.pending, self.pending_archs

    def tell(self, F: np.ndarray, G: np.ndarray | None = None, **data) -> bool:
        """Tell the pending generation its objectives ``F`` (minimised), constraints ``G`` (<= 0 feasible) and
        per-individual ``data``. Returns False, telling nothing, when ``F`` does not cover the whole generation (a
        budget-truncated last batch)."""
        X = self.pending
        if X is None or len(F) != len(X) or len(X) == 0:
            return False
        F = self.finite(F).reshape(len(X), -1)
        if self.n_constr and G is not None and np.shape(G)[1]:
            CV = np.maximum(0.0, self.finite(G) - 0.0).sum(axis=1) + 0.0  # pymoo's calc_cv, default config
        else:
            CV = np.zeros(len(X))
        new = {"X": X, "F": F, "CV": CV, "rank": np.full(len(X), -1), "crowding": np.full(len(X), np.nan),
               **{k: np.asarray(v) for k, v in data.items()}}
        if self.generation == 0:
            pool, n_survive = new, len(X)
        else:
            pool, n_survive = {k: np.concatenate([self.pop[k], new[k]]) for k in new}, self.pop_size
        survivors = self._survive(pool, n_survive)
        self.pop = {k: v[survivors] for k, v in pool.items()}
        self._pop_rows, self._pop_codes = None, False
        self.generation += 1
        if self.generations is not None and self.generation >= self.generations:
            self.terminated = True
        self.pending = self.pending_archs = None
        return True

    def finite(self, a) -> np.ndarray:
        return finite(a, self.bad)

    @property
    def finished(self) -> bool:
        """pymoo's termination says the search is over."""
        return self.terminated

    # ------------------------------------------------------------------ variation (pymoo's Initialization, Mating)
    def _initial(self) -> np.ndarray:
        X = self.sampling._do(self.problem, self.pop_size, random_state=self.random_state)
        return self._unique(self._repair(self._operator_post(self.sampling, X)))

    def _repair(self, X: np.ndarray) -> np.ndarray:
        if self.repair is None:
            return X
        if self.repair.vtype is not None:
            X = X.astype(self.repair.vtype)
        return np.asarray(self.repair._do(self.problem, X, random_state=self.random_state), dtype=float)

    def _mate(self) -> np.ndarray:
        """pymoo's InfillCriterion loop: mate, repair, drop duplicates, until ``n_offsprings`` or 100 tries."""
        off = np.empty((0, self.problem.n_var))
        for _ in range(MAX_MATINGS):
            n_remaining = self.n_offsprings - len(off)
            parents = self._tournament(math.ceil(n_remaining / self.crossover.n_offsprings))
            X = self._unique(self._repair(self._mutate(self._cross(parents))), self.pop["X"], off)
            off = np.concatenate([off, X[:n_remaining]])
            if len(off) >= self.n_offsprings:
                break
        return off

    def _tournament(self, n_matings: int) -> np.ndarray:
        """pymoo's TournamentSelection(pressure 2) with NSGA-II's ``binary_tournament`` ("comp_by_dom_and_crowding"):
        less violation wins if either is infeasible, else domination, else larger crowding; ties (and NaN) drawn at
        random in tournament order, one ``choice`` each, as pymoo. Plain Python over the population's rows (most
        matings ask for one or two tournaments)."""
        from pymoo.util.misc import random_permutations

        rs = self.random_state
        cv, F, cd = self._rows()
        n_random = n_matings * self.crossover.n_parents * 2
        P = random_permutations(math.ceil(n_random / len(cv)), len(cv), random_state=rs)[:n_random]
        S = []
        for a, b in zip(P[0::2].tolist(), P[1::2].tolist()):
            ca, cb = cv[a], cv[b]
            if ca > 0.0 or cb > 0.0:  # less violation wins
                va, vb = cb, ca
            else:
                a_better = b_better = False
                for x, y in zip(F[a], F[b]):
                    if x < y:
                        a_better = True
                    elif y < x:
                        b_better = True
                if a_better != b_better:  # one dominates
                    va, vb = (1, 0) if a_better else (0, 1)
                else:
                    va, vb = cd[a], cd[b]
            S.append(a if va > vb else b if va < vb else int(rs.choice([a, b])))
        return np.array(S, dtype=np.int64).reshape(n_matings, self.crossover.n_parents)

    def _rows(self) -> tuple[list, list, list]:
        """(violation, objective rows, crowding) of the population as Python lists (built once per generation)."""
        if self._pop_rows is None:
            self._pop_rows = (self.pop["CV"].tolist(), self.pop["F"].tolist(), self.pop["crowding"].tolist())
        return self._pop_rows

    def _cross(self, parents: np.ndarray) -> np.ndarray:
        """pymoo's Crossover.do, then the operator's own vtype cast and repair (Operator.__call__)."""
        cx, rs = self.crossover, self.random_state
        X = np.swapaxes(self.pop["X"][parents], 0, 1)  # (n_parents, n_matings, n_var), a new array
        if cx.vtype is not None:
            X = X.astype(cx.vtype, copy=False)
        n_matings = X.shape[1]
        shape = (cx.n_offsprings, n_matings, X.shape[2])
        cross = rs.random(n_matings) < (self._prob_cx if self._prob_cx is not None else _get(cx.prob, n_matings))
        Q = None
        if cross.any():
            if self._sbx is not None:
                Q = pymoo_kernels.sbx(X, self.problem.xl, self.problem.xu, self._sbx, cx.n_offsprings, rs)
            else:
                Q = np.asarray(cx._do(self.problem, X, random_state=rs))
        if Q is not None and Q.shape == shape and cross.all():  # every mating crossed (most often one mating)
            Xp = Q.astype(X.dtype, copy=False)
        else:
            Xp = np.empty(shape, dtype=X.dtype)
            if Q is not None:
                Xp[:, cross] = Q[:, cross]
            for k in np.flatnonzero(~cross):
                if cx.n_offsprings < cx.n_parents:
                    s = rs.choice(np.arange(cx.n_parents), size=cx.n_offsprings, replace=False)
                elif cx.n_offsprings == cx.n_parents:
                    s = np.arange(cx.n_parents)
                else:
                    s = []
                    while len(s) < cx.n_offsprings:
                        s.extend(rs.permutation(cx.n_parents))
                    s = s[:cx.n_offsprings]
                Xp[:, k] = X[s, k]
        return self._operator_post(cx, Xp.reshape(-1, X.shape[2]))

    def _mutate(self, X: np.ndarray) -> np.ndarray:
        """pymoo's Mutation.do (a mutated copy kept where a draw <= prob), then Operator.__call__'s cast and repair."""
        mut, rs = self.mutation, self.random_state
        if self._pm is not None:
            Xm = pymoo_kernels.pm(X, self.problem.xl, self.problem.xu, self._pm, rs)
        else:
            Xm = np.asarray(mut._do(self.problem, X.copy(), random_state=rs), dtype=float)
        hit = rs.random(size=len(X)) <= (self._prob_mut if self._prob_mut is not None else _get(mut.prob, len(X)))
        return self._operator_post(mut, np.where(hit[:, None], Xm, X))

    def _operator_post(self, op, X) -> np.ndarray:
        """Operator.__call__ after the operator: its vtype cast, then its own repair; as floats (X is the caller's
        temporary, so no cast copies it)."""
        if op.vtype is not None:
            X = X.astype(op.vtype, copy=False).astype(float, copy=False)
        if op.repair is not None:
            X = op.repair._do(self.problem, X.astype(op.repair.vtype) if op.repair.vtype is not None else X)
        return np.asarray(X, dtype=float)

    def _unique(self, X: np.ndarray, *others: np.ndarray) -> np.ndarray:
        """pymoo's DefaultDuplicateElimination: drop rows within EPSILON of an earlier row, then of any row of
        ``others`` (pymoo compares with each of them in turn; one comparison with all of them drops the same rows).

        When every value is a whole number inside the bounds (integer encodings after their repair), two rows are
        within EPSILON exactly when they are equal, so rows are compared by an integer code instead of distances
        (the same rows are dropped); otherwise by pymoo's distance matrix."""
        if len(X) == 0:
            return X
        others = [o for o in others if len(o)]
        codes, taken = self._codes(X), set()
        for o in others if codes is not None else ():  # codes only when every row of every array has one
            oc = self._population_codes() if o is self.pop.get("X") else self._codes(o)
            if oc is None:
                codes = None
                break
            taken.update(oc)
        if codes is not None:
            earlier, keep = set(), []
            for c in codes:
                keep.append(c not in earlier and c not in taken)
                earlier.add(c)
            return X[np.array(keep)]
        from pymoo.util.misc import cdist

        other = (np.concatenate(others) if len(others) > 1 else others[0]) if others else None

        D = cdist(X, X)
        D[_upper(len(X))] = np.inf  # each row against the earlier rows only
        D[np.isnan(D)] = np.inf
        X = X[~np.any(D <= EPSILON, axis=1)]
        if other is not None and len(X):
            D = cdist(X, other)
            D[np.isnan(D)] = np.inf
            X = X[~np.any(D <= EPSILON, axis=1)]
        return X

    def _codes(self, X: np.ndarray) -> list[int] | None:
        """One integer per row (mixed radix over the bounds) when every value is a whole number within the bounds
        and the codes fit, else None."""
        lo, span, weights = self._radix
        if span is None:
            return None
        if len(X) <= 4:  # a mating's few children: the same tests on Python floats (numpy's calls cost more)
            out = []
            for row in X.tolist():
                code = 0
                for v, a, n, w in zip(row, self._radix_lists[0], self._radix_lists[1], self._radix_lists[2]):
                    z = v - a
                    if not (0.0 <= z < n and z == int(z)):  # NaN / inf / fractions / out of range fail
                        return None
                    code += int(z) * w
                out.append(code)
            return out
        Z = X - lo
        with np.errstate(invalid="ignore"):  # NaN / inf cast to garbage and fail the comparison below
            Zi = Z.astype(np.int64)
        if not (np.array_equal(Zi, Z) and Zi.min() >= 0 and (Zi < span).all()):  # NaN / inf / fractions fail too
            return None
        return (Zi @ weights).tolist()

    def _population_codes(self) -> list[int] | None:
        """:meth:`_codes` of the population's rows (computed once per generation)."""
        if self._pop_codes is False:
            self._pop_codes = self._codes(self.pop["X"])
        return self._pop_codes

    # ------------------------------------------------------------------ survival (pymoo's Survival, RankAndCrowding)
    def _survive(self, pool: dict, n_survive: int) -> np.ndarray:
        """Rows of ``pool`` that survive, in pymoo's order: the feasible by rank and crowding, then the infeasible
        by increasing violation. Sets the pool's rank and crowding (and objectives, with ``pool_objectives``)."""
        cv = pool["CV"]
        n_survive = min(n_survive, len(cv))
        if not self.n_constr:
            return self._rank_and_crowding(pool, np.arange(len(cv)), n_survive)
        feasible, infeasible = np.flatnonzero(cv <= 0.0), np.flatnonzero(~(cv <= 0.0))
        infeasible = infeasible[np.argsort(cv[infeasible])]
        survivors = (self._rank_and_crowding(pool, feasible, min(len(feasible), n_survive)) if len(feasible)
                     else np.empty(0, dtype=np.int64))
        return np.concatenate([survivors, infeasible[:max(n_survive - len(survivors), 0)]]).astype(np.int64)

    def _rank_and_crowding(self, pool: dict, rows: np.ndarray, n_survive: int) -> np.ndarray:
        from pymoo.util.randomized_argsort import randomized_argsort

        if self.pool_objectives is not None:
            pool["F"][rows] = self.pool_objectives(pool["F"][rows])
        F = pool["F"][rows].astype(float, copy=False)
        survivors: list = []
        ranked, rank, crowding = [], [], []  # written into the pool once (a single objective gives many tiny fronts)
        for k, front in enumerate(self._nds.do(F, n_stop_if_ranked=n_survive)):
            members = front.tolist()
            cd = [math.inf] * len(members) if len(members) <= 2 else crowding_distance(F[front, :]).tolist()
            if len(survivors) + len(members) > n_survive:
                n_remove = len(survivors) + len(members) - n_survive
                keep = randomized_argsort(np.array(cd), order="descending", method="numpy",
                                          random_state=self.random_state)[:-n_remove]
                survivors.extend(front[keep].tolist())
            else:
                survivors.extend(members)
            ranked.extend(members)
            rank.extend([k] * len(members))
            crowding.extend(cd)
        at = rows[np.asarray(ranked, dtype=np.int64)]
        pool["rank"][at] = rank
        pool["crowding"][at] = crowding
        return rows[np.asarray(survivors, dtype=np.int64)]
