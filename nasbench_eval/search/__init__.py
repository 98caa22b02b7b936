"""Search: the ask/tell algorithm interface, the budgeted run loop and algorithm discovery."""
from .algorithm import Algorithm
from ..problems.pareto import non_dominated
from .registry import available, get_algorithm, register
from .run import Budget, RunResult, describe_archs, make_rng, run

__all__ = ["Algorithm", "Budget", "RunResult", "available", "describe_archs", "get_algorithm", "make_rng",
           "non_dominated", "register", "run"]
