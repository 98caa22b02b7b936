"""Regularized evolution (REA; Real et al., AAAI 2019) as run in the NB201 paper's own code.

Population of ``population_size`` random architectures; each cycle samples ``sample_size`` members uniformly
with replacement, mutates the best one on one random edge (always to a different op), evaluates the child, adds it
and removes the oldest member. Answer: the best architecture by search fitness over everything evaluated.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.search import Algorithm


def mutate_one(arch: np.ndarray, n_choices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one random position to a different value."""
    child = arch.copy()
    pos = int(rng.integers(len(child)))
    new = int(rng.integers(n_choices[pos] - 1))
    child[pos] = new + (new >= child[pos])
    return child


class REA(Algorithm):
    name = "rea"
    summary = "regularized evolution (aging): tournament on a sliding population, one-edge mutation"
    paper = "Real et al., AAAI 2019; NB201 R_EA.py settings (population 10, sample 3)"

    def __init__(self, population_size: int = 10, sample_size: int = 3):
        self.population_size = population_size
        self.sample_size = sample_size

    def _setup(self):
        for k in ("population_size", "sample_size"):
            v = getattr(self, k)
            if int(v) != v or v < 1:
                raise ConfigError(f"{k} must be a positive integer, got {v!r}")
        self._pop: deque = deque()
        self._initial = True

    def ask(self) -> np.ndarray:
        if self._initial:
            return self.space.random(self.rng, int(self.population_size))
        members = list(self._pop)
        picks = self.rng.integers(len(members), size=int(self.sample_size))
        parent = max((members[i] for i in picks), key=lambda m: m[1])
        return mutate_one(parent[0], self.space.n_choices, self.rng)[None]

    def _tell(self, archs, ev):
        fit = self.problem.fitness(ev)
        for a, f in zip(archs, fit):
            self._pop.append((a, float(f)))
        if self._initial:
            self._initial = False
        while len(self._pop) > self.population_size:
            self._pop.popleft()
