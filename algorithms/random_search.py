"""Random search: uniform sampling of the space (the NB201 paper's RS baseline, Dong & Yang, ICLR 2020).

Answer: the best architecture seen, feasibility first on constrained problems (Deb's rules, the default
:meth:`Algorithm.result`)."""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval


class RandomSearch(Algorithm):
    name = "random"
    summary = "uniform random sampling; answer = best validation fitness seen"
    paper = "Dong & Yang, NAS-Bench-201, ICLR 2020 (RS baseline)"
    spaces = ("nb201", "darts")
    parameter_constraints = {"batch_size": Interval(int, 1, None)}

    def __init__(self, batch_size: int = 10):
        self.batch_size = batch_size

    def ask(self) -> np.ndarray:
        return self.space.random(self.rng, int(self.batch_size))
