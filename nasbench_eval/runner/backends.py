"""Execution backends: serial, joblib (loky processes on one machine) and Ray (a cluster, optional extra).

Each backend receives the cells still to run, each with its own ``SeedSequence``, and yields
``(cell_id, tables)`` as cells finish, in whatever order they finish. Results cannot depend on that order: a
cell's randomness comes only from its ``SeedSequence`` (fixed by its position in the canonical grid).
"""
from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigError
from .cell import run_cell

BACKENDS = ("serial", "joblib", "ray")


def _job(cell, seed_seq, budget, out=None):
    """Run a cell; with ``out`` (a local result folder) the worker saves its own part and returns no tables."""
    tables = run_cell(cell, seed_seq, budget)
    if out is None:
        return cell.cell, tables
    from .store import ResultStore

    ResultStore(out).write_cell(cell.cell, tables)
    return cell.cell, None


def run_serial(work, budget, jobs: int = 1, out=None) -> Iterator:
    """In this process; the tables go back to the caller, which streams them into chunks."""
    from .cell import cell_tables

    for cell, ss in work:
        yield cell.cell, cell_tables(cell, ss, budget)


def run_joblib(work, budget, jobs: int = 2, out=None) -> Iterator:
    """loky worker processes (imports, benchmark store and problems loaded once per worker). Cells go out in tasks of
    contiguous cells, large first and shrinking towards the end (guided scheduling: few tasks, balanced finish); a
    worker streams its finished cells into chunk files of ``out`` itself and hands back only their ids."""
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered", batch_size=1)
    for done in par(delayed(_job_chunk)(task, budget, out) for task in _tasks(list(work), jobs)):
        yield from done


def _tasks(work: list, jobs: int, per_worker: int = 4) -> list[list]:
    """Guided scheduling: each task takes 1 / (per_worker x jobs) of the cells still unassigned (at most
    ``CHUNK_CELLS``, at least 1), in canonical order."""
    from .store import CHUNK_CELLS

    tasks, i = [], 0
    while i < len(work):
        size = max(1, min(CHUNK_CELLS, -(-(len(work) - i) // (per_worker * jobs))))
        tasks.append(work[i:i + size])
        i += size
    return tasks


def _job_chunk(task, budget, out=None) -> list:
    """Run a task's cells in this worker; with ``out`` save them as chunks there (also the finished ones when a cell
    fails) and return ``[(cell_id, None), ...]``, else return ``[(cell_id, tables), ...]``."""
    from .cell import cell_tables

    if out is None:
        return [(cell.cell, cell_tables(cell, ss, budget)) for cell, ss in task]
    from .store import ChunkWriter, ResultStore

    writer, saved = ChunkWriter(ResultStore(out)), []
    try:
        for cell, ss in task:
            saved += writer.add(cell.cell, cell_tables(cell, ss, budget))
    finally:
        saved += writer.flush()
    return [(c, None) for c in saved]


def run_ray(work, budget, jobs: int = 2, out=None) -> Iterator:  # tables travel back: no shared disk assumed
    try:
        import ray
    except ImportError:
        raise ConfigError("backend 'ray' needs the optional extra: pip install 'nasbench-eval[ray]' "
                          "(or pip install 'ray>=2.9')") from None
    started = False
    if not ray.is_initialized():
        ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
        started = True
    try:
        remote = ray.remote(_job)
        pending = [remote.remote(cell, ss, budget) for cell, ss in work]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def get_backend(name: str):
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    return {"serial": run_serial, "joblib": run_joblib, "ray": run_ray}[name]
