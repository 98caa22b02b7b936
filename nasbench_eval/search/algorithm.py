"""The ask/tell interface every search algorithm implements.

Life cycle (driven by :func:`nasbench_eval.search.run`)::

    algo = SomeAlgorithm(population_size=50)     # constructor only stores hyper-parameters
    algo.setup(problem, rng)                      # a numpy Generator: the ONLY source of randomness
    while budget left and not algo.finished:
        archs = algo.ask()                        # int array (n, *space.arch_shape)
        algo.tell(archs, problem.evaluate(archs)) # the last tell may be a truncated batch (budget)
    chosen = algo.result()                        # chosen from search metrics only

The base class records everything told in ``self.history`` (:class:`~nasbench_eval.search.history.History`: archs,
keys, metrics, cost; fitness, violation and objective matrix on demand; "already evaluated" by key). It is the one
record of the run -- the trajectory is read from it -- so the default :meth:`result` is "best seen" (single
objective) or "non-dominated set of everything seen" (multi-objective), feasibility first. ``archive_archs`` /
``archive_fitness`` / ``archive_violation`` / ``archive_F`` are read-only views of it.

Constraints: every answer is feasible whenever any evaluated architecture was. Architectures are compared by
Deb's rules (:mod:`nasbench_eval.search.selection`: feasible beats infeasible, less violation beats more, then
fitness); an algorithm with its own ``result`` passes its choice through :meth:`Algorithm.feasible_first`. An
algorithm that cannot handle constraints sets ``handles_constraints = False`` and is refused on constrained problems.
"""
from __future__ import annotations

import inspect
from functools import lru_cache
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from ..evaluators.base import Evaluation
from .history import History
from .params import validate_params
from .selection import deb_best


@lru_cache(maxsize=None)
def _param_names(init) -> tuple[str, ...]:
    """Constructor parameter names (inspect.signature costs ~2 ms: once per class, not once per run)."""
    sig = inspect.signature(init)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(n for n, p in sig.parameters.items() if n != "self" and p.kind in kinds)


class Algorithm:
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line for `nasbench-eval algorithms`
    paper: ClassVar[str] = ""
    multi_objective: ClassVar[bool] = False  # True: optimises all of problem.F; False: problem.fitness
    spaces: ClassVar[tuple[str, ...]] = ("nb201",)
    handles_constraints: ClassVar[bool] = True  # False: refused on problems with constraints (setup, run --check)
    # parameter name -> Interval / Options / Boolean / Optional / Sequence (nasbench_eval.search.params);
    # checked by from_params and at setup. Undeclared parameters must have the type of their default.
    parameter_constraints: ClassVar[dict] = {}
    # check name -> reason: checks of nasbench_eval.testing.check_algorithm this algorithm is known to fail
    battery_exceptions: ClassVar[dict] = {}

    # ------------------------------------------------------------------ parameters (scikit-learn style)
    @classmethod
    def param_names(cls) -> list[str]:
        return list(_param_names(cls.__init__))

    @classmethod
    def defaults(cls) -> dict:
        sig = inspect.signature(cls.__init__)
        return {n: sig.parameters[n].default for n in cls.param_names()}

    def get_params(self) -> dict:
        return {n: getattr(self, n) for n in self.param_names()}

    @classmethod
    def from_params(cls, params: dict) -> "Algorithm":
        """Build from a mapping (YAML / CLI), checked by :func:`~nasbench_eval.search.params.validate_params`."""
        validate_params(cls, params)
        return cls(**params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    # ------------------------------------------------------------------ life cycle
    def setup(self, problem, rng: np.random.Generator, emit=None) -> None:
        """Start a run on ``problem`` with ``rng`` (the only source of randomness). ``emit(event, **info)``, when
        given, receives the algorithm's announcements (:meth:`emit`; :func:`~nasbench_eval.search.run` passes one
        that calls its callbacks' ``on_<event>``)."""
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"setup needs a numpy.random.Generator, got {type(rng).__name__}")
        validate_params(self, self.get_params())
        if problem.space.name not in self.spaces:
            raise ConfigError(f"algorithm {self.name!r} runs on spaces {self.spaces}, not {problem.space.name!r}")
        if self.multi_objective is False and problem.n_obj > 1 and not getattr(self, "scalarises", False):
            raise ConfigError(f"algorithm {self.name!r} is single-objective; problem {problem.name!r} has "
                              f"{problem.n_obj} objectives")
        refusal = constraint_refusal(self, problem)
        if refusal:
            raise ConfigError(refusal)
        self.problem, self.space, self.rng = problem, problem.space, rng
        self.history = History(problem)  # everything told, in order: the one record (also the run's trajectory)
        self._emit = emit
        self._setup()

    def _setup(self) -> None:
        """Validate hyper-parameters and build the initial state (subclasses)."""

    @property
    def finished(self) -> bool:
        """True when the algorithm stops by itself (convergence, its own stopping rule)."""
        return False

    def ask(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def tell(self, archs: np.ndarray, evaluation: Evaluation) -> None:
        archs = np.asarray(archs)
        self.history.append(archs, evaluation)
        self._tell(archs, evaluation)

    def emit(self, event: str, **info) -> None:
        """Announce ``event`` (e.g. ``"stage"`` with ``stage=`` and ``op_mask=``) to whoever drives the run."""
        if self._emit is not None:
            self._emit(event, **info)

    # read-only views of the history, one list entry (the whole record) or none
    archive_archs = property(lambda self: [self.history.archs] if len(self.history) else [])
    archive_fitness = property(lambda self: [self.history.fitness] if len(self.history) else [])
    archive_F = property(lambda self: [self.history.F] if len(self.history) else [])
    archive_violation = property(lambda self: [self.history.violation] if len(self.history) else [])

    def _tell(self, archs: np.ndarray, evaluation: Evaluation) -> None:
        """Update the search state (subclasses)."""

    # ------------------------------------------------------------------ answer
    def result(self) -> np.ndarray:
        """The chosen architecture(s), ``(k, *arch_shape)``, from search metrics only.

        Default: the best of everything told by Deb's rules (single objective), or the non-dominated set of the
        least-violating architectures told -- the feasible ones whenever any was feasible (multi-objective).
        """
        if not self.archive_archs:
            return np.empty((0, *self.space.arch_shape), dtype=np.int64)
        archs = np.concatenate(self.archive_archs)
        viol = np.concatenate(self.archive_violation)
        if self.multi_objective:
            from ..problems.pareto import non_dominated

            pool = viol == viol.min()
            F = np.where(pool[:, None], np.concatenate(self.archive_F), np.inf)
            keep = non_dominated(F)
            _, first = np.unique(np.atleast_1d(self.space.key(archs[keep])), return_index=True)
            return archs[keep][np.sort(first)]
        return archs[[deb_best(np.concatenate(self.archive_fitness), viol)]]

    def feasible_first(self, chosen) -> np.ndarray:
        """``chosen`` (an algorithm's own answer, ``(k, *arch_shape)``), made feasible-first.

        Without constraints, or when no evaluated architecture was feasible, ``chosen`` is returned as is. Otherwise
        the members of ``chosen`` that were evaluated and found feasible are kept; when none is left (the answer was
        infeasible, or never evaluated), the answer is the best evaluated architecture by Deb's rules
        (:meth:`Algorithm.result`'s single-objective rule).
        """
        chosen = np.asarray(chosen)
        if not self.problem.constraints or not self.archive_archs:
            return chosen
        archs = np.concatenate(self.archive_archs)
        viol = np.concatenate(self.archive_violation)
        if not (viol == 0).any():
            return chosen
        feasible_keys = np.atleast_1d(self.space.key(archs))[viol == 0]
        if len(chosen):
            ok = np.isin(np.atleast_1d(self.space.key(chosen)), feasible_keys)
            if ok.any():
                return chosen[ok]
        return archs[[deb_best(np.concatenate(self.archive_fitness), viol)]]


def constraint_refusal(algorithm, problem) -> str | None:
    """Why ``algorithm`` (a class or an instance) cannot run on ``problem``'s constraints, or None when it can."""
    if not problem.constraints or getattr(algorithm, "handles_constraints", True):
        return None
    name = getattr(algorithm, "name", "") or getattr(algorithm, "__name__", type(algorithm).__name__)
    cons = ", ".join(f"{c.metric} <= {c.threshold:g}" for c in problem.constraints)
    return (f"algorithm {name!r} declares handles_constraints = False and cannot run on the constrained problem "
            f"{problem.name!r} ({cons}): its answer could be infeasible. Use an algorithm that handles constraints, "
            "or a bi-objective version of the problem")
