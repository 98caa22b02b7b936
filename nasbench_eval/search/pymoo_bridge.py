"""Drive a pymoo algorithm through our ask/tell loop.

pymoo owns the population and its operators; we own evaluation and the budget. ``ask`` decodes pymoo's decision
vectors into architectures, ``tell`` hands back the minimised objective matrix (and constraints). pymoo is seeded
with an integer drawn from the run's Generator, and pymoo >= 0.6.2 keeps its randomness in a local Generator, so
runs are reproducible and independent of any global state.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

BAD = 1e15


def _finite(a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, BAD)


class PymooAskTell:
    def __init__(self, algorithm, n_var: int, xl, xu, n_obj: int, rng: np.random.Generator,
                 decode: Callable[[np.ndarray], np.ndarray], n_constr: int = 0, vtype=float):
        from pymoo.core.problem import Problem
        from pymoo.termination.max_gen import MaximumGenerationTermination

        self.problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=n_constr, xl=xl, xu=xu, vtype=vtype)
        self.algorithm = algorithm
        self.algorithm.setup(self.problem, termination=MaximumGenerationTermination(10**9),
                             seed=int(rng.integers(2**31 - 1)), verbose=False)
        self.decode = decode
        self._pop = None

    def ask(self) -> tuple[np.ndarray, np.ndarray]:
        """(decision vectors X, decoded architectures)."""
        self._pop = self.algorithm.ask()
        X = self._pop.get("X")
        return X, self.decode(X)

    def tell(self, F: np.ndarray, G: np.ndarray | None = None) -> None:
        pop = self._pop
        if pop is None or len(F) != len(pop):
            return  # a truncated last batch: nothing more will be asked
        pop.set("F", _finite(F))  # pymoo's crowding distance turns inf into NaN; a huge finite value ranks last
        if G is not None and G.shape[1]:
            pop.set("G", _finite(G))
        self.algorithm.tell(infills=pop)
        self._pop = None

    @property
    def population(self):
        return self.algorithm.pop
