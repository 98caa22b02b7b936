"""The evaluator interface: how a batch of architectures gets scored.

An evaluator never decides what is good: it returns named metric values (NaN where unknown) and the cost of each
evaluation. The :class:`~nasbench_eval.problem.Problem` turns metrics into objectives. Public :meth:`evaluate`
validates and checks; subclasses implement :meth:`_evaluate` (pymoo's evaluate/_evaluate split).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidArchError


@dataclass(eq=False)
class Evaluation:
    """Scores of one batch of ``n`` architectures.

    values: metric name -> float64 array ``(n,)``; NaN means "not available" (never a made-up number).
    cost:   ``(n,)`` cost of each evaluation, in the evaluator's ``cost_unit`` (measured seconds on live paths,
            a declared / simulated cost on tabular ones); 0 where served from a cache.
    cached: ``(n,)`` True where the value came from a cache (free: not charged to an evaluation budget).
    keys:   ``(n,)`` int64 space keys (canonical ids, ``space.key``) of the scored architectures, when the evaluator
            already computed them (a table look-up does), else None; :meth:`Problem.evaluate` fills them in, so the
            run's history does not compute them again.
    """

    values: dict[str, np.ndarray]
    cost: np.ndarray
    cached: np.ndarray = field(default=None)  # type: ignore[assignment]
    keys: np.ndarray | None = field(default=None)

    def __post_init__(self):
        if type(self.cost) is not np.ndarray or self.cost.dtype != np.float64:
            self.cost = np.asarray(self.cost, dtype=np.float64)
        n = len(self.cost)
        if self.cached is None:
            self.cached = np.zeros(n, dtype=bool)
        values = self.values
        for k, v in values.items():
            if type(v) is not np.ndarray or v.dtype != np.float64:
                v = values[k] = np.asarray(v, dtype=np.float64)
            if v.shape != (n,):
                raise ValueError(f"metric {k!r} has shape {v.shape}, expected ({n},)")
        if self.keys is not None:
            self._set_keys(self.keys)

    @classmethod
    def _checked(cls, values: dict, cost: np.ndarray, cached: np.ndarray, keys: np.ndarray | None) -> "Evaluation":
        """An evaluation from arrays its producer guarantees (float64 ``(n,)`` values and cost, bool ``(n,)``
        cached, int64 ``(n,)`` keys or None): no conversions or shape checks, for the per-evaluation hot path of
        the table evaluators (a steady-state search builds one per evaluation)."""
        ev = cls.__new__(cls)
        ev.values, ev.cost, ev.cached, ev.keys = values, cost, cached, keys
        return ev

    def _set_keys(self, keys) -> None:
        if type(keys) is not np.ndarray or keys.dtype != np.int64:
            keys = np.asarray(keys, dtype=np.int64)
        if keys.shape != self.cost.shape:
            raise ValueError(f"keys have shape {keys.shape}, expected ({len(self.cost)},)")
        self.keys = keys

    def __len__(self) -> int:
        return len(self.cost)

    def take(self, rows) -> "Evaluation":
        """The sub-batch at ``rows`` (used when a budget truncates a batch)."""
        return Evaluation({k: v[rows] for k, v in self.values.items()}, self.cost[rows], self.cached[rows],
                          None if self.keys is None else self.keys[rows])

    @staticmethod
    def concat(parts: list["Evaluation"]) -> "Evaluation":
        keys = parts[0].values.keys()
        ids = None if any(p.keys is None for p in parts) else np.concatenate([p.keys for p in parts])
        return Evaluation({k: np.concatenate([p.values[k] for p in parts]) for k in keys},
                          np.concatenate([p.cost for p in parts]), np.concatenate([p.cached for p in parts]), ids)


class Evaluator:
    """Base class. Subclasses set ``metrics`` (names returned) and ``cost_unit``, and implement ``_evaluate``.

    ``archs`` is an integer array ``(n, *arch_shape)`` in the space's native encoding (NB201: ``(n, 6)`` op ids).
    """

    metrics: tuple[str, ...] = ()
    cost_unit: str = "evaluations"
    arch_shape: tuple[int, ...] = (6,)

    def evaluate(self, archs) -> Evaluation:
        a = np.asarray(archs)
        if a.ndim == len(self.arch_shape):
            a = a[None]
        if a.shape[1:] != self.arch_shape or a.dtype.kind not in "iu":
            raise InvalidArchError(
                f"{type(self).__name__}.evaluate takes an integer array of shape (n, {', '.join(map(str, self.arch_shape))}); "
                f"got {a.dtype} {a.shape}")
        ev = self._evaluate(a)
        missing = [m for m in self.metrics if m not in ev.values]
        if len(ev) != len(a) or missing:
            raise RuntimeError(f"{type(self).__name__}._evaluate returned {len(ev)} rows for {len(a)} archs"
                               f"{'; missing metrics ' + str(sorted(missing)) if missing else ''}")
        return ev

    def _evaluate(self, archs: np.ndarray) -> Evaluation:  # pragma: no cover - abstract
        raise NotImplementedError

    def fingerprint(self) -> str:
        """A string that changes whenever a setting that changes the scores changes (keys persistent caches)."""
        return type(self).__name__


def stores_in(evaluator) -> list:
    """Every benchmark store reachable from ``evaluator`` through its whole wrapper chain, without duplicates.

    Walks the evaluator's attributes: a :class:`~nasbench_eval.tables.store.BenchmarkStore` is collected, an
    :class:`Evaluator` (or a list / tuple / dict of them) is walked in turn, so ``CachedEvaluator(ProxyNoiseEvaluator(
    TabularEvaluator(...)))`` and a user's own wrappers are found at any depth. The leakage guard forbids test
    columns in all of them while a search runs.
    """
    from ..tables.store import BenchmarkStore

    found: dict[int, object] = {}
    seen: set[int] = set()
    todo = [evaluator]
    while todo:
        obj = todo.pop(0)
        if isinstance(obj, BenchmarkStore):
            found.setdefault(id(obj), obj)
            continue
        if id(obj) in seen or not isinstance(obj, Evaluator):
            continue
        seen.add(id(obj))
        for v in [getattr(obj, "store", None), *vars(obj).values()]:
            items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else (v,)
            todo.extend(x for x in items if isinstance(x, (Evaluator, BenchmarkStore)))
    return list(found.values())
