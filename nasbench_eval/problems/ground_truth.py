"""Exhaustive ground truth of a hardware-aware problem: the limit every algorithm is measured against.

Over the problem's allowed archs (all 15,625, or the covered ones of a partial-coverage device) we hold full-length
arrays of the proxy, the device cost and the test accuracy, and compute the true Pareto front of (proxy, cost) --
proxy maximised (or minimised for ``*_loss``), cost minimised -- and of (test accuracy, cost) for reporting.
Costs are tie-snapped (:func:`nasbench_eval.problems.costs.snap_costs`): float-rounding copies of one physical cost
are one value here. Judging a run against this truth (picks, gaps, constrained optima, HV / IGD) is the job of
:mod:`nasbench_eval.judge`; this module only holds the data.

The proxy is read from its store column when it has one; a cheap tabular-backed evaluator (e.g. proxy noise) is
evaluated on every arch; a live proxy has no exhaustive truth (``proxy`` is None, and only the test-accuracy
front exists). Results are cached in memory per (proxy, cost, test, coverage) setting.
Reading test columns here is reporting, never searching: calling it during a search raises (leakage guard).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..evaluators.base import stores_in
from ..spaces import nb201
from ..tables.store import leakage_guard_active
from .costs import snap_costs
from .pareto import non_dominated

_CACHE: dict[tuple, "GroundTruth"] = {}


@dataclass
class GroundTruth:
    """Full-length arrays (index = NB201 index; NaN outside the allowed archs) and the true fronts."""

    allowed: np.ndarray
    proxy: np.ndarray | None  # raw proxy values (None: no exhaustive proxy, e.g. a live evaluator)
    proxy_sense: str
    cost: np.ndarray
    test: np.ndarray
    front_keys: np.ndarray | None  # true (proxy, cost) front, sorted by cost
    test_front_keys: np.ndarray  # true (test accuracy, cost) front, sorted by cost
    derived: dict = field(default_factory=dict, repr=False)  # results the judge derives from these arrays (cache)

    # ---- objective matrices in the minimisation convention of Problem.F: [signed proxy, cost]
    def F(self, keys, space: str = "proxy") -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        if space == "test":
            f1 = -self.test[keys]
        else:
            if self.proxy is None:
                raise ValueError("no exhaustive proxy for this problem; use space='test'")
            f1 = self.proxy[keys] * (-1.0 if self.proxy_sense == "max" else 1.0)
        F = np.stack([f1, self.cost[keys]], axis=1)
        return np.where(np.isnan(F), np.inf, F)

    def front_F(self, space: str = "proxy") -> np.ndarray:
        return self.F(self.front_keys if space == "proxy" else self.test_front_keys, space)

    def ideal_nadir(self, space: str = "proxy") -> tuple[np.ndarray, np.ndarray]:
        F = self.front_F(space)
        return F.min(axis=0), F.max(axis=0)

    def signed_proxy(self) -> np.ndarray:
        return self.proxy * (1.0 if self.proxy_sense == "max" else -1.0)


def _cheap(ev) -> bool:
    """True when evaluating all 15,625 archs is a table look-up: the proxy that the HW evaluator wraps (``inner``)
    reads a benchmark store somewhere in its wrapper chain (a live proxy such as RMI reads none)."""
    return bool(stores_in(ev.inner))


def ground_truth(problem) -> GroundTruth:
    """The (cached) exhaustive ground truth of a :class:`~nasbench_eval.problems.hw.HWProblem`."""
    if leakage_guard_active():  # the cached arrays hold test accuracies
        raise RuntimeError("the exhaustive ground truth was read while a search is running (test-metric leakage): "
                           "it is read only after the search, by the judge")
    ev = problem.evaluator
    store = ev.store
    n = nb201.N_ARCHS
    allowed = np.ones(n, dtype=bool) if problem.allowed is None else np.asarray(problem.allowed, dtype=bool)
    test_col = problem.report_columns["test_acc"]
    proxy_col = getattr(ev, "columns", {}).get(problem.proxy_metric)
    key = (problem.cost_column, proxy_col or ev.fingerprint(), problem.proxy_metric, problem.proxy_sense, test_col,
           hashlib.sha1(np.packbits(allowed).tobytes()).hexdigest())
    if key in _CACHE:
        return _CACHE[key]
    cost = np.array(store.column(problem.cost_column), dtype=float)
    test = np.array(store.column(test_col), dtype=float)
    if proxy_col is not None:
        proxy = np.array(store.column(proxy_col), dtype=float)
    elif _cheap(ev):
        proxy = ev.evaluate(nb201.index_to_ops(np.arange(n))).values[problem.proxy_metric].copy()
    else:
        proxy = None
    for a in (cost, test) + ((proxy,) if proxy is not None else ()):
        a[~allowed] = np.nan
    cost = snap_costs(cost)
    gt = GroundTruth(allowed, proxy, problem.proxy_sense, cost, test, None, np.empty(0, dtype=np.int64))
    all_keys = np.arange(n)
    tk = np.flatnonzero(non_dominated(gt.F(all_keys, "test")))
    gt.test_front_keys = tk[np.lexsort((tk, cost[tk]))]
    if proxy is not None:
        fk = np.flatnonzero(non_dominated(gt.F(all_keys, "proxy")))
        gt.front_keys = fk[np.lexsort((fk, cost[fk]))]
    _CACHE[key] = gt
    return gt


def clear_cache() -> None:
    _CACHE.clear()
