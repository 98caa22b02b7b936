"""Small file utilities shared by every layer: checksums, the ownership marker and atomic folder replacement.

The one rule for folders we write (benchmark stores, result folders, reports, checkpoints): we only ever replace or
write into a folder that does not exist, is empty, or carries our marker file :data:`MARKER` of the same kind
(:func:`check_target`). Anything else is refused with one line, so a typo such as ``--store $HOME`` never
touches a user's files.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import NasbenchEvalError

MARKER = ".nasbench-eval"  # JSON {"kind": ...}: this folder was made by nasbench-eval and may be replaced by it


class FolderRefusedError(NasbenchEvalError):
    """A path we were asked to write is not ours to replace (foreign contents, a file, a dangling link)."""


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then ``os.replace``), with the mode a
    plain ``open()`` would give; parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


PARQUET_COMPRESSION = "ZSTD"  # every Parquet file we write (fastparquet through cramjam)


def fastparquet():
    """The fastparquet module: every Parquet file of the package is written and read by it (pandas' own
    ``engine="fastparquet"`` is deprecated by pandas 3.1). Its import reads a pandas option that pandas 3 deprecates;
    that warning is not the user's concern."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import fastparquet as fp
    return fp


def atomic_write_parquet(path: Path, df) -> None:
    """A DataFrame as a Parquet file at ``path`` (fastparquet, without the index), atomically (see
    :func:`atomic_write_bytes`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        fastparquet().write(tmp, df, compression=PARQUET_COMPRESSION, write_index=False)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_parquet(source, columns=None):
    """A Parquet file (a path, or its bytes) as a DataFrame, read by fastparquet: the one reader of the package, so
    what users get does not depend on which other Parquet library is installed. Strings come back as ``object``,
    integers as ``int64``, floats as ``float64`` (NaN where missing), booleans as ``bool`` (a boolean column with
    missing values as ``object``: True / False / None)."""
    import io

    import pandas as pd

    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    else:
        source = str(source)
    df = fastparquet().ParquetFile(source).to_pandas(columns=columns)
    for c in df.columns:  # fastparquet gives pandas' string dtype when pyarrow is installed: one answer either way
        if isinstance(df[c].dtype, (pd.BooleanDtype, pd.StringDtype)):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    df.columns = pd.Index(list(df.columns))  # labels as pandas makes them for a new frame (str in pandas 3)
    return df


def parquet_columns(path) -> list[str]:
    """The column names of a Parquet file (its footer only)."""
    return list(fastparquet().ParquetFile(str(path)).columns)


def atomic_write_json(path: Path, obj) -> None:
    """``obj`` as indented, key-sorted JSON at ``path``, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def jsonable(x):
    """``x`` with numpy scalars/arrays turned into plain Python (non-finite floats -> None), ready for ``json``."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    return x


def sha256_file(path) -> str:
    """sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def marker_kind(folder) -> str | None:
    """The kind recorded in ``folder``'s marker, or ``None`` when it has no readable marker."""
    p = Path(folder) / MARKER
    try:
        if not p.is_file() or p.stat().st_size > 4096:
            return None
        kind = json.loads(p.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def write_marker(folder, kind: str) -> None:
    (Path(folder) / MARKER).write_text(json.dumps({"kind": kind, "written_by": "nasbench-eval"}) + "\n")


def check_target(out, kind: str, legacy: Callable[[Path], bool] | None = None, what: str | None = None) -> None:
    """Refuse (:class:`FolderRefusedError`) unless ``out`` is absent, an empty folder, or our folder of ``kind``.

    legacy: optional test recognising a folder of this kind written before markers existed (it must only accept
    folders holding nothing but files we write).
    """
    out = Path(out)
    what = what or f"a nasbench-eval {kind} folder"
    if out.is_symlink() and not out.exists():
        raise FolderRefusedError(f"{out} is a dangling symbolic link; give a real folder for the {kind}")
    if not out.exists():
        return
    if not out.is_dir():
        raise FolderRefusedError(f"{out} exists and is not a folder; refusing to replace it (give a new folder "
                                 f"for the {kind})")
    try:
        empty = not any(out.iterdir())
    except OSError as exc:
        raise FolderRefusedError(f"{out} cannot be read ({exc.strerror or exc}); give another folder") from None
    if empty:
        return
    found = marker_kind(out)
    if found == kind or (found is None and legacy is not None and _safe(legacy, out)):
        return
    why = (f"its marker says it holds a {found}" if found else f"it has no {MARKER} marker, so it is not {what}")
    raise FolderRefusedError(f"{out} is not empty and {why}; refusing to write into it or replace it (give a new "
                             "or empty folder)")


def _safe(test, path) -> bool:
    try:
        return bool(test(path))
    except (OSError, ValueError):
        return False


def claim_dir(out, kind: str, legacy: Callable[[Path], bool] | None = None, what: str | None = None) -> Path:
    """Check ``out`` with :func:`check_target`, then create it (with parents) and mark it as ours. Returns it."""
    out = Path(out)
    check_target(out, kind, legacy, what)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if marker_kind(out) is None:
            write_marker(out, kind)
    except OSError as exc:
        raise FolderRefusedError(f"cannot create or write {out} ({exc.strerror or exc})") from None
    return out


def replace_dir(tmp: Path, out: Path, kind: str, legacy: Callable[[Path], bool] | None = None) -> None:
    """Move a fully written folder ``tmp`` into place at ``out`` (renames only; the old one is removed after).

    ``out`` must pass :func:`check_target` (absent, empty, or our folder of ``kind``); ``tmp`` gets the marker.
    """
    tmp, out = Path(tmp), Path(out)
    check_target(out, kind, legacy)
    write_marker(tmp, kind)
    if out.is_symlink():  # replacing a link would leave its target behind: refuse rather than guess
        raise FolderRefusedError(f"{out} is a symbolic link; give the real folder ({out.resolve()})")
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))  # a fresh, empty name of ours
        os.replace(out, old)
        try:
            os.replace(tmp, out)
        except BaseException:
            os.replace(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


LOCK = ".lock"  # JSON {"pid", "host"}: a process is writing this folder


class FolderLockedError(NasbenchEvalError):
    """Another live process is writing the folder."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except (OSError, OverflowError, ValueError):
        return False
    return True


@contextlib.contextmanager
def folder_lock(folder, what: str = "run"):
    """Hold ``folder/.lock`` for the block: a second writer is refused with one line; a lock left by a process that
    no longer exists on this host (kill -9, power cut) is taken over; the lock is removed on exit."""
    path = Path(folder) / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                held = json.loads(path.read_text(encoding="utf-8"))
                pid, host = int(held["pid"]), str(held["host"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pid, host = None, me["host"]  # unreadable (torn write): treat as stale
            if host != me["host"]:
                raise FolderLockedError(f"{folder} is locked by a nasbench-eval {what} on host {host!r} (pid {pid}); "
                                        f"wait for it, or delete {path} if no such {what} is running") from None
            if pid is not None and pid != me["pid"] and _pid_alive(pid):
                raise FolderLockedError(f"{folder} is being written by another nasbench-eval {what} (pid {pid}); "
                                        f"wait for it to finish or stop it, then rerun") from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump(me, fh)
        break
    else:
        raise FolderLockedError(f"{folder}: could not take {path} (another process keeps creating it)")
    try:
        yield path
    finally:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == me["pid"]:
                path.unlink()
