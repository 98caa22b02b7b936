"""Import the official ``HW-NAS-Bench-v1_0.pickle`` through the restricted unpickler (no code from the file runs).

Layout (from HW-NAS-Bench's ``hw_nas_bench_api.py``)::

    pickle['nasbench201'][dataset][metric][arch_index]    dataset in cifar10, cifar100, ImageNet16-120
    pickle['nasbench201'][dataset]['config'][arch_index]  {'name', 'C', 'N', 'arch_str', 'num_classes'} (optional)
    pickle['fbnet'][...]                                   op-level lookup tables (ignored here)

``arch_index`` is the NB201 index (0..15,624); the metric container may be a list of 15,625 numbers or a dict keyed
by index (missing keys are missing values). ``edgetpu_latency == -1`` (did not compile) becomes NaN.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataBuildError
from ...spaces import nb201
from .. import columns as C
from ..safe_pickle import restricted_load

HW_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
HW_METRIC_KEYS = tuple(f"{dev}_{m}" for dev, ms in C.HW_METRICS.items() for m in ms)  # the 10 stored metrics
N = nb201.N_ARCHS


def _kind(x) -> str:
    if isinstance(x, dict):
        keys = list(x)[:8]
        return f"a dict with keys {keys}{' ...' if len(x) > 8 else ''}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


def _layout_error(where: str, expected: str, found) -> DataBuildError:
    return DataBuildError(f"HW-NAS-Bench pickle: {where} should be {expected}, found {_kind(found)}")


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DataBuildError(f"HW-NAS-Bench pickle: {where} should be a number, found {type(v).__name__} {v!r:.60}")
    return float(v)


def _metric_array(container, where: str) -> np.ndarray:
    out = np.full(N, np.nan)
    if isinstance(container, (list, tuple)):
        if len(container) != N:
            raise _layout_error(where, f"a list of {N} numbers (one per NB201 index)", container)
        for i, v in enumerate(container):
            out[i] = _number(v, f"{where}[{i}]")
    elif isinstance(container, dict):
        for k, v in container.items():
            if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < N:
                raise DataBuildError(f"HW-NAS-Bench pickle: {where} has key {k!r}; keys must be NB201 indices "
                                     f"0..{N - 1}")
            out[k] = _number(v, f"{where}[{k}]")
    else:
        raise _layout_error(where, f"a list of {N} numbers or a dict NB201 index -> number", container)
    return out


def _check_configs(configs, where: str) -> None:
    items = enumerate(configs) if isinstance(configs, (list, tuple)) else (
        configs.items() if isinstance(configs, dict) else None)
    if items is None:
        raise _layout_error(where, "a list or dict of config dicts", configs)
    idx, strs = [], []
    for k, cfg in items:
        if not isinstance(cfg, dict) or not isinstance(cfg.get("arch_str"), str):
            raise _layout_error(f"{where}[{k!r}]", "a dict with an 'arch_str' string", cfg)
        idx.append(k)
        strs.append(cfg["arch_str"])
    if any(isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < N for k in idx):
        raise DataBuildError(f"HW-NAS-Bench pickle: {where} has keys outside the NB201 indices 0..{N - 1}")
    want = nb201.index_to_arch(np.asarray(idx, dtype=np.int64))
    bad = [j for j, (a, b) in enumerate(zip(strs, want)) if a != b]
    if bad:
        k, s = idx[bad[0]], strs[bad[0]]
        try:
            is_idx = f"which is NB201 index {nb201.arch_to_index(s)}"
        except Exception as exc:
            is_idx = f"which is not an NB201 arch string ({exc})"
        raise DataBuildError(f"HW-NAS-Bench pickle: {where}[{k}] is {s!r}, {is_idx}, not {k}: the file's index "
                             f"order differs from NB201's ({len(bad)} archs disagree)")


def hwnasbench_columns(obj, source: str = "pickle") -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Columns (``hw_column(device, metric, dataset)``) and per-column notes from an unpickled HW-NAS-Bench object."""
    if not isinstance(obj, dict) or "nasbench201" not in obj:
        raise _layout_error("the top level", "a dict with keys 'nasbench201' (and 'fbnet')", obj)
    nb = obj["nasbench201"]
    if not isinstance(nb, dict):
        raise _layout_error("pickle['nasbench201']", f"a dict keyed by dataset {list(HW_DATASETS)}", nb)
    missing = [d for d in HW_DATASETS if d not in nb]
    if missing:
        raise DataBuildError(f"HW-NAS-Bench pickle: pickle['nasbench201'] lacks datasets {missing}; expected "
                             f"{list(HW_DATASETS)}, found keys {list(nb)}")
    cols: dict[str, np.ndarray] = {}
    notes: dict[str, dict] = {}
    for ds in HW_DATASETS:
        per = nb[ds]
        where = f"pickle['nasbench201'][{ds!r}]"
        if not isinstance(per, dict):
            raise _layout_error(where, f"a dict keyed by metric {list(HW_METRIC_KEYS)}", per)
        lacking = [m for m in HW_METRIC_KEYS if m not in per]
        if lacking:
            raise DataBuildError(f"HW-NAS-Bench pickle: {where} lacks metrics {lacking}; expected "
                                 f"{list(HW_METRIC_KEYS)}, found keys {list(per)}")
        if "config" in per:
            _check_configs(per["config"], f"{where}['config']")
        for metric in HW_METRIC_KEYS:
            dev, m = metric.split("_", 1)
            v = _metric_array(per[metric], f"{where}[{metric!r}]")
            note = {"unit": C.UNITS[m], "description": f"HW-NAS-Bench {dev} {m} ({C.UNITS[m]}), {ds} input, "
                    f"official pickle"}
            if dev == "edgetpu":
                failed = v == -1
                v[failed] = np.nan
                note["note"] = (f"-1 in HW-NAS-Bench (model did not compile for the Edge TPU) stored as missing "
                                f"({int(failed.sum())} archs)")
            if np.any(v[np.isfinite(v)] < 0):
                raise DataBuildError(f"HW-NAS-Bench pickle: {where}[{metric!r}] has negative values")
            name = C.hw_column(dev, m, ds)
            cols[name] = v
            notes[name] = note
    return cols, notes


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise DataBuildError(f"HW-NAS-Bench pickle not found: {path}")


def load_hwnasbench_pickle(path: Path | str, *, allow_numpy_scalars: bool = False) -> dict[str, np.ndarray]:
    """HW cost columns for all three datasets from ``HW-NAS-Bench-v1_0.pickle`` (restricted unpickler; no code runs).

    Returns ``{hw_column(device, metric, dataset): float64 array of 15,625}``, NaN where not available.
    """
    path = Path(path)
    _check_exists(path)
    obj = restricted_load(path, allow_numpy_scalars=allow_numpy_scalars)
    return hwnasbench_columns(obj, str(path))[0]
