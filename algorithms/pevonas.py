"""pEvoNAS: progressive search-space reduction with a GA over architecture parameters.

Sinha & Chen, "Neural architecture search using progressive evolution", GECCO 2022 (arXiv 2203.01559).

Stages follow ``progression`` (NB201 paper setting ``(None, 3, 2)``: 5 -> 3 -> 2 ops per edge; DARTS paper
setting ``(None, 5, 2)``; ``None`` = the full op set). In each stage a GA (EvNAS operators: tournament of
``tournament_size`` distinct members, 1 elite, row-uniform crossover, row-reset mutation ``mutation_rate``) evolves
a fresh random population of alpha matrices over the *kept* op columns only; decoding puts the kept columns back
into a full ``(space.n_edges, space.n_ops)`` matrix (dropped ops at -inf) and calls ``space.decode_alpha``. A stage
ends when the best genotype has been the same in ``convergence_break`` consecutive generations, or after
``max_generations``. The next stage keeps, per edge, the top-k ops by the raw alpha of the elite (the best
individual of the stage's final population) -- the elite-only rule the reference code uses. ``finished`` becomes
True when the last stage ends. Answer: the best individual of the last generation (of the last stage reached).

Constrained problems (our extension; the paper has no constraints): "best" and "fittest" follow Deb's rules
(feasible first, less violation first, then fitness) in the tournaments, the elite, the convergence rule and the
answer; the answer is feasible whenever any evaluated architecture was (a stage change can drop every feasible
architecture of the last generation: then the best evaluated one by Deb's rules).

AF table (``af_table``): ``"stage"`` (paper: the supernet changes between stages, so the table is cleared at every
stage change), ``"run"`` (one table for the whole run -- the tabular fitness never changes) or ``"none"``. Archs in
the table are not asked again, so the evaluation budget counts only real evaluations; a generation made only of
known archs is completed for free.

Tabular path: there is no supernet to retrain between stages, but the stage structure (op masks, fresh population,
convergence rule) is preserved exactly. A supernet driver follows it through :attr:`op_mask` (bool
``(n_edges, n_ops)``, the ops kept now) and the ``"stage"`` event: at the start of every stage (stage 0 included)
the algorithm calls ``self.emit("stage", stage=..., op_mask=...)``, which reaches the run's callbacks as
``on_stage(state, stage, op_mask=...)``; there the supernet driver builds the reduced supernet and copies the kept
ops' weights (the paper's weight inheritance).
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval, Optional, Options, Sequence

from . import _ga

AF_TABLE_SCOPES = ("stage", "run", "none")


class PEvoNAS(_ga.GenerationalSearch, Algorithm):
    name = "pevonas"
    summary = "pEvoNAS: GA (pop 20, tournament 5) with progressive op reduction 5->3->2 per edge, AF table per stage"
    paper = "Sinha & Chen, Neural architecture search using progressive evolution, GECCO 2022 (arXiv 2203.01559)"
    spaces = ("nb201", "darts")
    parameter_constraints = {
        **_ga.GA_PARAMETERS,
        "convergence_break": Interval(int, 1, None),
        "max_generations": Interval(int, 1, None),
        "progression": Sequence(Optional(Interval(int, 1, None)), min_len=1),  # further checked per space at setup
        "af_table": Options(*AF_TABLE_SCOPES),
    }


    def __init__(self, population_size: int = 20, tournament_size: int = 5, n_elites: int = 1,
                 crossover_row_prob: float = 0.5, mutation_rate: float = 0.1, convergence_break: int = 10,
                 max_generations: int = 100, progression: tuple = (None, 3, 2), af_table: str = "stage"):
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.n_elites = n_elites
        self.crossover_row_prob = crossover_row_prob
        self.mutation_rate = mutation_rate
        self.convergence_break = convergence_break
        self.max_generations = max_generations
        self.progression = progression
        self.af_table = af_table

    def _setup(self) -> None:
        _ga.check_fits_population(self, ("tournament_size", 0), ("n_elites", 1))
        self._ks = self._check_progression()
        self._init_generations(use_table=self.af_table != "none")
        self.stage = 0
        self._kept = np.tile(np.arange(self.space.n_ops), (self.space.n_edges, 1))  # (E, k) op ids per edge
        self._start_stage()

    def _check_progression(self) -> list[int]:
        prog, n_ops = self.progression, self.space.n_ops
        bad = ConfigError(f"parameter 'progression' of algorithm {self.name!r} must be a non-empty list of op "
                          f"counts per edge, non-increasing, each None (= all {n_ops} ops, first stage only) or an "
                          f"integer 1..{n_ops}; got {prog!r}")
        if not isinstance(prog, (list, tuple)) or not prog:
            raise bad
        ks = []
        for i, k in enumerate(prog):
            if k is None and i == 0:
                k = n_ops
            if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 1 <= k <= n_ops):
                raise bad
            if ks and k > ks[-1]:
                raise bad
            ks.append(int(k))
        return ks

    # ------------------------------------------------------------------ stages
    @property
    def op_mask(self) -> np.ndarray:
        """Bool ``(n_edges, n_ops)``: the ops each edge keeps in the current stage."""
        mask = np.zeros((self.space.n_edges, self.space.n_ops), dtype=bool)
        np.put_along_axis(mask, self._kept, True, axis=1)
        return mask

    def _start_stage(self) -> None:
        self._stage_gen = 0
        self._best_key: int | None = None
        self._same_best = 0
        self.population = _ga.random_population(self.rng, int(self.population_size), self.space.n_edges,
                                                self._kept.shape[1])
        if self.af_table == "stage":
            self.reset_table()
        self.emit("stage", stage=self.stage, op_mask=self.op_mask)

    def _full_alpha(self, pop: np.ndarray) -> np.ndarray:
        full = np.full((len(pop), self.space.n_edges, self.space.n_ops), -np.inf)
        np.put_along_axis(full, np.broadcast_to(self._kept, pop.shape), pop, axis=2)
        return full

    def _candidates(self) -> np.ndarray:
        return self.space.decode_alpha(self._full_alpha(self.population))

    def _advance(self, deb: np.ndarray) -> None:
        best = int(np.argmax(deb))
        key = int(np.atleast_1d(self.space.key(self._last_archs[best]))[0])
        self._same_best = self._same_best + 1 if key == self._best_key else 1
        self._best_key = key
        self._stage_gen += 1
        if self._same_best >= self.convergence_break or self._stage_gen >= self.max_generations:
            if self.stage + 1 >= len(self._ks):
                self._done = True
                return
            elite = self.population[best]  # raw alpha over the kept columns
            k = self._ks[self.stage + 1]
            top = np.sort(np.argsort(-elite, axis=1, kind="stable")[:, :k], axis=1)
            self._kept = np.take_along_axis(self._kept, top, axis=1)
            self.stage += 1
            self._start_stage()
            return
        self.population = _ga.next_generation(
            self.population, deb, self.rng, n_elites=int(self.n_elites),
            tournament_size=int(self.tournament_size), crossover_row_prob=float(self.crossover_row_prob),
            mutation_rate=float(self.mutation_rate))

    def result(self) -> np.ndarray:
        return self.best_of_last_generation()
