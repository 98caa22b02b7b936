"""User devices: latency columns measured on the user's own hardware, kept in an overlay next to the store.

A user device is a folder ``{user_devices_dir()}/{name}/`` written by ``nasbench-eval hw measure``::

    .nasbench-eval       ownership marker (kind "user device"): only such a folder is ever removed or rewritten
    settings.json        the timing settings of the measurements (a resumed run must use the same)
    measurements.jsonl   one JSON object per measured arch, appended atomically (resume skips what is there)
    values.npy           float64 (2, 15625): latency (ms) per NB201 index; 1 where predicted, 0 where measured
    device.json          provenance (machine, torch version, date, settings, timer), sample, predictor quality,
                         rank agreement with the store's devices, and the sha256 of values.npy

The verified benchmark store (``values.npy`` / ``meta.json``) is never touched: :func:`with_user_devices` returns
a *new* :class:`BenchmarkStore` whose column namespace is the store's plus two columns per user device,
``cifar10/{name}_latency_ms/user-measured`` and the flag ``cifar10/{name}_latency_ms_is_predicted/user-measured``.
The store's own ``content_sha256`` stays the verified one; each device's hash is listed in
``meta["user_devices"]`` and checked when the overlay is opened.

The folder is ``$NASBENCH_EVAL_USER_DEVICES``, else ``~/.cache/nasbench-eval/user_devices``.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np

from .._io import MARKER, marker_kind, write_marker
from ..errors import ConfigError, StoreError
from ..spaces import nb201
from .columns import HELP_DEVICES, HW_DEVICES
from .store import BenchmarkStore

SOURCE = "user-measured"
KIND = "user device"
INPUTS = ("cifar10",)  # the input HW-NAS-Bench measured; the only one problems pair with device costs
FORMAT_VERSION = 1
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def user_devices_dir() -> Path:
    """``$NASBENCH_EVAL_USER_DEVICES``, else ``~/.cache/nasbench-eval/user_devices``."""
    env = os.environ.get("NASBENCH_EVAL_USER_DEVICES")
    return Path(env) if env else Path.home() / ".cache" / "nasbench-eval" / "user_devices"


def check_name(name) -> str:
    """A user device name: lower-case letters, digits and '_', starting with a letter, at most 40 characters, and
    not the name of a HW-NAS-Bench or HELP device (those columns exist already)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError("device name must be 1-40 characters of lower-case letters, digits and '_', starting with "
                          f"a letter (e.g. 'my_laptop_cpu'); got {name!r}")
    if name in HW_DEVICES or name in HELP_DEVICES or name.startswith("help_"):
        raise ConfigError(f"device name {name!r} is taken by a HW-NAS-Bench / HELP device (or their 'help_' "
                          "prefix); choose another name")
    return name


def latency_column(name: str, input: str = "cifar10") -> str:
    return f"{input}/{name}_latency_ms/{SOURCE}"


def flag_column(name: str, input: str = "cifar10") -> str:
    return f"{input}/{name}_latency_ms_is_predicted/{SOURCE}"


def device_dir(name: str, root: Path | None = None) -> Path:
    return Path(root if root is not None else user_devices_dir()) / check_name(name)


def prepare_device_dir(name: str, root: Path | None = None) -> Path:
    """Create (or reuse) the device folder; refuse a folder nasbench-eval did not make."""
    d = device_dir(name, root)
    if d.exists():
        if not d.is_dir() or (any(d.iterdir()) and marker_kind(d) != KIND):
            raise ConfigError(f"{d} exists and is not a nasbench-eval user device folder; choose another "
                              "--device-name or --user-devices folder")
    d.mkdir(parents=True, exist_ok=True)
    if marker_kind(d) != KIND:
        write_marker(d, KIND)
    return d


# ------------------------------------------------------------------------------------------- measurements file
def append_record(path: Path, record: dict) -> None:
    """Append one JSON line with a single ``write`` on an ``O_APPEND`` descriptor, then fsync (a crash leaves at
    most one partial last line, which :func:`read_records` drops)."""
    line = (json.dumps(record, sort_keys=True, allow_nan=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path: Path) -> dict[int, dict]:
    """NB201 index -> record of every complete line (a torn last line from an interrupted write is ignored)."""
    out: dict[int, dict] = {}
    if not Path(path).is_file():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # torn last line
            try:
                rec = json.loads(line)
                out[int(rec["index"])] = rec
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"{path}: unreadable measurement line {line[:80]!r}; delete the line (or the "
                                 "device with `nasbench-eval hw remove`) and re-run to measure it again") from None
    return out


def drop_torn_tail(path: Path) -> int:
    """Cut a partial last line (an append interrupted mid-write); returns the number of bytes removed."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as fh:
        fh.truncate(keep)
    return len(data) - keep


def check_settings(folder: Path, settings: dict) -> None:
    """Record the timing settings on the first run; a resumed run with other settings is refused."""
    p = folder / "settings.json"
    if not p.is_file():
        _atomic_write(p, (json.dumps(settings, indent=1, sort_keys=True) + "\n").encode())
        return
    old = json.loads(p.read_text(encoding="utf-8"))
    diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
    if diff:
        pairs = ", ".join(f"{k}: {old.get(k)!r} -> {settings.get(k)!r}" for k in diff)
        raise ConfigError(f"user device {folder.name!r} was measured with other settings ({pairs}); one device "
                          "holds one setting: pick another --device-name, or `nasbench-eval hw remove "
                          f"{folder.name}` first")


# --------------------------------------------------------------------------------------------- values + meta
def write_device(folder: Path, latency: np.ndarray, predicted: np.ndarray, info: dict) -> dict:
    """Write ``values.npy`` (latency row, flag row) and ``device.json`` (``info`` + hashes), each atomically."""
    lat = np.asarray(latency, dtype=np.float64)
    flag = np.asarray(predicted, dtype=np.float64)
    if lat.shape != (nb201.N_ARCHS,) or flag.shape != (nb201.N_ARCHS,):
        raise ValueError("latency and flags must have one value per NB201 arch")
    if not np.all(np.isfinite(lat)) or not np.all(lat > 0) or not np.isin(flag, (0.0, 1.0)).all():
        raise ValueError("user-device latencies must be finite and positive, flags 0 (measured) or 1 (predicted)")
    buf = io.BytesIO()
    np.save(buf, np.stack([lat, flag]), allow_pickle=False)
    raw = buf.getvalue()
    meta = {**info, "format_version": FORMAT_VERSION, "name": folder.name,
            "columns": [latency_column(folder.name, info.get("input", "cifar10")),
                        flag_column(folder.name, info.get("input", "cifar10"))],
            "counts": {"measured": int((flag == 0).sum()), "predicted": int((flag == 1).sum())},
            "values_sha256": hashlib.sha256(raw).hexdigest()}
    _atomic_write(folder / "values.npy", raw)
    _atomic_write(folder / "device.json", (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
    return meta


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_device(folder: Path) -> tuple[dict, np.ndarray]:
    """``(device.json, values (2, 15625))`` of a finished user device, hash-checked."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "device.json").read_text(encoding="utf-8"))
        raw = (folder / "values.npy").read_bytes()
    except (OSError, ValueError) as exc:
        raise StoreError(f"user device at {folder} cannot be read ({type(exc).__name__}: {exc}); re-run "
                         f"`nasbench-eval hw measure --device-name {folder.name}` (measurements are kept)") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION or meta.get("name") != folder.name:
        raise StoreError(f"user device at {folder}: device.json is not a format-{FORMAT_VERSION} description of "
                         f"{folder.name!r}; re-run `nasbench-eval hw measure --device-name {folder.name}`")
    if hashlib.sha256(raw).hexdigest() != meta.get("values_sha256"):
        raise StoreError(f"user device at {folder} fails its checksum (values.npy or device.json was modified); "
                         f"re-run `nasbench-eval hw measure --device-name {folder.name}` (measurements are kept)")
    values = np.load(io.BytesIO(raw), allow_pickle=False)
    if values.shape != (2, nb201.N_ARCHS) or values.dtype != np.float64:
        raise StoreError(f"user device at {folder}: values.npy has shape {values.shape}, expected (2, 15625)")
    return meta, values


def list_devices(root: Path | None = None) -> list[dict]:
    """Every folder under the user-devices folder: ``{"name", "path", "complete", "measured", "predicted"}``."""
    root = Path(root if root is not None else user_devices_dir())
    out = []
    if not root.is_dir():
        return out
    for d in sorted(root.iterdir()):
        if not d.is_dir() or marker_kind(d) != KIND or not _NAME.match(d.name):
            continue
        row = {"name": d.name, "path": str(d), "complete": (d / "device.json").is_file(),
               "measurements": len(read_records(d / "measurements.jsonl"))}
        if row["complete"]:
            meta = json.loads((d / "device.json").read_text(encoding="utf-8"))
            row.update(counts=meta.get("counts"), input=meta.get("input"), settings=meta.get("settings"),
                       predictor=meta.get("predictor", {}).get("cross_validated"), created_at=meta.get("updated_at"))
        out.append(row)
    return out


def device_names(root: Path | None = None) -> tuple[str, ...]:
    """Names of the finished user devices (usable as ``device`` in problems)."""
    return tuple(r["name"] for r in list_devices(root) if r["complete"])


def remove_device(name: str, root: Path | None = None) -> Path:
    """Delete a user device folder (only one carrying our marker)."""
    import shutil

    d = device_dir(name, root)
    if not d.is_dir() or marker_kind(d) != KIND:
        raise ConfigError(f"no user device named {name!r} in {d.parent}; see `nasbench-eval hw list`")
    shutil.rmtree(d)
    return d


# ------------------------------------------------------------------------------------------------- overlay
_MERGED: dict[tuple, object] = {}


def _signature(root: Path) -> tuple:
    sig = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            f, v = d / "device.json", d / "values.npy"
            if (d / MARKER).is_file() and f.is_file() and v.is_file():
                sig.append((d.name, f.stat().st_mtime_ns, v.stat().st_mtime_ns, v.stat().st_size))
    return tuple(sig)


def with_user_devices(store, root: Path | None = None):
    """The store plus the finished user devices' columns (a new store object; ``store`` is returned unchanged
    when there are none). Cached per (store, folder state)."""

    root = Path(root if root is not None else user_devices_dir())
    sig = _signature(root)
    if not sig:
        return store
    key = (id(store), str(root), sig)
    if key not in _MERGED:
        names, rows, cmeta, devices = [], [], {}, {}
        for name, *_ in sig:
            meta, values = read_device(root / name)
            lat_col, flag_col = meta["columns"]
            if lat_col in store.columns or flag_col in store.columns:
                raise StoreError(f"user device {name!r}: column {lat_col} already exists in the benchmark store")
            n_pred = meta["counts"]["predicted"]
            common = {"source_file": str(root / name / "values.npy"), "source_sha256": meta["values_sha256"],
                      "source": SOURCE, "user_device": name, "coverage": nb201.N_ARCHS}
            cmeta[lat_col] = {**common, "unit": "ms", "derived_rows": n_pred, "measured_rows": nb201.N_ARCHS - n_pred,
                              "description": f"latency (ms) measured on the user device {name!r} "
                                             f"({meta.get('machine', {}).get('summary', '?')}); "
                                             f"{n_pred} of {nb201.N_ARCHS} values predicted, flagged in {flag_col}"}
            cmeta[flag_col] = {**common, "unit": "flag",
                               "description": f"1 where {lat_col} is predicted by a model fitted on the measured "
                                              "archs, 0 where measured on that arch"}
            names += [lat_col, flag_col]
            rows.append(values)
            devices[name] = {"path": str(root / name), "values_sha256": meta["values_sha256"],
                             "counts": meta["counts"]}
        merged_meta = {**store.meta, "columns": list(store.columns) + names,
                       "column_meta": {**store.meta["column_meta"], **cmeta}, "user_devices": devices}
        base = store.all_values()  # read-only, never written; refused while a search runs
        values = np.vstack([base, *rows])
        values.flags.writeable = False
        merged = BenchmarkStore(values, merged_meta, store.path)
        merged.content_sha256 = store.content_sha256  # the verified store's hash; devices carry their own
        merged.base_store = store
        if len(_MERGED) > 8:
            _MERGED.clear()
        _MERGED[key] = (store, merged)  # keep ``store`` alive so its id is not reused
    return _MERGED[key][1]
