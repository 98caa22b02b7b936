"""NSGA-II (Deb et al., 2002) through pymoo on the integer NB201 encoding (6 variables, 0..4).

Integer random sampling, SBX (eta 15, prob 0.9) and polynomial mutation (eta 20) with rounding repair, duplicate
elimination; all objectives of the problem are optimised (one objective reduces it to an elitist GA).

Constraints are handled by pymoo's NSGA-II itself (Deb's constrained domination: feasible first, then less
violation) and the answer is the non-dominated set of the feasible architectures evaluated (the default
:meth:`Algorithm.result`).
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval
from nasbench_eval.search.pymoo_bridge import PymooAskTell


class NSGA2(Algorithm):
    name = "nsga2"
    summary = "pymoo NSGA-II on the integer encoding, all problem objectives (baseline)"
    paper = "Deb et al., IEEE TEVC 2002; pymoo (Blank & Deb 2020)"
    multi_objective = True
    parameter_constraints = {
        "population_size": Interval(int, 2, None),
        "crossover_prob": Interval(float, 0, 1),
        "crossover_eta": Interval(float, 0, None, closed="neither"),
        "mutation_eta": Interval(float, 0, None, closed="neither"),
    }

    def __init__(self, population_size: int = 50, crossover_prob: float = 0.9, crossover_eta: float = 15.0,
                 mutation_eta: float = 20.0):
        self.population_size = population_size
        self.crossover_prob = crossover_prob
        self.crossover_eta = crossover_eta
        self.mutation_eta = mutation_eta

    def _setup(self):
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.operators.sampling.rnd import IntegerRandomSampling

        hi = self.space.n_choices - 1
        self._driver = PymooAskTell(
            pop_size=int(self.population_size), sampling=IntegerRandomSampling(),
            crossover=SBX(prob=self.crossover_prob, eta=self.crossover_eta, vtype=float, repair=RoundingRepair()),
            mutation=PM(eta=self.mutation_eta, vtype=float, repair=RoundingRepair()),
            n_var=len(hi), xl=np.zeros(len(hi)), xu=hi, n_obj=self.problem.n_obj, rng=self.rng,
            decode=lambda X: np.clip(np.rint(X), 0, hi).astype(np.int64), n_constr=len(self.problem.constraints),
            vtype=int)

    def ask(self) -> np.ndarray:
        return self._driver.ask()[1]

    def _tell(self, archs, ev):
        self._driver.tell(self.problem.F(ev), self.problem.G(ev))
