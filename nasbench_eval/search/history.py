"""The record of a search: every evaluation told to an algorithm, in order (the run's trajectory).

One row per told evaluation: the architecture, its canonical key, the search metrics, the cost, whether it came
from a cache, and the batch (the ``tell`` call) it arrived in. :class:`History` is the only record of the past:
the run loop turns it into the result's trajectory and its checkpoints, and algorithms read it instead of keeping
archives of their own -- the default answer, "already evaluated" (the architecture-fitness table of the EvNAS
family), the novelty archive of NEvoNAS. Derived columns (fitness, violation, objective matrix) are computed over
the whole record in one vectorised call when asked for and kept until the next append.
"""
from __future__ import annotations

import numpy as np

from ..evaluators.base import Evaluation


class History:
    def __init__(self, problem):
        self.problem, self.space = problem, problem.space
        self.metrics = tuple(problem.evaluator.metrics)
        self._archs: list[np.ndarray] = []
        self.key_list: list[int] = []
        self._values: dict[str, list[float]] = {m: [] for m in self.metrics}
        self._cost: list[float] = []
        self._cached: list[bool] = []
        self._batch: list[int] = []
        self.n_batches = 0
        self._last: dict[int, int] = {}  # key -> last row holding it
        self._first: list[int] = []  # rows of the first evaluation of each distinct key, in order
        self._cache: dict[str, object] = {}

    # ------------------------------------------------------------------ recording
    def append(self, archs: np.ndarray, evaluation: Evaluation, keys=None) -> list[int]:
        """Record one told batch; returns its keys (``keys`` may be given when the caller has them)."""
        n = len(evaluation)
        if keys is None:  # the keys Problem.evaluate put on the evaluation, else computed here
            keys = (evaluation.keys if evaluation.keys is not None else np.atleast_1d(self.space.key(archs))).tolist() \
                if n else []
        row = len(self.key_list)
        self._archs.append(archs)
        self.key_list.extend(keys)
        for m in self.metrics:
            self._values[m].extend(evaluation.values[m].tolist())
        self._cost.extend(evaluation.cost.tolist())
        self._cached.extend(evaluation.cached.tolist())
        self._batch.extend([self.n_batches] * n)
        self.n_batches += 1
        last, first = self._last, self._first
        for i, k in enumerate(keys):
            if k not in last:
                first.append(row + i)
            last[k] = row + i
        if self._cache:
            self._cache.clear()
        return keys

    def __len__(self) -> int:
        return len(self.key_list)

    # ------------------------------------------------------------------ "already evaluated"
    def row_of(self, key: int) -> int | None:
        """The last row holding ``key``, or None when it was never evaluated."""
        return self._last.get(key)

    def seen(self, key: int, since: int = 0) -> bool:
        """True when ``key`` was evaluated at row ``since`` or later (a scope such as a pEvoNAS stage starts at a
        row; before it, nothing counts as seen)."""
        r = self._last.get(key)
        return r is not None and r >= since

    def unseen(self, keys, since: int = 0) -> list[int]:
        """Positions in ``keys`` whose key is not :meth:`seen` (``since``) and not repeated earlier in ``keys``."""
        last, todo, first = self._last, [], set()
        for i, k in enumerate(keys):
            r = last.get(k)
            if (r is None or r < since) and k not in first:
                first.add(k)
                todo.append(i)
        return todo

    def first_rows(self) -> np.ndarray:
        """Rows of the first evaluation of each distinct key, in evaluation order (kept as rows are appended)."""
        return self._get("first", lambda: np.asarray(self._first, dtype=np.int64))

    # ------------------------------------------------------------------ columns (whole record)
    def _get(self, name, build):
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    @property
    def archs(self) -> np.ndarray:
        empty = np.empty((0, *self.space.arch_shape), dtype=np.int64)
        return self._get("archs", lambda: np.concatenate(self._archs) if self._archs else empty)

    @property
    def keys(self) -> np.ndarray:
        return self._get("keys", lambda: np.asarray(self.key_list, dtype=np.int64))

    @property
    def values(self) -> dict[str, np.ndarray]:
        return self._get("values", lambda: {m: np.asarray(v, dtype=float) for m, v in self._values.items()})

    @property
    def cost(self) -> np.ndarray:
        return self._get("cost", lambda: np.asarray(self._cost, dtype=float))

    @property
    def cached(self) -> np.ndarray:
        return self._get("cached", lambda: np.asarray(self._cached, dtype=bool))

    @property
    def batch(self) -> np.ndarray:
        return self._get("batch", lambda: np.asarray(self._batch, dtype=np.int64))

    def evaluation(self) -> Evaluation:
        """The whole record as one :class:`Evaluation`."""
        return self._get("evaluation", lambda: Evaluation(dict(self.values), self.cost, self.cached))

    @property
    def fitness(self) -> np.ndarray:
        """``problem.fitness`` of every row (maximised; -inf where the metric is missing)."""
        return self._get("fitness", lambda: self.problem.fitness(self.evaluation()))

    @property
    def violation(self) -> np.ndarray:
        """``problem.violation`` of every row (0 where feasible)."""
        return self._get("violation", lambda: self.problem.violation(self.evaluation()))

    @property
    def F(self) -> np.ndarray:
        """``problem.F`` of every row (all objectives, minimised)."""
        return self._get("F", lambda: self.problem.F(self.evaluation()))

    # ------------------------------------------------------------------ rows of one batch
    def batch_rows(self, b: int) -> slice:
        """The rows told in batch ``b`` (batches are contiguous)."""
        bt = self.batch
        return slice(int(np.searchsorted(bt, b, "left")), int(np.searchsorted(bt, b, "right")))
