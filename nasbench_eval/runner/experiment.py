"""Run an experiment spec into a result folder: seeding, resume, backends, progress, merge."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .backends import get_backend
from .spec import Spec, check_problems, load_spec
from .store import ResultStore


def cell_seeds(root_seed: int, n_cells: int) -> list[np.random.SeedSequence]:
    """``SeedSequence(root_seed).spawn(n_cells)``: child ``i`` belongs to the cell at canonical position ``i``."""
    return np.random.SeedSequence(root_seed).spawn(n_cells)


def run_experiment(spec: Spec | str | Path, out, backend: str = "serial", jobs: int = 1, progress: bool = True,
                   cells=None, on_cell=None) -> dict:
    """Run the cells of ``spec`` not yet in ``out`` and merge the store.

    cells: optional iterable of cell ids to run (a subset; the store stays incomplete until all are done).
    on_cell: optional callback ``f(cell_id)`` after each cell is saved (progress hooks, tests).
    Returns a summary: cells run / skipped, whether the store is complete, and where the time went.
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if int(jobs) != jobs or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    runner = get_backend(backend)
    t0 = time.perf_counter()
    check_problems(spec)
    from ..tables.store import get_store

    store = ResultStore(out)
    store.open(spec, get_store().meta.get("values_sha256"))
    done = store.done_cells()
    wanted = None if cells is None else {int(c) for c in cells}
    seeds = cell_seeds(spec.root_seed, spec.n_cells)
    todo = [(c, seeds[c.cell]) for c in spec.cells()
            if c.cell not in done and (wanted is None or c.cell in wanted)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=spec.n_cells, initial=len(done), desc=spec.name, unit="cell")
    t_write = 0.0
    t_run0 = time.perf_counter()
    try:
        for cell_id, tables in runner(todo, spec.budget, jobs, out=str(out)):
            if tables is not None:  # backends without a shared disk hand the tables back
                tw = time.perf_counter()
                store.write_cell(cell_id, tables)
                t_write += time.perf_counter() - tw
            if bar is not None:
                bar.update(1)
            if on_cell is not None:
                on_cell(cell_id)
    finally:
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
            "write_seconds": t_write, "merge_seconds": t_merge}
