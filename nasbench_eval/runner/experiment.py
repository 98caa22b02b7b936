"""Run an experiment spec into a result folder: seeding, resume, backends, progress, merge."""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .backends import get_backend
from .spec import Spec, check_problems, load_spec
from .provenance import changes, collect, refusal_message
from .._io import folder_lock
from .parts import ChunkWriter
from .store import ResultStore, ResultStoreError, _now


class CodeChangeWarning(UserWarning):
    """A finished result folder was computed with other code or parameters than the current ones."""


def cell_seeds(root_seed: int, n_cells: int) -> list[np.random.SeedSequence]:
    """``SeedSequence(root_seed).spawn(n_cells)``: child ``i`` belongs to the cell at canonical position ``i``."""
    return np.random.SeedSequence(root_seed).spawn(n_cells)


def run_experiment(spec: Spec | str | Path, out, backend: str = "serial", jobs: int = 1, progress: bool = True,
                   cells=None, on_cell=None, allow_code_change: bool = False, backend_options=None) -> dict:
    """Run the cells of ``spec`` not yet in ``out`` and merge the store.

    cells: optional iterable of cell ids to run (a subset; the store stays incomplete until all are done).
    on_cell: optional callback ``f(cell_id)`` after each cell finishes (progress hooks, tests). Finished cells are
        saved in chunks (a worker's every 256 cells or 10 s, the rest at the end); an exception raised by the
        callback or by a cell (e.g. ``KeyboardInterrupt``) first saves every cell finished so far.
    allow_code_change: resume even though the algorithms' resolved parameters or code, or nasbench-eval's code,
        differ from what the folder recorded (refused otherwise); the change is recorded in the manifest.
    backend_options: options of the backend, e.g. ``{"address": "auto"}`` to run the cells on a Ray cluster.
    Returns a summary: cells run / skipped, whether the store is complete, and where the time went.
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if int(jobs) != jobs or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    runner = get_backend(backend, **(backend_options or {}))
    t0 = time.perf_counter()
    check_problems(spec)
    prov = collect(spec)
    store = ResultStore(out)
    store.claim()  # only an empty folder or our own result folder is written into
    with folder_lock(store.out, "run"):  # a second run on the same folder is refused, not interleaved
        return _run_locked(spec, store, out, runner, jobs, progress, cells, on_cell, allow_code_change, prov, t0)


def _run_locked(spec, store, out, runner, jobs, progress, cells, on_cell, allow_code_change, prov, t0) -> dict:
    from ..tables.locate import get_store

    # the content hash computed (and checked) when the store was opened, not the one its metadata claims; folders
    # started before content hashes existed recorded the values.npy hash, accepted on resume
    data = get_store()
    m = store.open(spec, data.content_sha256, provenance=prov, legacy_sha256=data.meta.get("values_sha256"))
    done = store.done_cells()
    wanted = None if cells is None else {int(c) for c in cells}
    seeds = cell_seeds(spec.root_seed, spec.n_cells)
    todo = [(c, seeds[c.cell]) for c in spec.cells()
            if c.cell not in done and (wanted is None or c.cell in wanted)]
    code_changes = changes(m.get("provenance"), prov)
    if code_changes:
        _resolve_code_change(store, m, prov, code_changes, done, todo, spec.n_cells, allow_code_change)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        class Bar(tqdm):
            monitor_interval = 0  # no monitor thread: a driver without threads may fork its workers (run_joblib)

        bar = Bar(total=spec.n_cells, initial=len(done), desc=spec.name, unit="cell")
    t_write = 0.0
    t_run0 = time.perf_counter()
    writer = ChunkWriter(store)  # in-process and Ray cells: streamed into chunks here
    try:
        for cell_id, tables in runner(todo, spec.budget, jobs, out=str(out)):
            if tables is not None:  # the serial backend and backends without a shared disk hand the tables back
                tw = time.perf_counter()
                writer.add(cell_id, tables)
                t_write += time.perf_counter() - tw
            if bar is not None:
                bar.update(1)
            if on_cell is not None:
                on_cell(cell_id)
    finally:
        tw = time.perf_counter()
        writer.flush()  # also on an interrupt: every finished cell is kept
        t_write += time.perf_counter() - tw
        if bar is not None:
            bar.close()
    t_run = time.perf_counter() - t_run0
    tm = time.perf_counter()
    manifest = store.read_manifest()
    if todo or not manifest.get("complete") or not store.tables_intact(manifest):
        manifest = store.merge(spec)
    t_merge = time.perf_counter() - tm
    return {"out": str(out), "ran": len(todo), "skipped": len(done), "complete": manifest["complete"],
            "cells": spec.n_cells, "seconds": time.perf_counter() - t0, "run_seconds": t_run,
            "write_seconds": t_write, "merge_seconds": t_merge, "code_changes": code_changes}


def _resolve_code_change(store, m, prov, found, done, todo, n_cells, allow) -> None:
    """Refuse a resume that would mix code (unless allowed: then record it); only warn when nothing is computed."""
    if not todo:
        warnings.warn(f"{store.out}: its {len(done)} finished cells were computed with other code or parameters "
                      f"than the current ones ({'; '.join(found)}); they are reused as they are. Run into a new "
                      "--out folder to recompute them with the current code", CodeChangeWarning, stacklevel=4)
        return
    if not allow:
        raise ResultStoreError(refusal_message(store.out, len(todo), n_cells, found))
    m.setdefault("code_changes", []).append({"at": _now(), "changes": found, "cells_done_before": sorted(done),
                                            "previous": m.get("provenance")})
    m["provenance"] = prov
    store.write_manifest(m)
