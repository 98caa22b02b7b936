"""EvNAS: a simple genetic algorithm over one-shot-model architecture parameters.

Sinha & Chen, "Evolving neural architecture using one shot model", GECCO 2021 (arXiv 2012.12540).

An individual is a real matrix alpha ``(space.n_edges, space.n_ops)`` with i.i.d. U[0,1) entries, decoded into an
architecture by ``space.decode_alpha`` (NB201: per-edge argmax, ``none`` allowed; DARTS: the DARTS parse). One
generation = the whole population is asked and told (in the paper, one supernet epoch trained with the decoded
population, then a fitness evaluation of every member). Reproduction: 1 elite kept unchanged, the other children from
two tournaments (``tournament_size`` distinct members sampled without replacement, the fittest wins), row-uniform
crossover (each edge row from either parent with 0.5) and row-reset mutation (each edge row replaced by a fresh
U[0,1) row with ``mutation_rate``). Answer: the best individual of the last generation by search fitness.

Constrained problems (our extension; the paper has no constraints): "fittest" and "best" follow Deb's rules --
feasible beats infeasible, less violation beats more, then fitness -- in the tournaments, the elite and the answer,
and the answer is feasible whenever any evaluated architecture was. Without constraints this is the paper's rule.

On the tabular path the fitness of an architecture never changes, yet every member is re-asked each generation as
in the paper (the elite and duplicates are charged again); wrap the problem's evaluator in
:class:`~nasbench_eval.evaluators.cache.CachedEvaluator` to make repeats free.

Ablations: ``crossover_row_prob=0`` is mutation-only (child = the first tournament winner, mutated),
``mutation_rate=0`` is crossover-only.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm

from . import _ga


class EvNAS(_ga.GenerationalSearch, Algorithm):
    name = "evnas"
    summary = "EvNAS GA over real alpha matrices (pop 50, tournament 10, 1 elite, row crossover, row-reset 0.1)"
    paper = "Sinha & Chen, Evolving neural architecture using one shot model, GECCO 2021 (arXiv 2012.12540)"
    spaces = ("nb201", "darts")
    parameter_constraints = {**_ga.GA_PARAMETERS, "generations": _ga.GENERATIONS}

    def __init__(self, population_size: int = 50, tournament_size: int = 10, n_elites: int = 1,
                 crossover_row_prob: float = 0.5, mutation_rate: float = 0.1, generations: int | None = 50):
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.n_elites = n_elites
        self.crossover_row_prob = crossover_row_prob
        self.mutation_rate = mutation_rate
        self.generations = generations

    def _setup(self) -> None:
        _ga.check_fits_population(self, ("tournament_size", 0), ("n_elites", 1))
        self._init_generations(use_table=False)
        self.population = _ga.random_population(self.rng, int(self.population_size), self.space.n_edges,
                                                self.space.n_ops)

    def _candidates(self) -> np.ndarray:
        return self.space.decode_alpha(self.population)

    def _advance(self, key: np.ndarray) -> None:
        if self.generations is not None and self.generation >= self.generations:
            self._done = True
            return
        self.population = _ga.next_generation(
            self.population, key, self.rng, n_elites=int(self.n_elites),
            tournament_size=int(self.tournament_size), crossover_row_prob=float(self.crossover_row_prob),
            mutation_rate=float(self.mutation_rate))

    def result(self) -> np.ndarray:
        return self.best_of_last_generation()
