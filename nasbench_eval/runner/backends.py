"""Execution backends: serial, joblib (worker processes on one machine: loky's, or forked from the driver where that
is safe, :func:`fork_is_safe`) and Ray (one machine or a cluster; optional extra).

Each backend receives the cells still to run, each with its own ``SeedSequence``, and yields
``(cell_id, tables)`` as cells finish, in whatever order they finish. Results cannot depend on that order: a
cell's randomness comes only from its ``SeedSequence`` (fixed by its position in the canonical grid).

Ray: without an address (``--ray-address`` / ``$RAY_ADDRESS``) a private instance with ``jobs`` CPUs is started and
stopped; with one, the run joins that cluster (``auto`` = the cluster this machine belongs to, or ``HOST:PORT``)
and leaves it running. Each cell asks for the resources its problem type needs (:func:`cell_resources`): one CPU
for a tabular cell, one CPU and one GPU for a live (``supernet`` / ``rmi``) cell that trains on a GPU. Every worker
opens its own benchmark store; a cell refuses to run on numbers other than the driver's (values hash).
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from ..errors import ConfigError, StoreError
from .cell import cell_tables

BACKENDS = ("serial", "joblib", "ray")
LIVE_TYPES = ("supernet", "rmi")  # problem types that train networks (torch); the others read the store


def _job(cell, seed_seq, budget, out=None, values_sha256=None):
    """Run a cell; with ``out`` (a local result folder) the worker saves its own part and returns no tables.

    values_sha256: the driver's store values hash; the cell refuses to run on a worker whose store differs."""
    if values_sha256 is not None:
        _check_worker_store(values_sha256)
    tables = cell_tables(cell, seed_seq, budget)  # numpy columns: they travel back and are written as they are
    if out is None:
        return cell.cell, tables
    from .store import ResultStore

    ResultStore(out).write_cell(cell.cell, tables)
    return cell.cell, None


def _check_worker_store(values_sha256: str) -> None:
    import socket

    from ..tables.locate import get_store

    got = get_store().meta.get("values_sha256")
    if got != values_sha256:
        raise StoreError(f"the benchmark store on worker host {socket.gethostname()!r} ({get_store().path}) holds "
                         f"other numbers (values sha256 {str(got)[:12]}...) than the driver's "
                         f"({values_sha256[:12]}...); install the same nasbench-eval version on every node, or set "
                         "NASBENCH_EVAL_STORE on the nodes to a copy of the driver's store")


def run_serial(work, budget, jobs: int = 1, out=None) -> Iterator:
    """In this process; the tables go back to the caller, which streams them into chunks."""
    for cell, ss in work:
        yield cell.cell, cell_tables(cell, ss, budget)


def run_joblib(work, budget, jobs: int = 2, out=None) -> Iterator:
    """Worker processes on this machine (imports, benchmark store and problems loaded once per worker). Cells go out in
    tasks of contiguous cells, large first and shrinking towards the end (guided scheduling: few tasks, balanced
    finish); a worker streams its finished cells into chunk files of ``out`` itself and hands back only their ids.

    The workers are joblib's loky processes, except when forking them from this process is safe
    (:func:`fork_is_safe`: tabular cells, Linux, no other thread here): then they are forked, which saves each worker
    its interpreter start and imports (0.2-0.3 CPU-s, most of a short grid's fixed cost). Results are the same
    either way (every cell's randomness comes from its own SeedSequence)."""
    work = list(work)
    tasks = _tasks(work, jobs)
    if fork_is_safe(work):
        yield from _run_forked(tasks, budget, jobs, out)
        return
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered", batch_size=1)
    for done in par(delayed(_job_chunk)(task, budget, out) for task in tasks):
        yield from done


def fork_is_safe(work) -> bool:
    """Whether worker processes may be forked from this one: Linux (where fork is native), only tabular cells (a live
    cell may use torch or CUDA, which do not survive a fork), torch not imported here, and no other Python thread
    running (a thread holding a lock at the fork would leave it locked for ever in the child)."""
    import multiprocessing
    import sys
    import threading

    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1 and "torch" not in sys.modules
            and all(cell.problem.get("type") not in LIVE_TYPES for cell, _ in work))


def _run_forked(tasks: list, budget, jobs: int, out) -> Iterator:
    """:func:`_job_chunk` of every task in ``jobs`` forked worker processes, results as tasks finish. A worker that dies
    (killed, out of memory) ends the run with ``BrokenProcessPool`` instead of a wait for ever; the chunks already
    written are kept and a rerun resumes from them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    n = max(1, min(jobs, len(tasks)))
    # with "fork" the executor starts all its processes here, before any thread of its own
    ex = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_forked_worker,
                             initargs=(n,))
    try:
        for future in as_completed([ex.submit(_job_chunk, task, budget, out) for task in tasks]):
            yield from future.result()
    except BaseException:  # a failed cell, an interrupt, or the caller stopped early: run no further task
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def _forked_worker(n_workers: int) -> None:
    """Make a forked worker what a fresh loky worker would be where it matters: classes added with ``register()`` in
    the driver are unknown (a worker finds them through their importable reference, or refuses, as on every other
    backend), and BLAS / OpenMP pools are limited to ``cpus // workers`` threads, as joblib limits loky's workers."""
    import gc
    import os

    from threadpoolctl import threadpool_limits

    from ..search import registry

    registry.forget_registered()
    threadpool_limits(max((os.cpu_count() or 1) // n_workers, 1))
    gc.freeze()  # the driver's objects (pandas and all) out of the collector's sight: its passes stay as cheap as a
    # fresh worker's, and they do not touch (so copy) the pages shared with the driver


def _tasks(work: list, jobs: int, per_worker: int = 4) -> list[list]:
    """Guided scheduling: each task takes 1 / (per_worker x jobs) of the cells still unassigned (at most
    ``CHUNK_CELLS``, at least 1), in canonical order."""
    from .parts import CHUNK_CELLS

    tasks, i = [], 0
    while i < len(work):
        size = max(1, min(CHUNK_CELLS, -(-(len(work) - i) // (per_worker * jobs))))
        tasks.append(work[i:i + size])
        i += size
    return tasks


def _job_chunk(task, budget, out=None) -> list:
    """Run a task's cells in this worker; with ``out`` save them as chunks there (also the finished ones when a cell
    fails) and return ``[(cell_id, None), ...]``, else return ``[(cell_id, tables), ...]``."""
    if out is None:
        return [(cell.cell, cell_tables(cell, ss, budget)) for cell, ss in task]
    from .parts import ChunkWriter
    from .store import ResultStore

    writer, saved = ChunkWriter(ResultStore(out)), []
    try:
        for cell, ss in task:
            saved += writer.add(cell.cell, cell_tables(cell, ss, budget))
    finally:
        saved += writer.flush()
    return [(c, None) for c in saved]


# ----------------------------------------------------------------------------------------------------- Ray
def ray_address(address: str | None = None) -> str | None:
    """The cluster to join: ``address`` (``--ray-address``), else ``$RAY_ADDRESS``, else ``None`` (start a private
    local instance). ``auto`` joins the cluster this machine is a node of."""
    addr = address if address is not None else os.environ.get("RAY_ADDRESS")
    if addr is None or not str(addr).strip():
        return None
    addr = str(addr).strip()
    if addr != "auto" and not addr.startswith("ray://"):
        host, sep, port = addr.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"--ray-address must be 'auto', HOST:PORT or ray://HOST:PORT; got {addr!r}")
    return addr


def cell_resources(cell, cluster_gpus: float | None = None) -> dict:
    """Ray resource request of one cell, decided by its problem type: ``{"num_cpus": 1}`` for a tabular cell; a live
    cell (``supernet`` / ``rmi``) on ``device: cuda`` also asks for one GPU, on ``device: auto`` (or unset) for one
    GPU when the cluster has any (else it runs on a CPU), on ``device: cpu`` for none."""
    problem = cell.problem
    if problem.get("type") not in LIVE_TYPES:
        return {"num_cpus": 1}
    device = problem.get("device")
    if device == "cpu":
        return {"num_cpus": 1}
    if device in (None, "auto") and not cluster_gpus:
        return {"num_cpus": 1}
    if str(device).startswith("cuda") and cluster_gpus is not None and cluster_gpus < 1:
        raise ConfigError(f"problem {problem.get('label', problem.get('type'))!r} asks for device {device!r} but the "
                          "Ray cluster has no GPU; start GPU nodes (`ray start --num-gpus N`) or set device: cpu")
    return {"num_cpus": 1, "num_gpus": 1}


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("backend 'ray' needs the optional extra: pip install 'nasbench-eval[ray]' "
                          "(or pip install 'ray>=2.9')") from None
    return ray


def run_ray(work, budget, jobs: int = 2, out=None, address: str | None = None) -> Iterator:
    """Tables travel back to the driver (no shared disk assumed). ``jobs`` sizes a private instance; on a cluster
    the cluster's resources decide how many cells run at once."""
    ray = _import_ray()
    from ..tables.locate import get_store

    values_sha256 = get_store().meta.get("values_sha256")
    addr = ray_address(address)
    started = False
    if not ray.is_initialized():
        if addr is None:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            try:
                ray.init(address=addr, log_to_driver=False, configure_logging=False)
            except ConnectionError as exc:
                raise ConfigError(f"cannot join the Ray cluster at {addr!r} ({exc}); start it with `ray start "
                                  "--head` or pass --ray-address HOST:PORT") from None
        started = True
    try:
        gpus = float(ray.cluster_resources().get("GPU", 0))
        remote = ray.remote(_job)
        pending = [remote.options(**cell_resources(cell, gpus)).remote(cell, ss, budget, None, values_sha256)
                   for cell, ss in work]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()  # disconnects from a cluster (which keeps running) or stops the private instance


def get_backend(name: str, **options):
    """The backend function; ``options`` go to it (Ray: ``address``)."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    fn = {"serial": run_serial, "joblib": run_joblib, "ray": run_ray}[name]
    options = {k: v for k, v in options.items() if v is not None}
    if options and name != "ray":
        raise ConfigError(f"{', '.join(sorted(options))} only applies to --backend ray (got --backend {name})")
    return functools.partial(fn, **options) if options else fn
