"""Where the process gets its benchmark store: the one :func:`get_store` (above :mod:`.store`, :mod:`.packaged`,
:mod:`.build` and :mod:`.user_devices`, which it composes; none of them imports this module).

The loaded store is cached per process, keyed by the folder *and* the identity of its ``meta.json`` (inode, size,
modification time): a store replaced by ``data build`` / ``data import`` (an atomic folder swap) is reloaded on the
next call, never served stale.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from . import store as _store
from .store import BenchmarkStore


@lru_cache(maxsize=4)
def _load(path: str, identity: tuple) -> BenchmarkStore:
    return _store.load_store(path)


def _identity(folder: Path) -> tuple:
    try:
        st = (folder / "meta.json").stat()
    except OSError:
        return ()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def clear_store_cache() -> None:
    """Forget the loaded stores (tests; a replaced store is noticed without it)."""
    _load.cache_clear()


def get_store(path: Path | str | None = None, auto_build: bool = True) -> BenchmarkStore:
    """The process-wide store (loaded once). If the *default* store folder does not exist (or holds the packaged
    store of another package version), unpack the store shipped with the package into it (:mod:`.packaged`; hashes
    checked), else build it from the source data when found; a folder named by ``path`` or
    ``$NASBENCH_EVAL_STORE`` is only ever read. The finished user devices (``nasbench-eval hw measure``) are merged
    into the column namespace as an overlay (:mod:`.user_devices`); the store's own files and hash are unchanged."""
    from .user_devices import with_user_devices

    named = path is not None or bool(os.environ.get("NASBENCH_EVAL_STORE"))
    p = Path(path) if path is not None else _store.default_store_dir()
    if auto_build and not named:  # never build or unpack into a folder named for reading
        from .packaged import has_packaged_store, is_stale_packaged_copy, unpack_store

        if has_packaged_store() and (not (p / "meta.json").exists() or is_stale_packaged_copy(p)):
            print(f"nasbench-eval: unpacking the packaged benchmark store into {p} (once)", file=sys.stderr)
            unpack_store(p)
        elif not (p / "meta.json").exists():
            from .build import build_store, find_source

            src = find_source(required=False)
            if src is not None:
                print(f"nasbench-eval: building the benchmark store from {src} into {p} (once)", file=sys.stderr)
                build_store(src, p)
    p = p.resolve()
    return with_user_devices(_load(str(p), _identity(p)))


__all__ = ["clear_store_cache", "get_store"]
