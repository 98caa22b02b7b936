"""The accuracy problem on NAS-Bench-201: maximise 200-epoch validation accuracy, report test accuracy."""
from __future__ import annotations

from ..errors import ConfigError
from ..evaluators.base import Evaluator
from ..evaluators.tabular import TabularEvaluator
from ..spaces import NB201Space
from ..tables.columns import dataset_view
from ..tables.store import BenchmarkStore
from ..tables.locate import get_store
from .base import Objective, Problem


def nb201_problem(dataset: str = "cifar10", fitness: str = "valid", evaluator: Evaluator | None = None,
                  store: BenchmarkStore | None = None, cost_per_eval: float = 1.0) -> Problem:
    """Single-objective NB201 problem.

    fitness: ``"valid"`` (200-epoch validation accuracy, default), ``"train"``, or any non-test store column name.
    evaluator: replaces the tabular look-up (a ProxyNoiseEvaluator, the live RMI or supernet evaluator); its first
    metric is the objective, maximised unless its name ends in ``_loss`` (then minimised).
    Reported (after search): valid/test/train accuracy, params, FLOPs, with source columns named in ``describe()``.
    """
    store = store if store is not None else get_store()
    view = dataset_view(dataset)
    report = {"test_acc": view.test, "valid_acc": view.valid, "train_acc": view.train, "params_M": view.params,
              "flops_M": view.flops}
    if evaluator is None:
        if fitness in ("valid", "train"):
            col = getattr(view, fitness)
        elif fitness == "test":
            raise ConfigError("fitness='test' would search on the test split; use 'valid' (test is reported)")
        else:
            col = fitness
        evaluator = TabularEvaluator({f"{fitness}_acc" if fitness in ("valid", "train") else "fitness": col},
                                     store=store, cost_per_eval=cost_per_eval)
    metric = evaluator.metrics[0]
    sense = "min" if metric.endswith("_loss") else "max"
    return Problem(NB201Space(), evaluator, (Objective(metric, sense),), report_columns=report,
                   name=f"nb201-{dataset}", info={"dataset": dataset})
