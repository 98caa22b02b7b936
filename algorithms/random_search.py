"""Random search: uniform sampling of the space (the NB201 paper's RS baseline, Dong & Yang, ICLR 2020)."""
from __future__ import annotations

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.search import Algorithm


class RandomSearch(Algorithm):
    name = "random"
    summary = "uniform random sampling; answer = best validation fitness seen"
    paper = "Dong & Yang, NAS-Bench-201, ICLR 2020 (RS baseline)"
    spaces = ("nb201", "darts")

    def __init__(self, batch_size: int = 10):
        self.batch_size = batch_size

    def _setup(self):
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {self.batch_size!r}")

    def ask(self) -> np.ndarray:
        return self.space.random(self.rng, int(self.batch_size))
