"""Checkpoints of a search run: the trajectory, plus what proves a resume will replay the same run.

A checkpoint directory holds ``run.npz`` -- the recorded rows (key, batch, cost, cached, search metrics) as plain
arrays and a JSON header (algorithm, parameters, problem, budget, the Generator's state at the start, counters,
and ``stopped_by`` once the run has ended) -- plus whatever callbacks save next to it. The file is written to a
temporary name and renamed, so an interrupted save leaves the previous checkpoint intact. Loading never unpickles
(``allow_pickle=False``).

Why no pickled algorithm: the algorithm's state is rebuilt by replaying the record through ``ask``/``tell``
(deterministic given the seed), and each replayed ``ask`` is checked against the recorded keys. That works for
every algorithm (pymoo objects, closures and memory-mapped tables included) and makes the resumed trajectory
bit-identical to an uninterrupted one by construction.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .._io import jsonable
from ..errors import ConfigError

FORMAT = 1
FILE = "run.npz"


def header(algo, problem, budget, rng_state) -> dict:
    return json.loads(json.dumps(jsonable({
        "format": FORMAT, "algorithm": algo.name or type(algo).__name__, "params": algo.get_params(),
        "problem": problem.describe(), "budget": {"evaluations": budget.evaluations, "cost": budget.cost,
                                                  "batches": budget.batches},
        "rng_state": rng_state})))


def save(directory, head: dict, history, *, asks: int, stopped_by: str | None, truncated: bool = False) -> None:
    """Write ``run.npz`` under ``directory`` atomically (the batch count ``asks`` includes a last batch that a budget
    truncated to nothing)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    meta = dict(head, asks=int(asks), stopped_by=stopped_by, truncated=bool(truncated), rows=len(history))
    arrays = {"key": history.keys, "batch": history.batch, "cost": history.cost, "cached": history.cached,
              **{f"value:{m}": v for m, v in history.values.items()}}
    tmp = d / (FILE + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, d / FILE)


def load(directory, head: dict) -> tuple[dict, dict] | None:
    """(meta, arrays) of the checkpoint under ``directory``, or None when there is none yet. Raises
    :class:`ConfigError` when it was written by a different run (algorithm, parameters, problem or seed), or when
    the budget differs and the record cannot be continued under it (:func:`check_budget`)."""
    p = Path(directory) / FILE
    if not p.exists():
        return None
    with np.load(p, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: z[k] for k in z.files if k != "meta"}
    if meta.get("format") != FORMAT:
        raise ConfigError(f"checkpoint {str(p)!r} has format {meta.get('format')!r}; this version reads {FORMAT}")
    for field in ("algorithm", "params", "problem", "rng_state"):
        if meta.get(field) != head[field]:
            what = "seed" if field == "rng_state" else field
            raise ConfigError(f"checkpoint {str(p)!r} was written by a run with a different {what}: "
                              f"{_short(meta.get(field))} (this run: {_short(head[field])}); resume with the same "
                              "algorithm, parameters, problem and seed, or use another checkpoint directory")
    if meta["budget"] != head["budget"]:
        check_budget(p, meta, arrays, head["budget"])
    return meta, arrays


def check_budget(p, meta: dict, arrays: dict, budget: dict) -> None:
    """A run may resume under a larger budget (continue a finished run): allowed when the record fits in it and its
    last batch was told whole (a truncated batch would make the continuation differ from an uninterrupted run)."""
    used = {"evaluations": int((~arrays["cached"].astype(bool)).sum()), "cost": float(arrays["cost"].sum()),
            "batches": int(meta["asks"])}
    over = [k for k, cap in budget.items() if cap is not None and used[k] > cap]
    if over or meta.get("truncated"):
        why = (f"its record already uses {', '.join(f'{k} {used[k]:g}' for k in over)}" if over
               else "its last batch was cut by the old budget")
        raise ConfigError(f"checkpoint {str(p)!r} was written under budget {_short(meta['budget'])} and cannot be "
                          f"continued under {_short(budget)}: {why}; resume with the same budget or a larger one, or "
                          "use another checkpoint directory")


def _short(x) -> str:
    s = json.dumps(x, sort_keys=True)
    return s if len(s) <= 200 else s[:197] + "..."
