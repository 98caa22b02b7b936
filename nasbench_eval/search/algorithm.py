"""The ask/tell interface every search algorithm implements.

Life cycle (driven by :func:`nasbench_eval.search.run`)::

    algo = SomeAlgorithm(population_size=50)     # constructor only stores hyper-parameters
    algo.setup(problem, rng)                      # a numpy Generator: the ONLY source of randomness
    while budget left and not algo.finished:
        archs = algo.ask()                        # int array (n, *space.arch_shape)
        algo.tell(archs, problem.evaluate(archs)) # the last tell may be a truncated batch (budget)
    chosen = algo.result()                        # chosen from search metrics only

The base class keeps an archive of everything told (``self.archive_archs`` / ``self.archive_fitness`` for single
objective, ``self.archive_F`` for multi-objective, ``self.archive_feasible`` when the problem has constraints),
so the default :meth:`result` is "best fitness seen" (single
objective) or "non-dominated set of everything seen" (multi-objective).
"""
from __future__ import annotations

import inspect
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from ..evaluators.base import Evaluation
from .params import validate_params


class Algorithm:
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line for `nasbench-eval algorithms`
    paper: ClassVar[str] = ""
    multi_objective: ClassVar[bool] = False  # True: optimises all of problem.F; False: problem.fitness
    spaces: ClassVar[tuple[str, ...]] = ("nb201",)
    # parameter name -> Interval / Options / Boolean / Optional / Sequence (nasbench_eval.search.params);
    # checked by from_params and at setup. Undeclared parameters must have the type of their default.
    parameter_constraints: ClassVar[dict] = {}
    # check name -> reason: checks of nasbench_eval.testing.check_algorithm this algorithm is known to fail
    battery_exceptions: ClassVar[dict] = {}

    # ------------------------------------------------------------------ parameters (scikit-learn style)
    @classmethod
    def param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return [n for n, p in sig.parameters.items() if n != "self" and p.kind in kinds]

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
    def setup(self, problem, rng: np.random.Generator) -> None:
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"setup needs a numpy.random.Generator, got {type(rng).__name__}")
        validate_params(self, self.get_params())
        if problem.space.name not in self.spaces:
            raise ConfigError(f"algorithm {self.name!r} runs on spaces {self.spaces}, not {problem.space.name!r}")
        if self.multi_objective is False and problem.n_obj > 1 and not getattr(self, "scalarises", False):
            raise ConfigError(f"algorithm {self.name!r} is single-objective; problem {problem.name!r} has "
                              f"{problem.n_obj} objectives")
        self.problem, self.space, self.rng = problem, problem.space, rng
        self.archive_archs: list[np.ndarray] = []
        self.archive_fitness: list[np.ndarray] = []
        self.archive_F: list[np.ndarray] = []
        self.archive_feasible: list[np.ndarray] = []
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
        self.archive_archs.append(np.asarray(archs))
        self.archive_fitness.append(self.problem.fitness(evaluation))
        if self.multi_objective:
            self.archive_F.append(self.problem.F(evaluation))
        if self.problem.constraints:
            self.archive_feasible.append(self.problem.feasible(evaluation))
        self._tell(np.asarray(archs), evaluation)

    def _tell(self, archs: np.ndarray, evaluation: Evaluation) -> None:
        """Update the search state (subclasses)."""

    # ------------------------------------------------------------------ answer
    def result(self) -> np.ndarray:
        """The chosen architecture(s), ``(k, *arch_shape)``, from search metrics only.

        Default: the best fitness (single objective) or the non-dominated set (multi-objective) of everything told,
        among the feasible architectures when the problem has constraints and any were feasible.
        """
        if not self.archive_archs:
            return np.empty((0, *self.space.arch_shape), dtype=np.int64)
        archs = np.concatenate(self.archive_archs)
        feasible = np.concatenate(self.archive_feasible) if self.archive_feasible else np.ones(len(archs), bool)
        pool = feasible if feasible.any() else np.ones(len(archs), dtype=bool)
        if self.multi_objective:
            from .pareto import non_dominated

            F = np.where(pool[:, None], np.concatenate(self.archive_F), np.inf)
            keep = non_dominated(F)
            _, first = np.unique(np.atleast_1d(self.space.key(archs[keep])), return_index=True)
            return archs[keep][np.sort(first)]
        fit = np.where(pool, np.concatenate(self.archive_fitness), -np.inf)
        return archs[[int(np.argmax(fit))]]
