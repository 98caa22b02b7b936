"""Genetic operators shared by EvNAS and pEvoNAS (Sinha & Chen, arXiv 2012.12540; arXiv 2203.01559).

An individual is a real architecture-parameter matrix ``alpha`` of shape ``(n_edges, n_ops)`` (pEvoNAS: only the
kept op columns); a population is ``(P, n_edges, n_ops)``. Every function takes the run's
``numpy.random.Generator`` and draws all its randomness from it, in whole vectorised batches.

* :func:`tournament` -- each pick samples ``size`` *distinct* members (without replacement) and keeps the fittest.
* :func:`row_uniform_crossover` -- each edge row of the child comes from parent 2 with ``row_prob``, else parent 1.
* :func:`row_reset_mutation` -- each edge row, independently with ``rate``, is replaced by a fresh U[0,1) row.
* :func:`elites` -- indices of the ``k`` fittest (stable: ties keep population order).
* :func:`next_generation` -- elites unchanged + children (tournament x2 -> crossover -> mutation).

"Fittest" is by the maximised key these functions are given; the algorithms pass
:func:`nasbench_eval.search.selection.deb_key` of (fitness, constraint violation), so selection is feasibility-first
on constrained problems and plain fitness otherwise.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.search.params import Interval, Optional
from nasbench_eval.search.selection import deb_best, deb_key

#: Declared constraints of the EvNAS-style GA hyper-parameters (merged into each algorithm's parameter_constraints).
GA_PARAMETERS = {
    "population_size": Interval(int, 2, None),
    "tournament_size": Interval(int, 1, None),
    "n_elites": Interval(int, 0, None),
    "crossover_row_prob": Interval(float, 0, 1),
    "mutation_rate": Interval(float, 0, 1),
}
GENERATIONS = Optional(Interval(int, 1, None))


def check_fits_population(algo, *names_and_margins: tuple[str, int]) -> None:
    """The one relation a per-parameter constraint cannot state: ``getattr(algo, name) <= population_size - margin``
    (a tournament draws distinct members; at least one child besides the elites)."""
    for name, margin in names_and_margins:
        v, limit = getattr(algo, name), algo.population_size - margin
        if v > limit:
            raise ConfigError(f"parameter {name!r} of algorithm {algo.name!r} must be at most population_size"
                              f"{f' - {margin}' if margin else ''} = {limit}; got {v!r}")


def random_population(rng: np.random.Generator, n: int, n_edges: int, n_ops: int) -> np.ndarray:
    """``n`` individuals with i.i.d. U[0,1) entries (the EvNAS initialisation, arXiv 2012.12540)."""
    return rng.random((n, n_edges, n_ops))


def tournament(fitness: np.ndarray, size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` winners: each samples ``size`` distinct indices uniformly without replacement and keeps the fittest.

    Ties go to the first sampled. Vectorised: a random permutation prefix per pick.
    """
    fit = np.asarray(fitness, dtype=float)
    pop = len(fit)
    size = min(int(size), pop)
    cand = np.argsort(rng.random((n, pop)), axis=1)[:, :size]
    return cand[np.arange(n), np.argmax(fit[cand], axis=1)]


def row_uniform_crossover(p1: np.ndarray, p2: np.ndarray, rng: np.random.Generator,
                          row_prob: float = 0.5) -> np.ndarray:
    """Children ``(n, E, O)``: each edge row copied whole from ``p2`` with ``row_prob``, else from ``p1``."""
    take2 = rng.random(p1.shape[:2]) < row_prob
    return np.where(take2[..., None], p2, p1)


def row_reset_mutation(alpha: np.ndarray, rng: np.random.Generator, rate: float = 0.1) -> np.ndarray:
    """Copy of ``alpha`` ``(n, E, O)`` in which each edge row, with probability ``rate``, is a fresh U[0,1) row."""
    out = np.array(alpha, dtype=float, copy=True)
    hit = rng.random(out.shape[:2]) < rate
    n_hit = int(hit.sum())
    if n_hit:
        out[hit] = rng.random((n_hit, out.shape[2]))
    return out


def elites(fitness: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` fittest, best first (stable: ties keep population order)."""
    return np.argsort(-np.asarray(fitness, dtype=float), kind="stable")[: int(k)]


def next_generation(pop: np.ndarray, fitness: np.ndarray, rng: np.random.Generator, *, n_elites: int = 1,
                    tournament_size: int = 10, crossover_row_prob: float = 0.5,
                    mutation_rate: float = 0.1) -> np.ndarray:
    """EvNAS reproduction (Sinha & Chen, GECCO 2021, arXiv 2012.12540): the elites unchanged, then ``P - n_elites``
    children, each from two tournaments, row-uniform crossover and row-reset mutation (elites are not mutated).

    ``crossover_row_prob = 0`` is the mutation-only ablation (child = parent 1), ``mutation_rate = 0`` the
    crossover-only one.
    """
    P = len(pop)
    keep = elites(fitness, n_elites)
    n_child = P - len(keep)
    if n_child <= 0:
        return pop[keep].copy()
    parents = tournament(fitness, tournament_size, 2 * n_child, rng)
    children = row_uniform_crossover(pop[parents[:n_child]], pop[parents[n_child:]], rng, crossover_row_prob)
    children = row_reset_mutation(children, rng, mutation_rate)
    return np.concatenate([pop[keep], children])


# ---------------------------------------------------------------------------------------------- generational driver
#: A search whose generations keep proposing only architectures already in its AF table has converged; after this
#: many consecutive "free" generations it stops by itself (a safety net, never reached at the papers' settings).
MAX_FREE_GENERATIONS = 100


def ask_unseen(algo, candidates, complete) -> np.ndarray:
    """The AF-table ask loop of HW-EvRSNAS and MO-HDNAS: return the rows of ``candidates()`` not yet evaluated
    (``algo.history``, the run's one record of what was evaluated); a generation made only of known archs is
    finished for free by ``complete()``; after ``MAX_FREE_GENERATIONS`` free generations in a row the algorithm
    stops (``algo._done``)."""
    while not algo._done:
        cand = candidates()
        todo = algo.history.unseen(algo._keys(cand))
        if todo:
            algo._free = 0
            return cand[todo]
        algo._free += 1
        if algo._free > MAX_FREE_GENERATIONS:
            algo._done = True
            break
        complete()
    return np.empty((0, *algo.space.arch_shape), dtype=np.int64)


class GenerationalSearch:
    """Mixin for an :class:`~nasbench_eval.search.Algorithm` that evaluates whole generations of decoded alphas.

    Subclasses implement ``_candidates()`` (the decoded archs ``(n, *arch_shape)`` of the current generation) and
    ``_advance(key)`` (called once every candidate has a fitness; ``key`` is the generation's Deb key -- fitness,
    feasibility first -- to maximise; builds the next generation and may set ``self._done``; the raw values are in
    ``self._last_fit`` / ``self._last_viol``). With ``self._use_table`` True the generation goes through an
    architecture-fitness (AF) table (CMANAS, Evolutionary Computation 2024; pEvoNAS, GECCO 2022): only unseen
    distinct archs are asked, so the budget counts real evaluations;
    generations made only of known archs are completed without asking. Without a table every candidate is asked
    each generation (EvNAS: a supernet's fitness changes every epoch; wrap the problem's evaluator in
    ``CachedEvaluator`` to make tabular repeats free).

    The AF table is not a second record: it is the algorithm's ``history`` (what was evaluated, by key) from row
    ``self._table_from`` on; :meth:`reset_table` (a pEvoNAS stage) moves that row to the end of the record.
    """

    _use_table = False

    def _init_generations(self, use_table: bool) -> None:
        self._use_table = use_table
        self._table_from = 0  # the AF table = history rows from here on (key -> last (fitness, violation))
        self._done = False
        self._free_streak = 0
        self._cand: np.ndarray | None = None  # current generation's decoded archs
        self._cand_keys: list[int] = []
        self._partial: list[tuple[float, float]] = []  # no-table mode: (fitness, violation) told so far
        self._last_archs: np.ndarray | None = None  # last complete generation
        self._last_fit: np.ndarray | None = None
        self._last_viol: np.ndarray | None = None
        self.generation = 0

    @property
    def finished(self) -> bool:
        return self._done

    def reset_table(self) -> None:
        self._table_from = len(self.history)

    def _in_table(self, key: int) -> bool:
        return self.history.seen(key, self._table_from)

    def _table_rows(self, keys) -> list[tuple[float, float]]:
        """(fitness, violation) of the last evaluation of each key (all in the table)."""
        h = self.history
        rows = [h.row_of(k) for k in keys]
        return list(zip(h.fitness[rows].tolist(), h.violation[rows].tolist()))

    def _keys(self, archs: np.ndarray) -> list[int]:
        return np.atleast_1d(self.space.key(archs)).tolist()

    def _load_candidates(self) -> None:
        if self._cand is None:
            self._cand = np.asarray(self._candidates())
            self._cand_keys = self._keys(self._cand)
            self._partial = []

    def _complete(self, rows) -> None:
        """The current generation is fully known: ``rows`` = its (fitness, violation) pairs in candidate order."""
        fv = np.asarray(rows, dtype=float).reshape(-1, 2)
        self._last_archs, self._last_fit, self._last_viol = self._cand, fv[:, 0], fv[:, 1]
        self._cand = None
        self.generation += 1
        self._advance(deb_key(self._last_fit, self._last_viol))

    def ask(self) -> np.ndarray:
        while not self._done:
            self._load_candidates()
            if not self._use_table:
                return self._cand
            todo = self.history.unseen(self._cand_keys, self._table_from)
            if todo:
                self._free_streak = 0
                return self._cand[todo]
            self._free_streak += 1
            if self._free_streak > MAX_FREE_GENERATIONS:
                self._done = True
                break
            self._complete(self._table_rows(self._cand_keys))
        return np.empty((0, *self.space.arch_shape), dtype=np.int64)

    def _tell(self, archs: np.ndarray, ev) -> None:
        if not self._use_table:
            self._partial.extend(zip(self.problem.fitness(ev).tolist(), self.problem.violation(ev).tolist()))
            if len(self._partial) >= len(self._cand_keys):
                self._complete(self._partial[: len(self._cand_keys)])
            return
        if self._cand is not None and all(self._in_table(k) for k in self._cand_keys):
            self._complete(self._table_rows(self._cand_keys))

    def _known_current(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Members of the current (incomplete) generation whose fitness is known: (archs, fitness, violation)."""
        if self._cand is None:
            return np.empty((0, *self.space.arch_shape), dtype=np.int64), np.empty(0), np.empty(0)
        if not self._use_table:
            n = len(self._partial)
            fv = np.asarray(self._partial, dtype=float).reshape(-1, 2)
            return self._cand[:n], fv[:, 0], fv[:, 1]
        idx = [i for i, k in enumerate(self._cand_keys) if self._in_table(k)]
        fv = np.array(self._table_rows([self._cand_keys[i] for i in idx]), dtype=float).reshape(-1, 2)
        return self._cand[idx], fv[:, 0], fv[:, 1]

    def best_of_last_generation(self) -> np.ndarray:
        """Best by Deb's rules (feasible first, then search fitness) of the last complete generation together with
        the evaluated part of the current one (a budget may stop a run mid-generation); before any generation
        completes, the best seen. Passed through :meth:`Algorithm.feasible_first`: feasible whenever any evaluated
        architecture was (a last generation may have lost every feasible member, e.g. at a pEvoNAS stage change)."""
        archs, fit, viol = self._known_current()
        if self._last_archs is not None:
            archs = np.concatenate([self._last_archs, archs])
            fit = np.concatenate([self._last_fit, fit])
            viol = np.concatenate([self._last_viol, viol])
        if len(fit) == 0:
            return super().result()  # type: ignore[misc]
        return self.feasible_first(archs[[deb_best(fit, viol)]])  # type: ignore[attr-defined]
