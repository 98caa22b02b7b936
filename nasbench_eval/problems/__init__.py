"""Problems: what is optimised (objectives, constraints) over which space, scored by which evaluator."""
from .base import Constraint, Objective, Problem
from .hw import (
           DEFAULT_QUANTILES,
           HWEvaluator,
           HWProblem,
           hw_constrained_problems,
           hw_problem,
)
from .nb201 import nb201_problem

__all__ = ["Constraint", "DEFAULT_QUANTILES", "HWEvaluator", "HWProblem", "Objective", "Problem",
           "hw_constrained_problems", "hw_problem", "nb201_problem"]
