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
    for cell, ss in work:
        yield _job(cell, ss, budget, out)


def run_joblib(work, budget, jobs: int = 2, out=None) -> Iterator:
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    yield from par(delayed(_job)(cell, ss, budget, out) for cell, ss in work)


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
