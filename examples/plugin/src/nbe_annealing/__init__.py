"""Simulated annealing over NAS-Bench-201: an example nasbench-eval plug-in.

S. Kirkpatrick, C. D. Gelatt, M. P. Vecchi, "Optimization by Simulated Annealing", Science 220 (1983): propose a
neighbour (one operation changed), always accept it when it is better, accept a worse one with probability
exp(-loss / T), and cool T geometrically. Feasibility first on constrained problems (Deb's rules): a feasible
neighbour always replaces an infeasible current architecture, an infeasible one never replaces a feasible one.
"""
from __future__ import annotations

import math

import numpy as np

from nasbench_eval import Algorithm
from nasbench_eval.search.params import Interval

__all__ = ["SimulatedAnnealing"]


class SimulatedAnnealing(Algorithm):
    name = "simulated-annealing"
    summary = "simulated annealing: one-op neighbours, Metropolis acceptance, geometric cooling"
    paper = "Kirkpatrick, Gelatt & Vecchi, Optimization by Simulated Annealing, Science 1983"
    spaces = ("nb201",)
    parameter_constraints = {
        "initial_temperature": Interval(float, 0, None, closed="neither"),  # in fitness units (accuracy points)
        "cooling": Interval(float, 0, 1, closed="neither"),                 # T <- cooling * T after each step
    }

    def __init__(self, initial_temperature: float = 1.0, cooling: float = 0.97):
        self.initial_temperature = initial_temperature
        self.cooling = cooling

    # Everything below runs after setup(problem, rng): self.problem, self.space and self.rng are set.
    def _setup(self) -> None:
        self._current = None  # (arch, fitness, violation) of the current architecture
        self._t = float(self.initial_temperature)

    def ask(self) -> np.ndarray:
        if self._current is None:
            return self.space.random(self.rng, 1)
        arch = self._current[0].copy()
        pos = int(self.rng.integers(len(arch)))
        n_choices = int(self.space.n_choices[pos])
        arch[pos] = (arch[pos] + 1 + int(self.rng.integers(n_choices - 1))) % n_choices  # a different op
        return arch[None]

    def _tell(self, archs: np.ndarray, evaluation) -> None:
        fit = float(self.problem.fitness(evaluation)[0])  # maximised; -inf when the metric is missing
        viol = float(self.problem.violation(evaluation)[0])  # 0 when feasible
        if self._current is None or self._accept(fit, viol):
            self._current = (np.asarray(archs[0]), fit, viol)
        self._t *= self.cooling

    def _accept(self, fit: float, viol: float) -> bool:
        _, cur_fit, cur_viol = self._current
        u = self.rng.random()  # one draw per step, accepted or not: the stream does not depend on the branch
        if viol != cur_viol:  # Deb's rules: less violation wins, feasible beats infeasible
            return viol < cur_viol
        if fit >= cur_fit:
            return True
        return bool(np.isfinite(fit)) and u < math.exp((fit - cur_fit) / max(self._t, 1e-12))
