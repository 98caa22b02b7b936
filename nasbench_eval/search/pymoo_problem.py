"""Any pymoo algorithm on our problems: :func:`as_pymoo_problem` turns a :class:`~nasbench_eval.problems.Problem`
into a pymoo ``Problem`` (as EvoXBench does for its benchmarks).

::

    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize
    from nasbench_eval.problems import nb201_problem
    from nasbench_eval.search.pymoo_problem import as_pymoo_problem

    pp = as_pymoo_problem(nb201_problem("cifar10"))
    res = minimize(pp, GA(pop_size=20, sampling=IntegerRandomSampling(), eliminate_duplicates=True),
                   ("n_evals", 500), seed=1)
    pp.describe(res.X)      # arch string, NB201 index, search and report metrics of the answer

Decision variables are integers, one per position of the space's native encoding (NB201: the op id of each of the
6 edges, 0..4; bounds ``xl = 0``, ``xu = n_choices - 1``, ``vtype = int``); pymoo's real-valued operators work too
because every ``X`` is rounded and clipped before it is decoded (use ``RoundingRepair`` to keep the population
integral). ``F`` is :meth:`Problem.F` (all objectives minimised, so accuracy appears negated) and ``G`` is
:meth:`Problem.G` (``metric - threshold``, feasible where ``<= 0``), so pymoo's own constraint handling -- feasible
first, then less violation, as in Deb's rules -- applies. A missing metric (NaN) is passed as a huge finite number
(pymoo's crowding distance turns ``inf`` into NaN), which ranks last.

What pymoo asks is evaluated through the problem's evaluator, under the same leakage guard as our own run loop
(test metrics cannot be read while pymoo searches). ``n_evaluated`` counts the architectures evaluated; pymoo's
``("n_evals", N)`` termination is the budget. The problem is not copied: evaluator caches are shared with the caller.
Only spaces whose every integer vector in the bounds is a valid architecture are accepted (NB201); the DARTS
encoding has invalid combinations and is refused.
"""
from __future__ import annotations

import numpy as np
from pymoo.core.problem import Problem as _PymooProblem

from ..errors import ConfigError
from .pymoo_bridge import finite


class PymooNASProblem(_PymooProblem):
    """pymoo view of a nasbench-eval problem; build it with :func:`as_pymoo_problem`."""

    def __init__(self, problem):
        space = problem.space
        if getattr(space, "name", None) != "nb201":
            raise ConfigError("as_pymoo_problem supports spaces whose integer box holds only valid architectures "
                              f"(nb201); got space {getattr(space, 'name', space)!r}")
        self._hi = np.asarray(space.n_choices, dtype=np.int64) - 1
        super().__init__(n_var=len(self._hi), n_obj=problem.n_obj, n_ieq_constr=len(problem.constraints),
                         xl=np.zeros(len(self._hi)), xu=self._hi.astype(float), vtype=int)
        self.nasbench_problem = problem
        self.n_evaluated = 0

    def decode(self, X) -> np.ndarray:
        """Decision vectors (rounded, clipped) -> architectures in the space's native encoding."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return np.clip(np.rint(X), 0, self._hi).astype(np.int64)

    def _evaluate(self, X, out, *args, **kwargs):
        problem = self.nasbench_problem
        archs = self.decode(X)
        with problem.search_guard():
            ev = problem.evaluate(archs)
            out["F"] = finite(problem.F(ev))
            if problem.constraints:
                out["G"] = finite(problem.G(ev))
        self.n_evaluated += len(archs)

    def describe(self, X) -> list[dict]:
        """Arch string, key and search + report (test) metrics of decision vectors -- after the search."""
        from .run import describe_archs

        return describe_archs(self.nasbench_problem, self.decode(X))


def as_pymoo_problem(problem) -> PymooNASProblem:
    """A pymoo ``Problem`` (vectorised) that evaluates ``problem``; see the module docstring."""
    return PymooNASProblem(problem)


__all__ = ["PymooNASProblem", "as_pymoo_problem"]
