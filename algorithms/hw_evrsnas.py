"""HW-EvRSNAS: evolutionary hardware-aware NAS with a proxy score and a hardware-cost penalty.

Sinha, Shabayek, Kacem, Rostami, Shneider & Aouada, "Hardware Aware Evolutionary Neural Architecture Search Using
Representation Similarity Metric", WACV 2024, pp. 2628-2637 (arXiv 2311.03923). Only the abstract is public: the
abstract fixes the idea (an RMI proxy to a reference model, a penalty that grows with the distance of the hardware
cost from the threshold, one run per threshold); every setting below is our ASSUMPTION, chosen as stated.

A GA on the NB201 integer encoding (6 genes in 0..4), EvNAS-style operators (Sinha & Chen, GECCO 2021): ``n_elites``
best kept unchanged, the other children from two tournaments (``tournament_size`` distinct members, the fittest wins),
per-gene uniform crossover (``crossover_prob`` = 0.5 per gene) and per-gene reset mutation (each gene, with
``mutation_rate``, drawn afresh uniformly from the 5 ops). Fitness to maximise::

    F(a) = S(a) - penalty_weight * P(cost(a), T)
    S(a) = sign * proxy(a) / proxy_scale      (sign +1 for a maximised proxy, -1 for a *_loss)
    P    = max(0, cost - T) / T               (penalty="one-sided", default: relative excess over T)
         = |cost - T| / T                     (penalty="two-sided": "how far the cost is from the threshold")

``proxy_scale`` (default ``None`` = auto) puts S on a unit scale so that ``penalty_weight`` is meaningful: 100 for
accuracies in percent (S = accuracy / 100, in [0, 1]), 3 for ``rmi_loss`` (range [0, 3]: S = -loss / 3), else 1.
With the defaults, exceeding T by 10 % costs as much as 10 accuracy points.

T is the threshold of the constrained HW problem (``hw_problem(kind="constrained", ...)``; one run per threshold),
or ``threshold=`` on a bi-objective HW problem. On a problem without a hardware cost (e.g. the plain accuracy
problem) ``setup`` raises :class:`ConfigError` -- it does not silently degrade to a plain GA (use ``evnas`` or
``rea`` for that). Partial-coverage devices: initial samples and children are kept inside the problem's ``allowed``
archs (a child outside is re-mutated, at worst replaced by a random allowed arch).

Architecture-fitness table: an arch already evaluated is never asked again (its stored proxy and cost are reused),
so the budget counts distinct evaluations, as the AF table of the EvNAS family does; a generation made only of known
archs is completed without asking. The run stops after ``generations`` generations (the initial population is
generation 1; default 50 x 20 = at most 1,000 evaluations) or when the budget ends.
Answer: by Deb's rules over every evaluated arch, with F as the fitness and, as the violation, the problem's
constraint violation plus the excess of the cost over T: the best F among the feasible archs (cost <= T and the
problem's constraints met); if none is feasible, the least violating one (ties: the best F). Selection inside the
GA stays the paper's penalised F.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.problems.costs import constraint_slack
from nasbench_eval.problems.hw import cost_metric_of
from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval, Optional, Options
from nasbench_eval.search.selection import deb_best

from . import _ga

PENALTIES = ("one-sided", "two-sided")


def auto_proxy_scale(metric: str) -> float:
    if "acc" in metric:
        return 100.0
    if metric == "rmi_loss":
        return 3.0
    return 1.0


def penalty(cost: np.ndarray, T: float, kind: str = "one-sided") -> np.ndarray:
    """Relative distance of the cost to the threshold: one-sided excess or two-sided; NaN cost -> +inf."""
    d = constraint_slack(cost, T)  # physical ties with T count as exactly T (tie-safe, like Problem.G)
    p = np.maximum(0.0, d) / T if kind == "one-sided" else np.abs(d) / T
    return np.where(np.isnan(p), np.inf, p)


def int_uniform_crossover(p1: np.ndarray, p2: np.ndarray, rng: np.random.Generator, prob: float = 0.5):
    """Each gene of the child from ``p2`` with ``prob``, else from ``p1``."""
    return np.where(rng.random(p1.shape) < prob, p2, p1)


def int_reset_mutation(x: np.ndarray, n_choices: np.ndarray, rng: np.random.Generator, rate: float):
    """Each gene, with ``rate``, is drawn afresh uniformly from its choices (may equal the old value)."""
    hit = rng.random(x.shape) < rate
    fresh = np.floor(rng.random(x.shape) * n_choices).astype(np.int64)
    return np.where(hit, fresh, x)


class AllowedSampler:
    """Random archs and repairs restricted to a problem's ``allowed`` mask (None = whole space)."""

    def __init__(self, space, allowed: np.ndarray | None):
        self.space = space
        self.allowed = allowed
        self.allowed_keys = None if allowed is None else np.flatnonzero(allowed)

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.allowed is None:
            return self.space.random(rng, n)
        return self.space.from_key(rng.choice(self.allowed_keys, size=n)).reshape(n, -1)

    def repair(self, archs: np.ndarray, rng: np.random.Generator, tries: int = 50) -> np.ndarray:
        if self.allowed is None:
            return archs
        out = archs.copy()
        for i in range(len(out)):
            k = int(self.space.key(out[i]))
            t = 0
            while not self.allowed[k] and t < tries:
                pos = int(rng.integers(len(out[i])))
                out[i, pos] = int(rng.integers(self.space.n_choices[pos]))
                k = int(self.space.key(out[i]))
                t += 1
            if not self.allowed[k]:
                out[i] = self.random(rng, 1)[0]
        return out


def resolve_threshold(problem, threshold) -> float:
    if threshold is not None:
        return float(threshold)
    if problem.constraints:
        return float(problem.constraints[0].threshold)
    raise ConfigError(f"HW-EvRSNAS runs once per threshold: problem {problem.name!r} has no cost constraint; pass "
                      "threshold=T or use hw_problem(kind='constrained', ...) / hw_constrained_problems(...)")


class HWEvRSNAS(Algorithm):
    name = "hw-evrsnas"
    summary = "GA on the NB201 encoding, fitness = proxy - lambda * cost penalty vs threshold T (one run per T)"
    paper = ("Sinha, Shabayek, Kacem, Rostami, Shneider & Aouada, Hardware Aware Evolutionary Neural Architecture "
             "Search Using Representation Similarity Metric, WACV 2024 (GA settings are our assumptions)")
    scalarises = True  # accepts a bi-objective HW problem with one threshold (folds the cost into F)
    battery_problem = "hw"  # the shared battery builds nasbench_eval.problems.hw.battery_problem(cls)
    parameter_constraints = {
        "population_size": Interval(int, 2, None),
        "generations": Optional(Interval(int, 1, None)),
        "tournament_size": Interval(int, 1, None),
        "n_elites": Interval(int, 0, None),
        "crossover_prob": Interval(float, 0, 1),
        "mutation_rate": Interval(float, 0, 1),
        "penalty_weight": Interval(float, 0, None),
        "penalty": Options(*PENALTIES),
        "threshold": Optional(Interval(float, 0, None, closed="neither")),  # device units
        "proxy_scale": Optional(Interval(float, 0, None, closed="neither")),
    }

    def __init__(self, population_size: int = 50, generations: int | None = 20, tournament_size: int = 10,
                 n_elites: int = 1, crossover_prob: float = 0.5, mutation_rate: float = 0.1,
                 penalty_weight: float = 1.0, penalty: str = "one-sided", threshold: float | None = None,
                 proxy_scale: float | None = None):
        self.population_size = population_size
        self.generations = generations
        self.tournament_size = tournament_size
        self.n_elites = n_elites
        self.crossover_prob = crossover_prob
        self.mutation_rate = mutation_rate
        self.penalty_weight = penalty_weight
        self.penalty = penalty
        self.threshold = threshold
        self.proxy_scale = proxy_scale

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        _ga.check_fits_population(self, ("tournament_size", 0), ("n_elites", 1))
        self.cost_metric = cost_metric_of(self.problem)
        self.T = resolve_threshold(self.problem, self.threshold)
        obj = self.problem.objectives[0]
        self._scale = float(self.proxy_scale or auto_proxy_scale(obj.metric))
        self._sampler = AllowedSampler(self.space, self.problem.allowed)
        self.generation = 0
        self._free = 0
        self._done = False
        self.pop = self._sampler.random(self.rng, int(self.population_size))

    def fitness_of(self, S: np.ndarray, cost: np.ndarray) -> np.ndarray:
        F = np.asarray(S, dtype=float) - self.penalty_weight * penalty(cost, self.T, self.penalty)
        return np.where(np.isnan(F), -np.inf, F)

    # ------------------------------------------------------------------ ask / tell
    @property
    def finished(self) -> bool:
        return self._done

    def _keys(self, archs) -> list[int]:
        return np.atleast_1d(self.space.key(archs)).tolist()

    def ask(self) -> np.ndarray:
        return _ga.ask_unseen(self, lambda: self.pop, self._advance)

    def _tell(self, archs, ev) -> None:
        # the AF table is the history (the run's record): S, cost and violation are read from it by key
        if all(self.history.seen(k) for k in self._keys(self.pop)):
            self._advance()

    def _known(self, keys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(S, cost, problem constraint violation) of the last evaluation of each key."""
        h = self.history
        rows = [h.row_of(k) for k in keys]
        return h.fitness[rows] / self._scale, h.values[self.cost_metric][rows], h.violation[rows]

    def _advance(self) -> None:
        """The current generation is fully known: count it and build the next one."""
        self.generation += 1
        if self.generations is not None and self.generation >= self.generations:
            self._done = True
            return
        S, C, _ = self._known(self._keys(self.pop))
        fit = self.fitness_of(S, C)
        keep = _ga.elites(fit, int(self.n_elites))
        n_child = len(self.pop) - len(keep)
        parents = _ga.tournament(fit, int(self.tournament_size), 2 * n_child, self.rng)
        kids = int_uniform_crossover(self.pop[parents[:n_child]], self.pop[parents[n_child:]], self.rng,
                                     self.crossover_prob)
        kids = int_reset_mutation(kids, self.space.n_choices, self.rng, self.mutation_rate)
        kids = self._sampler.repair(kids, self.rng)
        self.pop = np.concatenate([self.pop[keep], kids]).astype(np.int64)

    # ------------------------------------------------------------------ answer
    def evaluated(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(keys, S, cost, F) of every distinct evaluated arch, in evaluation order."""
        keys = self.history.keys[self.history.first_rows()]
        S, C, _ = self._known(keys.tolist())
        return keys, S, C, self.fitness_of(S, C)

    def violation(self) -> np.ndarray:
        """Per evaluated arch (evaluation order): the problem's constraint violation plus the cost's excess over T
        (+inf where the cost is missing); 0 exactly where the arch is feasible for both."""
        _, C, V = self._known(self.history.keys[self.history.first_rows()].tolist())
        return V + np.where(np.isnan(C), np.inf, np.maximum(constraint_slack(C, self.T), 0.0))

    def result(self) -> np.ndarray:
        if not len(self.history):
            return np.empty((0, *self.space.arch_shape), dtype=np.int64)
        keys, _, _, F = self.evaluated()
        best = deb_best(F, self.violation())
        return self.feasible_first(self.space.from_key(keys[[best]]).reshape(1, -1))
