"""A problem = a space + objectives (+ constraints) + an evaluator, and what is reported after the search.

Algorithms see only :meth:`Problem.evaluate` (search metrics) and the helpers that turn an evaluation into a
maximised scalar fitness (:meth:`fitness`) or a minimised objective matrix (:meth:`F`). Test metrics are read
only by :meth:`report`, which the run loop calls after the search ends.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..evaluators.base import Evaluation, Evaluator, stores_in
from ..tables.store import leakage_guard


_INF = float("inf")
_NEG_INF = np.array(-np.inf)  # a 0-d array operand: a ufunc converts a Python float on every call (~0.5 us)


@dataclass(frozen=True)
class Objective:
    metric: str
    sense: str = "max"  # "max" | "min"

    def __post_init__(self):
        if self.sense not in ("max", "min"):
            raise ConfigError(f"objective sense must be 'max' or 'min', got {self.sense!r}")


@dataclass(frozen=True)
class Constraint:
    """``metric <= threshold`` (the form every hardware-cost constraint takes)."""

    metric: str
    threshold: float


@dataclass
class Problem:
    space: object
    evaluator: Evaluator
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    report_columns: dict[str, str] = field(default_factory=dict)  # short name -> store column (test metrics here)
    allowed: np.ndarray | None = None  # bool mask over space keys; None = whole space
    name: str = "problem"
    info: dict = field(default_factory=dict)  # recorded with every result (dataset, device, notes, flags)

    def __post_init__(self):
        if not self.objectives:
            raise ConfigError("a problem needs at least one objective")
        missing = {o.metric for o in self.objectives} - set(self.evaluator.metrics)
        missing |= {c.metric for c in self.constraints} - set(self.evaluator.metrics)
        if missing:
            raise ConfigError(f"objective/constraint metrics {sorted(missing)} are not returned by the evaluator "
                              f"(it returns {list(self.evaluator.metrics)})")
        self.objectives = tuple(self.objectives)
        self.constraints = tuple(self.constraints)

    @property
    def n_obj(self) -> int:
        return len(self.objectives)

    # ------------------------------------------------------------------ search side
    def evaluate(self, archs) -> Evaluation:
        """Search metrics of a batch. Architectures outside ``allowed`` get NaN metrics (no imputation)."""
        ev = self.evaluator.evaluate(archs)
        if ev.keys is None:  # keys once per batch: the history and the allowed mask read them
            ev._set_keys(np.atleast_1d(self.space.key(archs)))
        if self.allowed is not None:
            bad = ~self.allowed[ev.keys]
            for v in ev.values.values():
                v[bad] = np.nan
        return ev

    def fitness(self, ev: Evaluation) -> np.ndarray:
        """Scalar to maximise (first objective, sign-adjusted; NaN -> -inf). Constraints are not folded in: compare
        architectures with :mod:`nasbench_eval.search.selection` on ``(fitness, violation)`` (feasibility first)."""
        o = self.objectives[0]
        v = ev.values[o.metric]
        return np.fmax(v if o.sense == "max" else -v, _NEG_INF)  # fmax skips NaN: NaN -> -inf, one ufunc call

    def F(self, ev: Evaluation) -> np.ndarray:
        """Objective matrix ``(n, n_obj)``, all minimised (pymoo convention); NaN -> +inf."""
        cols = [ev.values[o.metric] * (-1.0 if o.sense == "max" else 1.0) for o in self.objectives]
        F = np.stack(cols, axis=1)
        return np.where(np.isnan(F), np.inf, F)

    def G(self, ev: Evaluation) -> np.ndarray:
        """Constraint matrix ``(n, n_constraints)``, feasible where <= 0; NaN -> +inf (infeasible).

        Tie-safe: a value that is the same physical cost as the threshold (equal up to float rounding, see
        :mod:`nasbench_eval.problems.costs`) gives exactly 0, i.e. feasible.
        """
        from .costs import constraint_slack

        if not self.constraints:
            return np.zeros((len(ev), 0))
        G = np.stack([constraint_slack(ev.values[c.metric], c.threshold) for c in self.constraints], axis=1)
        return np.where(np.isnan(G), np.inf, G)

    def feasible(self, ev: Evaluation) -> np.ndarray:
        return np.all(self.G(ev) <= 0, axis=1)

    def violation(self, ev: Evaluation) -> np.ndarray:
        """Total constraint violation ``(n,)``: the sum of the positive parts of :meth:`G`; exactly 0 where
        :meth:`feasible` holds (0 everywhere without constraints), +inf where a constrained metric is NaN."""
        if not self.constraints:
            return np.zeros(len(ev))
        if len(ev) == 1:  # one row (steady-state search): the same sum of positive parts in plain Python
            from .costs import constraint_slack

            total = 0.0
            for c in self.constraints:
                g = constraint_slack(float(ev.values[c.metric][0]), c.threshold)
                total += _INF if g != g else (g if g > 0.0 else 0.0)
            return np.array([total])
        G = self.G(ev)
        return np.where(np.all(G <= 0, axis=1), 0.0, np.maximum(G, 0.0).sum(axis=1))

    @contextlib.contextmanager
    def search_guard(self):
        """While searching, any read of a test column raises (leakage guard): from every store found anywhere in the
        evaluator's wrapper chain, from any other store read by this thread, and through the exhaustive ground truth
        (its cached arrays hold test accuracies)."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(leakage_guard())
            for store in stores_in(self.evaluator):
                stack.enter_context(store.forbid())
            yield

    # ------------------------------------------------------------------ reporting side
    def report(self, archs) -> dict[str, np.ndarray]:
        """Reporting metrics (test accuracy, params, ...) of architectures. Never call during a search."""
        if not self.report_columns:
            return {}
        from ..tables.locate import get_store

        stores = stores_in(self.evaluator)
        store = stores[0] if stores else get_store()
        idx = np.atleast_1d(self.space.key(np.asarray(archs)))
        vals = store.lookup(list(self.report_columns.values()), idx)
        return {k: vals[:, i] for i, k in enumerate(self.report_columns)}

    def describe(self) -> dict:
        return {"name": self.name, "space": self.space.name,
                "objectives": [f"{o.sense} {o.metric}" for o in self.objectives],
                "constraints": [f"{c.metric} <= {c.threshold:g}" for c in self.constraints],
                "sources": {**{m: c for m, c in getattr(self.evaluator, "columns", {}).items()},
                            **self.report_columns},
                "allowed_archs": int(self.allowed.sum()) if self.allowed is not None else None, **self.info}
