"""Regularized evolution (REA) as run in the NB201 paper's own code.

Real, Aggarwal, Huang & Le, "Regularized evolution for image classifier architecture search", AAAI 2019; settings
and operators from the NB201 baseline script (Dong & Yang, "NAS-Bench-201", ICLR 2020; AutoDL-Projects
``exps/algos/R_EA.py``): population 10, tournament sample 3.

Population of ``population_size`` random architectures; each cycle samples ``sample_size`` members uniformly with
replacement, takes the best one as parent and mutates it as the NB201 script does: pick one of the cell's three
intermediate nodes uniformly, then one of the edges entering that node uniformly, and give that edge a different op
(uniformly among the other four). So the single edge into node 1 is changed with probability 1/3, each of the two
edges into node 2 with 1/6 and each of the three edges into node 3 with 1/9. The child is evaluated and added, and
the oldest member is removed. Answer: the best architecture by search fitness over everything evaluated.

Constrained problems (our extension; the paper has no constraints): "best" follows Deb's rules (feasible beats
infeasible, less violation beats more, then fitness) for the parent and for the answer, which is feasible whenever
any evaluated architecture was. Without constraints this is the paper's rule.
"""
from __future__ import annotations

from collections import deque
from operator import itemgetter

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval
from nasbench_eval.search.selection import deb_sort_key
from nasbench_eval.spaces import nb201

#: edge positions grouped by the node they enter (node 1: edge 0; node 2: edges 1, 2; node 3: edges 3, 4, 5)
NODE_EDGES: tuple[tuple[int, ...], ...] = tuple(
    tuple(e for e, (to, _) in enumerate(nb201.EDGES) if to == node) for node in sorted({to for to, _ in nb201.EDGES}))


def mutate_node_edge(arch: np.ndarray, n_ops: int, rng: np.random.Generator) -> np.ndarray:
    """NB201 ``R_EA.py`` mutation: a uniform node, a uniform edge into it, a different op (uniform)."""
    child = arch.copy()
    edges = NODE_EDGES[int(rng.integers(len(NODE_EDGES)))]
    pos = edges[int(rng.integers(len(edges)))]
    new = int(rng.integers(n_ops - 1))
    child[pos] = new + (new >= child[pos])
    return child


_RANK = itemgetter(1)  # a member's Deb sort key (smaller is better; min() keeps the first of equal best)


class REA(Algorithm):
    name = "rea"
    summary = "regularized evolution (aging): tournament on a sliding population, node-then-edge one-op mutation"
    paper = ("Real et al., Regularized evolution for image classifier architecture search, AAAI 2019; "
             "NB201 R_EA.py settings (Dong & Yang, ICLR 2020: population 10, sample 3)")
    parameter_constraints = {"population_size": Interval(int, 1, None), "sample_size": Interval(int, 1, None)}

    def __init__(self, population_size: int = 10, sample_size: int = 3):
        self.population_size = population_size
        self.sample_size = sample_size

    def _setup(self):
        self._pop: deque = deque()  # (arch, Deb sort key of (fitness, violation)), oldest first
        self._initial = True
        self._sample_size = int(self.sample_size)

    def ask(self) -> np.ndarray:
        if self._initial:
            return self.space.random(self.rng, int(self.population_size))
        pop = self._pop
        parent = min([pop[i] for i in self.rng.integers(len(pop), size=self._sample_size).tolist()], key=_RANK)
        return mutate_node_edge(parent[0], self.space.n_ops, self.rng)[None]

    def _tell(self, archs, ev):
        pop = self._pop
        fit, vio = self.problem.fitness(ev).tolist(), self.problem.violation(ev).tolist()
        for i in range(len(fit)):  # indexing rows: zip over a 2-D array costs 1 us more per call
            pop.append((archs[i], deb_sort_key(fit[i], vio[i])))
        self._initial = False
        while len(pop) > self.population_size:
            pop.popleft()
