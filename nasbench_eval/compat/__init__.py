"""Read-only stand-ins for the benchmark APIs researchers already have code for, served from our store.

* :mod:`nasbench_eval.compat.nas_201_api` -- ``NASBench201API`` (the ``nas-bench-201`` package's API, Dong & Yang,
  "NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture Search", ICLR 2020);
* :mod:`nasbench_eval.compat.hw_nas_bench_api` -- ``HWNASBenchAPI`` (Li et al., "HW-NAS-Bench: Hardware-Aware Neural
  Architecture Search Benchmark", ICLR 2021).

A script written against either API runs by changing one import line: the constructor accepts (and ignores) the
benchmark file, nothing is unpickled, and every query is a look-up in the memory-mapped store (milliseconds, a few
MB of RAM instead of the 28 GB the NB201 ``.pth`` needs). The dict keys are the originals'; what our data does not
hold is reported the way the original reports "not available" where it has such a convention (``None`` for times
and latency, ``-1.0`` for an Edge TPU model that did not compile), as NaN where it has none, and refused with a
``ConfigError`` that names what is missing and why where no honest answer exists (12-epoch results, one random
seed's results, per-epoch curves, HW costs for inputs the store lacks). docs/compat.md lists every key and column.

Nothing here is imported by the rest of the package; these modules import only the store and the NB201 space.
"""
from __future__ import annotations

__all__ = ["hw_nas_bench_api", "nas_201_api"]
