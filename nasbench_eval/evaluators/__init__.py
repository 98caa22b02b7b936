"""Evaluators score batches of architectures: tabular look-ups, live RMI, supernets, and wrappers."""
from .base import Evaluation, Evaluator

__all__ = ["Evaluation", "Evaluator"]
