"""Drive a pymoo algorithm through our ask/tell loop: the one bridge (NSGA-II, NEvoNAS, MO-HDNAS use it).

pymoo owns the population and its operators; we own evaluation and the budget. :meth:`PymooAskTell.ask` asks
pymoo for one generation and decodes its decision vectors into architectures (the generation stays pending until
told, so an algorithm with an architecture-fitness table may ask for it several times); :meth:`PymooAskTell.tell`
hands back the minimised objective matrix, the constraints and any per-individual data the algorithm keeps.

Termination is pymoo's own: ``generations`` gives ``MaximumGenerationTermination(generations)`` and
:attr:`PymooAskTell.finished` is ``not algorithm.has_next()``; without it the run's budget ends the search
(``NoTermination``). pymoo is seeded with an integer drawn from the run's Generator, and pymoo >= 0.6.2 keeps its
randomness in a local Generator, so runs are reproducible and independent of any global state.

Non-finite objective or constraint values (a missing metric) become the finite stand-in ``bad`` before pymoo
sees them: its crowding distance turns inf into NaN, while a huge finite value ranks last.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

BAD = 1e15


def finite(a, bad: float = BAD) -> np.ndarray:
    """``a`` as floats with every non-finite value replaced by the stand-in ``bad`` (see the module docstring)."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, bad)


class PymooAskTell:
    def __init__(self, algorithm, n_var: int, xl, xu, n_obj: int, rng: np.random.Generator,
                 decode: Callable[[np.ndarray], np.ndarray], n_constr: int = 0, vtype=float,
                 generations: int | None = None, bad: float = BAD):
        from pymoo.core.problem import Problem
        from pymoo.core.termination import NoTermination
        from pymoo.termination.max_gen import MaximumGenerationTermination

        self.problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=n_constr, xl=xl, xu=xu, vtype=vtype)
        self.algorithm = algorithm
        termination = MaximumGenerationTermination(int(generations)) if generations is not None else NoTermination()
        self.algorithm.setup(self.problem, termination=termination, seed=int(rng.integers(2**31 - 1)),
                             verbose=False)
        self.decode, self.bad = decode, float(bad)
        self.pending = None  # the generation asked and not yet told (a pymoo Population)
        self.pending_archs: np.ndarray | None = None

    def ask(self) -> tuple[np.ndarray, np.ndarray]:
        """(decision vectors X, decoded architectures) of the pending generation (asked from pymoo once)."""
        if self.pending is None:
            self.pending = self.algorithm.ask()
            self.pending_archs = self.decode(self.pending.get("X"))
        return self.pending.get("X"), self.pending_archs

    def finite(self, a) -> np.ndarray:
        return finite(a, self.bad)

    def tell(self, F: np.ndarray, G: np.ndarray | None = None, **data) -> bool:
        """Tell the pending generation its objectives ``F`` (minimised), constraints ``G`` (<= 0 feasible) and
        per-individual ``data`` (kept on pymoo's population, e.g. the search fitness). Returns False, telling
        nothing, when ``F`` does not cover the whole generation (a budget-truncated last batch)."""
        pop = self.pending
        if pop is None or len(F) != len(pop):
            return False
        pop.set("F", self.finite(F))
        if G is not None and np.shape(G)[1]:
            pop.set("G", self.finite(G))
        for k, v in data.items():
            pop.set(k, v)
        self.algorithm.tell(infills=pop)
        self.pending = self.pending_archs = None
        return True

    @property
    def finished(self) -> bool:
        """pymoo's termination says the search is over."""
        return not self.algorithm.has_next()

    @property
    def population(self):
        return self.algorithm.pop
