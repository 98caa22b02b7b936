"""Tabular evaluator: look the metrics of NB201 architectures up in the benchmark store."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..spaces import nb201
from ..tables.columns import is_test_column
from ..tables.store import BenchmarkStore
from ..tables.locate import get_store
from .base import Evaluation, Evaluator


class TabularEvaluator(Evaluator):
    """Returns store columns under short metric names, e.g. ``{"valid_acc": "cifar100/valid_acc_200ep/nb201-v1_1"}``.

    Each evaluation is charged ``cost_per_eval`` (unit ``cost_unit``): our tables hold no training times, so the
    tabular cost is a declared cost (default: 1 evaluation). Test-split columns are refused unless
    ``allow_test=True`` (search must never see test metrics; reporting reads them through ``Problem.report``).
    """

    def __init__(self, columns: dict[str, str], store: BenchmarkStore | None = None, cost_per_eval: float = 1.0,
                 cost_unit: str = "evaluations", allow_test: bool = False):
        self.columns = dict(columns)
        self.store = store if store is not None else get_store()
        for short, col in self.columns.items():
            self.store.column_id(col)  # raises with the list of valid columns
            if is_test_column(col) and not allow_test:
                raise ConfigError(f"metric {short!r} reads the test column {col!r}; search metrics must come from "
                                  "train/valid splits (pass allow_test=True only for reporting)")
        if not cost_per_eval >= 0:
            raise ConfigError(f"cost_per_eval must be >= 0, got {cost_per_eval!r}")
        self.metrics = tuple(self.columns)
        self.cost_per_eval = float(cost_per_eval)
        self.cost_unit = cost_unit
        self._names = list(self.columns.values())
        self._one_cost = np.array([self.cost_per_eval])  # copied for a one-arch batch (cheaper than np.full)

    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        idx = nb201.ops_to_index(archs)  # archs is (n, 6) here (Evaluator.evaluate): an (n,) int64 array, validated
        n = len(idx)
        # the store's float64 columns gathered at idx: new (n,) float64 arrays, so the checks can be skipped
        return Evaluation._checked(dict(zip(self.columns, self.store.gather(self._names, idx))),
                                   np.full(n, self.cost_per_eval) if n > 1 else self._one_cost.copy(),
                                   np.zeros(n, dtype=bool), idx)

    def fingerprint(self) -> str:
        return f"tabular:{sorted(self.columns.items())}:{self.store.meta.get('values_sha256', '')[:16]}"
