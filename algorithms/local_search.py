"""Local search over the one-edge neighbourhood, with random restarts (the NASLib baseline).

White, Nolen & Savani, "Exploring the loss landscape in neural architecture search", UAI 2021 (first circulated as
"Local search is state of the art for neural architecture search benchmarks", arXiv 2005.02960), who show this
simplest local search is competitive with or better than most NAS algorithms on NAS-Bench-201; as implemented in
NASLib (Ruchte, Zela, Siems, Grabocka & Hutter, "NASLib: a modular and flexible neural architecture search
library", 2020).

1. Sample ``num_init`` random architectures; the best (by search fitness) is the current architecture.
2. Visit its neighbours -- every architecture that differs on exactly one position (NB201: one edge's op, 24
   neighbours) -- in a random order. ``first_improvement=True`` (default): move to the first neighbour that beats
   the current one and start over from it. ``first_improvement=False``: evaluate the whole neighbourhood and move
   to its best member if it beats the current one (steepest ascent, White et al.'s Algorithm 1).
3. When no neighbour is better (a local optimum), restart from a new random architecture.

A neighbour evaluated before is not asked again: its known fitness is used (on a tabular benchmark the answer
would be the same, and asking again would only spend budget). Answer: the best architecture evaluated. On
constrained problems "better" is Deb's rules throughout (feasible beats infeasible, less violation beats more, then
fitness), so the walk heads for the feasible region and the answer is feasible whenever any evaluated
architecture was.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Boolean, Interval
from nasbench_eval.search.selection import better, deb_best


def one_position_neighbours(space, arch: np.ndarray) -> np.ndarray:
    """Every valid architecture that differs from ``arch`` on exactly one position, distinct by the space's key."""
    rows = []
    for p, n in enumerate(space.n_choices):
        for v in range(int(n)):
            if v != arch[p]:
                child = arch.copy()
                child[p] = v
                rows.append(child)
    cand = np.asarray(rows, dtype=np.int64)
    cand = cand[np.asarray(space.is_valid(cand), dtype=bool)]
    keys = np.atleast_1d(space.key(cand))
    own = space.key(arch)
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)
    return cand[first][keys[first] != own]


class LocalSearch(Algorithm):
    name = "local-search"
    summary = "first-improvement local search over the one-edge neighbourhood, random restart at a local optimum"
    paper = ("White, Nolen & Savani, Exploring the loss landscape in NAS, UAI 2021 (arXiv 2005.02960, 'Local search "
             "is state of the art for NAS benchmarks'); NASLib")
    spaces = ("nb201", "darts")
    parameter_constraints = {"num_init": Interval(int, 1, None), "first_improvement": Boolean()}

    def __init__(self, num_init: int = 10, first_improvement: bool = True):
        self.num_init = num_init
        self.first_improvement = first_improvement

    def _setup(self):
        self._known: dict[int, tuple[float, float]] = {}  # key -> (fitness, violation) of everything told
        self._phase = "init"  # init -> climb (restart asks one random architecture, then climbs from it)
        self._current = None  # (arch, fitness, violation)
        self._queue: list[np.ndarray] = []
        self._best_nbr = None  # steepest ascent: best neighbour seen in the current neighbourhood

    # ------------------------------------------------------------------ moves
    def _move_to(self, arch, f, v):
        self._current = (arch, f, v)
        nbrs = one_position_neighbours(self.space, arch)
        self._queue = list(nbrs[self.rng.permutation(len(nbrs))])
        self._best_nbr = None

    def _random_unseen(self) -> np.ndarray:
        for _ in range(100):
            arch = np.asarray(self.space.random(self.rng, 1))
            if int(np.atleast_1d(self.space.key(arch))[0]) not in self._known:
                break
        return arch

    def _consider(self, arch, f, v) -> bool:
        """A neighbour's outcome is known; True when the search moved."""
        _, cf, cv = self._current
        if self.first_improvement:
            if better(f, v, cf, cv):
                self._move_to(arch, f, v)
                return True
            return False
        if self._best_nbr is None or better(f, v, self._best_nbr[1], self._best_nbr[2]):
            self._best_nbr = (arch, f, v)
        return False

    def _neighbourhood_done(self) -> bool:
        """Called when the queue is empty: move (steepest ascent) and return False, or report a local optimum."""
        if self._best_nbr is not None and better(self._best_nbr[1], self._best_nbr[2], *self._current[1:]):
            self._move_to(*self._best_nbr)
            return False
        return True

    # ------------------------------------------------------------------ ask / tell
    def ask(self) -> np.ndarray:
        if self._phase == "init":
            return self.space.random(self.rng, int(self.num_init))
        while True:
            if not self._queue:
                if self._neighbourhood_done():
                    self._phase = "restart"
                    return self._random_unseen()
                continue
            arch = self._queue.pop()
            known = self._known.get(int(self.space.key(arch)))
            if known is None:
                return arch[None]
            self._consider(arch, *known)

    def _tell(self, archs, ev):
        fit, viol = self.problem.fitness(ev), self.problem.violation(ev)
        keys = np.atleast_1d(self.space.key(archs))
        for k, f, v in zip(keys, fit, viol):
            self._known[int(k)] = (float(f), float(v))
        if self._phase in ("init", "restart"):
            best = deb_best(fit, viol)
            self._move_to(archs[best].copy(), float(fit[best]), float(viol[best]))
            self._phase = "climb"
        else:
            self._consider(archs[0].copy(), float(fit[0]), float(viol[0]))
