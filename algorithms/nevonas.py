"""NEvoNAS: NSGA-II on (accuracy, novelty) over architecture parameters.

Sinha & Chen, "Novelty driven evolutionary neural architecture search", GECCO 2022 companion (arXiv 2204.00188).

Decision vector x in [0,1]^(n_edges * n_ops), decoded by ``space.decode_alpha`` (NB201: per-edge argmax; DARTS:
the DARTS parse). pymoo NSGA-II: population 20, uniform random initialisation, binary tournament (dominance, then
crowding), SBX (prob 0.7, eta 15, per-variable prob 0.5), polynomial mutation (eta 20, per-variable prob 0.2; in
pymoo 0.6 ``PM(prob=1.0, prob_var=0.2, eta=20)`` is the 0.5.0 ``PM(prob=0.2, eta=20)``), duplicate elimination on
x, rank-and-crowding survival, 50 generations (20 + 49 x 20 = 1,000 evaluations).

Objectives (both minimised): f1 = -fitness / 100 and f2 = -novelty, where novelty(a) is the mean distance
(``space.distance``: NB201 ``1 - c / (12 - c)`` with c equal edges; DARTS the pair-matching analogue) to the
``k_nearest`` nearest among {the current offspring except a itself} U {archive of every distinct genotype evaluated so
far}; the archive is updated after each generation, and a survivor keeps the novelty (and fitness) it was given when
evaluated, as in the reference code. ``k_nearest=None`` (default) is the reference code's value: 5 on NB201, 3 on DARTS
(its DARTS script overrides the command-line 5 with 3). ``objectives="novelty"`` / ``"accuracy"`` are the paper's two
ablations (NSGA-II with the one objective). This algorithm builds its own second objective, so it runs on
single-objective problems (``multi_objective = False``).

Answer: among the first non-dominated front of the last population, the member with the best SEARCH fitness.
The reference code picks the front member with the best NB201 *test* accuracy (an oracle: test-set leakage); we never
read test metrics during a search, so our numbers are what a user without the test set would get.

Constrained problems (our extension; the paper has no constraints): the problem's constraints are handed to pymoo's
NSGA-II, whose mating tournament and survival apply Deb's constrained domination (feasible first, then less
violation); the answer is taken from the first front of the least-violating (feasible, whenever any is) members and
is feasible whenever any evaluated architecture was.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval, Optional, Options
from nasbench_eval.search.selection import deb_best
from nasbench_eval.spaces import pairwise_distance

OBJECTIVES = ("both", "novelty", "accuracy")


class NEvoNAS(Algorithm):
    name = "nevonas"
    summary = ("NEvoNAS: pymoo NSGA-II on (accuracy, novelty k=5 NB201 / 3 DARTS + archive), pop 20, SBX 0.7/15, "
               "PM 0.2/20")
    paper = ("Sinha & Chen, Novelty driven evolutionary neural architecture search, GECCO 2022 companion "
             "(arXiv 2204.00188)")
    spaces = ("nb201", "darts")
    parameter_constraints = {
        "population_size": Interval(int, 2, None),
        "generations": Optional(Interval(int, 1, None)),
        "crossover_prob": Interval(float, 0, 1),
        "crossover_eta": Interval(float, 0, None, closed="neither"),
        "mutation_prob_var": Interval(float, 0, 1),
        "mutation_eta": Interval(float, 0, None, closed="neither"),
        "k_nearest": Optional(Interval(int, 1, None)),
        "objectives": Options(*OBJECTIVES),
    }

    def __init__(self, population_size: int = 20, generations: int | None = 50, crossover_prob: float = 0.7,
                 crossover_eta: float = 15.0, mutation_prob_var: float = 0.2, mutation_eta: float = 20.0,
                 k_nearest: int | None = None, objectives: str = "both"):
        self.population_size = population_size
        self.generations = generations
        self.crossover_prob = crossover_prob
        self.crossover_eta = crossover_eta
        self.mutation_prob_var = mutation_prob_var
        self.mutation_eta = mutation_eta
        self.k_nearest = k_nearest
        self.objectives = objectives

    def _setup(self) -> None:
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.sampling.rnd import FloatRandomSampling

        from nasbench_eval.search.pymoo_bridge import PymooAskTell

        self._k = int(self.k_nearest) if self.k_nearest is not None else (3 if self.space.name == "darts" else 5)
        self._shape = (self.space.n_edges, self.space.n_ops)
        n_var = self._shape[0] * self._shape[1]
        n_obj = 2 if self.objectives == "both" else 1
        self._n_constr = len(self.problem.constraints)  # handed to pymoo: Deb's constrained domination
        self._pymoo = PymooAskTell(
            pop_size=int(self.population_size), sampling=FloatRandomSampling(),
            crossover=SBX(prob=float(self.crossover_prob), eta=float(self.crossover_eta)),
            mutation=PM(prob=1.0, prob_var=float(self.mutation_prob_var), eta=float(self.mutation_eta)),
            n_var=n_var, xl=np.zeros(n_var), xu=np.ones(n_var), n_obj=n_obj, rng=self.rng, decode=self._decode,
            n_constr=self._n_constr, generations=self.generations)
        self.generation = 0

    @property
    def finished(self) -> bool:
        return self._pymoo.finished

    def _decode(self, X: np.ndarray) -> np.ndarray:
        return self.space.decode_alpha(np.asarray(X, dtype=float).reshape(-1, *self._shape))

    def ask(self) -> np.ndarray:
        return self._pymoo.ask()[1]

    def archive(self, before: int | None = None) -> np.ndarray:
        """The novelty archive: every distinct genotype evaluated (in the order first evaluated), read from the run's
        history; ``before``: only the rows before it (the generations before the current one)."""
        rows = self.history.first_rows()
        if before is not None:
            rows = rows[rows < before]
        return self.history.archs[rows]

    def novelty(self, archs: np.ndarray, archive: np.ndarray | None = None) -> np.ndarray:
        """Mean distance to the ``k_nearest`` nearest of {the batch except itself} U {the archive} (default: every
        distinct genotype in the history)."""
        n = len(archs)
        arch = self.archive() if archive is None else np.asarray(archive)
        d_self = pairwise_distance(self.space, archs, archs)
        np.fill_diagonal(d_self, np.inf)
        parts = [d_self]
        if len(arch):
            parts.append(pairwise_distance(self.space, archs, arch))
        D = np.concatenate(parts, axis=1)
        k = min(self._k, D.shape[1] - 1)  # each row holds one inf (itself)
        if k <= 0:
            return np.zeros(n)
        return np.sort(D, axis=1)[:, :k].mean(axis=1)

    def _tell(self, archs: np.ndarray, ev) -> None:
        fit = self.problem.fitness(ev)
        if self._pymoo.pending is None or len(archs) != len(self._pymoo.pending):
            return  # a truncated last batch: the run ends here
        nov = self.novelty(archs, self.archive(before=len(self.history) - len(archs)))  # earlier generations only
        f1 = -fit / 100.0  # a missing metric (-inf fitness) ranks last: the bridge's finite stand-in
        cols = {"both": [f1, -nov], "accuracy": [f1], "novelty": [-nov]}[self.objectives]
        self._pymoo.tell(np.stack(cols, axis=1), self.problem.G(ev) if self._n_constr else None, fitness=fit,
                         violation=self.problem.violation(ev), arch=archs)
        self.generation += 1

    def result(self) -> np.ndarray:
        """Best search fitness within the first front of the last population's least-violating members (never test
        accuracy); feasible whenever any evaluated architecture was."""
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        pop = self._pymoo.pop
        if not pop or self.generation == 0:
            return super().result()
        viol = pop["violation"].astype(float)
        pool = np.flatnonzero(viol == viol.min())
        front = pool[NonDominatedSorting().do(pop["F"][pool], only_non_dominated_front=True)]
        fit = pop["fitness"][front].astype(float)
        if not np.isfinite(fit).any():
            return super().result()
        best = front[deb_best(fit, viol[front])]
        return self.feasible_first(pop["arch"][best][None])


class NEvoNASNoveltyOnly(NEvoNAS):
    """NEvoNAS ablation "only novelty" (arXiv 2204.00188, NB201 table): NSGA-II on novelty alone."""

    name = "nevonas-novelty"
    summary = "NEvoNAS ablation: NSGA-II on novelty only (answer = best search fitness in the first front)"

    def __init__(self, population_size: int = 20, generations: int | None = 50, crossover_prob: float = 0.7,
                 crossover_eta: float = 15.0, mutation_prob_var: float = 0.2, mutation_eta: float = 20.0,
                 k_nearest: int | None = None, objectives: str = "novelty"):
        super().__init__(population_size, generations, crossover_prob, crossover_eta, mutation_prob_var,
                         mutation_eta, k_nearest, objectives)


class NEvoNASAccuracyOnly(NEvoNAS):
    """NEvoNAS ablation "only accuracy" (arXiv 2204.00188, NB201 table): NSGA-II on accuracy alone."""

    name = "nevonas-accuracy"
    summary = "NEvoNAS ablation: NSGA-II on accuracy only (real alpha, SBX/PM, duplicate elimination)"

    def __init__(self, population_size: int = 20, generations: int | None = 50, crossover_prob: float = 0.7,
                 crossover_eta: float = 15.0, mutation_prob_var: float = 0.2, mutation_eta: float = 20.0,
                 k_nearest: int | None = None, objectives: str = "accuracy"):
        super().__init__(population_size, generations, crossover_prob, crossover_eta, mutation_prob_var,
                         mutation_eta, k_nearest, objectives)
