"""The architecture-fitness (AF) table of CMANAS / pEvoNAS: a cache in front of any evaluator.

A repeated architecture (same canonical key) reuses its stored metrics: ``cached=True`` and cost 0, so it is not
charged to an evaluation budget. With ``path`` the table persists as JSON lines (one record per architecture,
appended and flushed, so an interrupted run loses nothing); records written under another evaluator fingerprint
are ignored, never reused.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .base import Evaluation, Evaluator


class CachedEvaluator(Evaluator):
    def __init__(self, inner: Evaluator, path: str | Path | None = None, key=None):
        self.inner = inner
        self.metrics = inner.metrics
        self.cost_unit = inner.cost_unit
        self.arch_shape = inner.arch_shape
        self.path = Path(path) if path is not None else None
        self._key = key or (lambda a: a.astype(np.int64).tobytes().hex())
        self._table: dict[str, dict[str, float]] = {}
        self.hits = self.misses = 0
        if self.path is not None and self.path.exists():
            self._load()

    def _load(self) -> None:
        fp = self.inner.fingerprint()
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                    if rec.get("fingerprint") == fp:
                        vals = {k: (math.nan if v is None else float(v)) for k, v in rec["values"].items()}
                        self._table[str(rec["key"])] = vals
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                    continue  # a torn last line from an interrupted write, or a line that is not ours

    def __len__(self) -> int:
        return len(self._table)

    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        keys = [self._key(a) for a in archs]
        first: dict[str, int] = {}
        todo = [i for i, k in enumerate(keys) if k not in self._table and first.setdefault(k, i) == i]
        cost = np.zeros(len(archs))
        cached = np.ones(len(archs), dtype=bool)
        if todo:
            ev = self.inner.evaluate(archs[todo])
            new = []
            for j, i in enumerate(todo):
                self._table[keys[i]] = {m: float(ev.values[m][j]) for m in self.metrics}
                cost[i], cached[i] = ev.cost[j], False
                new.append(keys[i])
            self._persist(new)
        self.misses += len(todo)
        self.hits += len(archs) - len(todo)
        return Evaluation({m: np.array([self._table[k][m] for k in keys]) for m in self.metrics}, cost, cached)

    def _persist(self, keys: list[str]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fp = self.inner.fingerprint()
        with open(self.path, "a") as fh:
            for k in keys:
                vals = {m: (None if math.isnan(v) else v) for m, v in self._table[k].items()}
                fh.write(json.dumps({"fingerprint": fp, "key": k, "values": vals}) + "\n")
            fh.flush()

    def fingerprint(self) -> str:
        return self.inner.fingerprint()
