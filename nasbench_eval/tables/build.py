"""Build the benchmark store from the bundled source tables, verifying them first.

The build refuses (``DataBuildError``) unless: every source file has its recorded sha256; every source lists the same
15,625 unique arch strings in the same NB201 index order (and the packaged index order agrees); NATS-Bench's unique
strings equal our isomorphism classes; the golden values printed by HW-NAS-Bench's notebook are met; the published
optima are reproduced.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .._io import check_target, replace_dir, sha256_file
from ..errors import DataBuildError
from ..spaces import nb201
from . import columns as C
from .sources import SOURCES
from .store import FORMAT_VERSION, STORE_KIND, is_legacy_store, seal_meta

# Published optima (rounded to 2 decimals) checked at build time: (column, expected max, expected argmax or None).
# ImageNet16-120 valid: the NB201 paper prints 46.77, the v1_1 file gives 46.73 (documented in the data README).
OPTIMA = [
    (C.acc_column("cifar10-valid", "valid"), 91.61, 6111),
    (C.acc_column("cifar10", "test", C.SRC_NATS), 94.37, 6111),
    (C.acc_column("cifar100", "valid"), 73.49, 9930),
    (C.acc_column("cifar100", "test"), 73.51, 9930),
    (C.acc_column("ImageNet16-120", "valid"), 46.73, 10676),
    (C.acc_column("ImageNet16-120", "test"), 47.31, 857),
]
FPGA_POWER_W = 7.0  # HW-NAS-Bench's FPGA power model: energy = 7 W x latency (exact on every measured row)


def find_source(required: bool = True) -> Path | None:
    """``$NASBENCH_EVAL_DATA``, else ``../shared/data`` beside the repository or the working directory."""
    env = os.environ.get("NASBENCH_EVAL_DATA")
    repo = Path(__file__).resolve().parents[2]
    cands = [Path(env)] if env else [repo.parent / "shared" / "data", Path.cwd() / "shared" / "data",
                                     Path.cwd().parent / "shared" / "data"]
    for c in cands:
        if (c / "nb201-nasgraph").is_dir():
            return c
    if required:
        raise DataBuildError("benchmark source data not found; tried " + ", ".join(map(str, cands)) +
                             ". Pass --source DIR or set NASBENCH_EVAL_DATA")
    return None


def _read(src: Path, rel: str, check_sha: bool = True):
    import pandas as pd

    path = src / rel
    if not path.exists():
        raise DataBuildError(f"source file missing: {path}")
    digest = sha256_file(path)
    if check_sha and digest != SOURCES[rel].sha256:
        raise DataBuildError(f"{path} has sha256 {digest}, expected {SOURCES[rel].sha256} (see data/SOURCES.md); "
                             "refusing to build from modified data")
    return pd.read_csv(path, keep_default_na=True), digest


def _check_order(name: str, arch_strs, reference: np.ndarray | None = None) -> np.ndarray:
    strs = list(arch_strs)
    if len(strs) != nb201.N_ARCHS or len(set(strs)) != nb201.N_ARCHS:
        raise DataBuildError(f"{name}: expected {nb201.N_ARCHS} unique arch strings, got {len(strs)} "
                             f"({len(set(strs))} unique)")
    try:
        idx = nb201.arch_to_index(strs)
    except Exception as exc:
        raise DataBuildError(f"{name}: bad arch string ({exc})") from None
    if not np.array_equal(idx, np.arange(nb201.N_ARCHS)):
        bad = int(np.flatnonzero(idx != np.arange(nb201.N_ARCHS))[0])
        raise DataBuildError(f"{name}: index order differs from NB201 at row {bad} ({strs[bad]})")
    return idx


class _Builder:
    def __init__(self, src: Path):
        self.src = src
        self.cols: dict[str, np.ndarray] = {}
        self.meta: dict[str, dict] = {}
        self.files: dict[str, str] = {}

    def add(self, name, values, rel, what, unit, **extra):
        v = np.asarray(values, dtype=np.float64)
        assert v.shape == (nb201.N_ARCHS,), name
        s = SOURCES[rel]
        self.cols[name] = v
        self.meta[name] = {"source_file": rel, "source_repo": s.repo, "source_commit": s.commit,
                           "source_sha256": self.files[rel], "description": what, "unit": unit,
                           "coverage": int(np.isfinite(v).sum()), **extra}

    def read(self, rel):
        df, digest = _read(self.src, rel)
        self.files[rel] = digest
        return df


def _nb201_accuracies(b: _Builder) -> None:
    for setting, fname in zip(C.NB201_DATASETS, ("cifar10", "cifar100", "ImageNet16-120")):
        rel = f"nb201-nasgraph/nasbench201_{fname}.csv"
        df = b.read(rel)
        _check_order(rel, df["arch str"])
        for split, col in (("train", "train accuracy"), ("valid", "validation accuracy"), ("test", "test accuracy")):
            key = {"cifar10-valid": {"valid": "x-valid", "test": "ori-test"}}.get(setting, {}).get(
                split, {"train": "train", "valid": "x-valid", "test": "x-test"}[split])
            b.add(C.acc_column(setting, split), df[col], rel,
                  f"NB201 v1_1 {setting} {key} top-1 accuracy after 200 epochs, mean over seeds", "%")


def _nats(b: _Builder) -> None:
    rel = "nb201-natsbench-tss-vtao/nats_bench.csv"
    df = b.read(rel)
    _check_order(rel, df["ArchitectureString"])
    ours = [nb201.isomorphism_class(o) for o in nb201.index_to_ops(np.arange(nb201.N_ARCHS))]
    if ours != list(df["UniqueString"]):
        raise DataBuildError(f"{rel}: NATS unique strings disagree with nb201.isomorphism_class")
    for ds, col in zip(C.DATASETS, ("CIFAR10TestAccuracy200Epochs", "CIFAR100TestAccuracy200Epochs",
                                    "ImageNetTestAccuracy200Epochs")):
        split = "ori-test of the cifar10 train+valid setting" if ds == "cifar10" else "x-test"
        b.add(C.acc_column(ds, "test", C.SRC_NATS), df[col], rel,
              f"NATS-Bench tss {ds} {split} top-1 accuracy after 200 epochs, mean over seeds", "%")


def _flops_params(b: _Builder) -> None:
    rel = "combined/nb201_flops_params_computed.csv.gz"
    df = b.read(rel)
    _check_order(rel, df["arch_str"])
    for ds in C.DATASETS:
        b.add(f"{ds}/flops_M/{C.SRC_ANALYTIC}", df[f"flops_M_{ds}"], rel, f"FLOPs (M) for the {ds} input", "MFLOPs")
        b.add(f"{ds}/params_M/{C.SRC_ANALYTIC}", df[f"params_M_{ds}"], rel, f"parameters (M), {ds} head", "M")


def _hardware(b: _Builder) -> None:
    rel_help = "hwnasbench-help/help_nb201_latency.csv.gz"
    help_df = b.read(rel_help)
    _check_order(rel_help, help_df["arch_str"])
    rel_sub = "hwnasbench-ninaherrmann-subset/hwnasbench_nb201_cifar10_subset.csv.gz"
    sub = b.read(rel_sub)
    idx = sub["arch_index"].to_numpy()
    if not np.array_equal(nb201.arch_to_index(list(sub["arch_str"])), idx):
        raise DataBuildError(f"{rel_sub}: arch strings do not match NB201 indices")
    complete = {"eyeriss": "latency", "fpga": "latency", "pixel3": "latency", "raspi4": "latency"}
    for dev, metrics in C.HW_METRICS.items():
        for m in metrics:
            name = C.hw_column(dev, m)
            what = f"HW-NAS-Bench {dev} {m} ({C.UNITS[m]}), cifar10 input"
            if complete.get(dev) == m:
                full = help_df[dev].to_numpy(dtype=float)
                part = sub[f"{dev}_{m}"].to_numpy(dtype=float)
                if np.max(np.abs(full[idx] - part)) > 1e-9:
                    raise DataBuildError(f"{dev}_{m}: HELP and HW-NAS-Bench subset copies disagree")
                b.add(name, full, rel_help, what, C.UNITS[m], cross_checked_with=rel_sub)
                continue
            v = np.full(nb201.N_ARCHS, np.nan)
            v[idx] = sub[f"{dev}_{m}"].to_numpy(dtype=float)
            extra = {}
            if dev == "edgetpu":
                v[v == -1] = np.nan  # failed to compile for the Edge TPU: not available, never a latency
                extra["note"] = "-1 in HW-NAS-Bench (model did not compile for the Edge TPU) stored as missing"
            if dev == "fpga" and m == "energy":
                lat = help_df["fpga"].to_numpy(dtype=float)
                ratio = v[idx] / lat[idx]
                if np.max(np.abs(ratio - FPGA_POWER_W)) > 1e-9:
                    raise DataBuildError("fpga_energy != 7 x fpga_latency on a measured row")
                gaps = np.isnan(v)
                v[gaps] = FPGA_POWER_W * lat[gaps]
                b.cols_derived = gaps
                extra = {"derived_rows": int(gaps.sum()), "derived_rule":
                         "energy = 7 W x fpga latency (HW-NAS-Bench's FPGA power model; exact on all measured rows)",
                         "derived_mask_column": "cifar10/fpga_energy_mJ_is_derived/hw-nas-bench"}
            b.add(name, v, rel_sub, what, C.UNITS[m], **extra)
            if dev == "fpga" and m == "energy":
                b.add("cifar10/fpga_energy_mJ_is_derived/hw-nas-bench", b.cols_derived.astype(float), rel_sub,
                      "1 where fpga energy was derived as 7 x latency, 0 where measured", "flag")
    for dev in C.HELP_DEVICES:
        b.add(C.hw_column(dev), help_df[dev], rel_help, f"HELP latency on {dev} (ms), cifar10 input; not HW-NAS-Bench",
              "ms")


def _verify_anchors(b: _Builder) -> None:
    rel = "hwnasbench-gatech/example_notebook_anchors.json"
    path = b.src / rel
    digest = sha256_file(path)
    if digest != SOURCES[rel].sha256:
        raise DataBuildError(f"{path}: sha256 mismatch")
    b.files[rel] = digest
    anchors = json.loads(path.read_text())["values"]["nasbench201"]
    checked = 0
    for arch, per_ds in anchors.items():
        for metric, want in per_ds["cifar10"].items():
            if metric == "average_hw_metric":
                continue
            dev, m = metric.split("_", 1)
            got = b.cols[C.hw_column(dev, m)][int(arch)]
            if np.isnan(got):
                continue  # not covered by the subset source; coverage is reported, nothing is imputed
            if not np.isclose(got, want, rtol=1e-9, atol=1e-12):
                raise DataBuildError(f"golden value mismatch: arch {arch} {metric} = {got}, notebook prints {want}")
            checked += 1
    if checked < 20:
        raise DataBuildError(f"only {checked} golden anchor values could be checked")
    b.anchors_checked = checked


def _verify_optima(b: _Builder) -> None:
    for col, best, where in OPTIMA:
        v = b.cols[col]
        if round(float(np.nanmax(v)), 2) != best or (where is not None and int(np.nanargmax(v)) != where):
            raise DataBuildError(f"{col}: optimum {np.nanmax(v):.4f} at {int(np.nanargmax(v))}, "
                                 f"published {best} at {where}")


def build_store(source: Path | str | None = None, out: Path | str | None = None) -> Path:
    """Read and verify the source tables, then write the store atomically. Returns the store folder."""
    from .store import default_store_dir

    src = Path(source) if source is not None else find_source()
    out = Path(out) if out is not None else default_store_dir()
    if not (src / "nb201-nasgraph").is_dir():
        raise DataBuildError(f"{src} does not look like the benchmark data folder (no nb201-nasgraph/)")
    check_target(out, STORE_KIND, is_legacy_store)  # before any work: only our own store folder is ever replaced
    t0 = time.perf_counter()
    b = _Builder(src)
    _nb201_accuracies(b)
    _nats(b)
    _flops_params(b)
    _hardware(b)
    _verify_anchors(b)
    _verify_optima(b)
    names = list(b.cols)
    values = np.stack([b.cols[n] for n in names])
    arch_strs = "\n".join(nb201.index_to_arch(np.arange(nb201.N_ARCHS)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".store-", dir=out.parent))
    try:
        np.save(tmp / "values.npy", values, allow_pickle=False)
        shutil.copyfile(src / "nb201-lomonas-pof/pof_nb201.json", tmp / "pareto_fronts_lomonas.json")
        meta = {"format_version": FORMAT_VERSION, "columns": names, "column_meta": b.meta,
                "source_dir": str(src.resolve()), "source_files": b.files,
                "arch_strings_sha256": hashlib.sha256(arch_strs.encode()).hexdigest(),
                "anchors_checked": b.anchors_checked,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": round(time.perf_counter() - t0, 2)}
        (tmp / "meta.json").write_text(json.dumps(seal_meta(meta, tmp / "values.npy"), indent=1))
        replace_dir(tmp, out, STORE_KIND, is_legacy_store)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out  # get_store notices the replaced meta.json and reloads
