"""Problems: what is optimised (objectives, constraints) over which space, scored by which evaluator."""
from .base import Constraint, Objective, Problem
from .nb201 import nb201_problem

__all__ = ["Constraint", "Objective", "Problem", "nb201_problem"]
