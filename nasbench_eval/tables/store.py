"""The built benchmark store: dense float64 arrays indexed by NB201 index, plus JSON metadata. No pickle.

Layout of a store folder::

    values.npy      float64 (n_columns, 15625), NaN where not available (read and hash-checked on load)
    meta.json       format version, column names, per-column metadata (source repo/commit/file/sha256, unit,
                    description, derived-row count), NB201 arch strings' sha256, build time, values.npy sha256 and
                    the content hash over values.npy + meta.json (:func:`content_sha256`)
    .nasbench-eval  ownership marker: only a folder carrying it is ever replaced by a rebuild or an import

The store is loaded lazily, once per process (:func:`get_store`).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
from pathlib import Path

import numpy as np

from .._io import sha256_file
from ..errors import StoreError, unknown
from ..spaces import nb201
from .columns import is_test_column

FORMAT_VERSION = 1

_GUARD = threading.local()  # .depth > 0 while this thread runs a search (see leakage_guard)


@contextlib.contextmanager
def leakage_guard():
    """Within the block, this thread may read no test column from any store, and nothing else that holds test
    metrics (the exhaustive ground truth checks :func:`leakage_guard_active`). The run loop holds it for the whole
    search, ``result()`` included. Re-entrant."""
    _GUARD.depth = getattr(_GUARD, "depth", 0) + 1
    try:
        yield
    finally:
        _GUARD.depth -= 1


def leakage_guard_active() -> bool:
    """True while this thread is inside :func:`leakage_guard` (a search is running)."""
    return getattr(_GUARD, "depth", 0) > 0


def _leak(what: str) -> RuntimeError:
    return RuntimeError(f"{what} was read while a search is running (test-metric leakage): test metrics are read "
                        "only after the search, through Problem.report")


def default_store_dir() -> Path:
    """``$NASBENCH_EVAL_STORE``, else ``data/store`` in a source checkout, else ``nasbench-eval/store`` in the user's
    cache folder (``$XDG_CACHE_HOME``, default ``~/.cache``)."""
    env = os.environ.get("NASBENCH_EVAL_STORE")
    if env:
        return Path(env)
    repo_data = Path(__file__).resolve().parents[2] / "data"
    if (repo_data / "SOURCES.md").exists():
        return repo_data / "store"
    cache = os.environ.get("XDG_CACHE_HOME")
    return (Path(cache) if cache else Path.home() / ".cache") / "nasbench-eval" / "store"


class BenchmarkStore:
    """Columns of per-architecture numbers for the 15,625 NB201 archs, with coverage and provenance."""

    content_sha256: str | None = None  # set by load_store to the hash it computed and checked

    def __init__(self, values: np.ndarray, meta: dict, path: Path | None = None):
        # private: read through column / lookup / gather / all_values, which the leakage guard checks; float64
        # always (exact for any float input), so what gather returns needs no conversion downstream
        self._values = values if values.dtype == np.float64 else values.astype(np.float64)
        self.meta = meta
        self.path = path
        self.columns: tuple[str, ...] = tuple(meta["columns"])
        self._col_id = {c: i for i, c in enumerate(self.columns)}
        # columns the leakage guard never concerns (not test columns): their id is all column_id() checks while
        # no forbid() predicate is active, so the per-evaluation look-ups skip the guard test
        self._plain_id = {c: i for c, i in self._col_id.items() if not is_test_column(c)}
        self._forbidden: list[str] = []

    # ------------------------------------------------------------------ access
    def column_id(self, name: str) -> int:
        try:
            i = self._col_id[name]
        except KeyError:
            raise unknown("column", name, self.columns) from None
        for forbidden in self._forbidden:
            if forbidden(name):
                raise _leak(f"column {name!r}")
        if leakage_guard_active() and is_test_column(name):
            raise _leak(f"column {name!r}")
        return i

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_columns, n_archs)``."""
        return self._values.shape

    @property
    def n_archs(self) -> int:
        return int(self._values.shape[1])

    def column(self, name: str) -> np.ndarray:
        """The full column (read-only view, length 15,625)."""
        return self._values[self.column_id(name)]

    def all_values(self) -> np.ndarray:
        """The whole ``(n_columns, n_archs)`` array, test columns included, for store maintenance (merging,
        re-building). Refused while a search runs or any column is forbidden."""
        if self._forbidden or leakage_guard_active():
            raise _leak("the whole store array")
        view = self._values.view()
        view.flags.writeable = False
        return view

    def _checked(self, names, indices) -> tuple[list[int], np.ndarray]:
        plain = self._plain_id
        ids = ([plain[n] if n in plain else self.column_id(n) for n in names] if not self._forbidden
               else [self.column_id(n) for n in names])
        idx = np.asarray(indices, dtype=np.int64)
        if not nb201.all_in_range(idx, nb201.N_ARCHS):
            raise StoreError(f"NB201 index out of range 0..{nb201.N_ARCHS - 1}")
        return ids, idx

    def lookup(self, names, indices) -> np.ndarray:
        """Values of ``names`` at NB201 ``indices``: shape ``(len(indices), len(names))`` (vectorised)."""
        ids, idx = self._checked(names, indices)
        return self._values[np.asarray(ids)[:, None], idx].T  # gathers only the requested cells

    def gather(self, names, indices) -> list[np.ndarray]:
        """Values of ``names`` at the NB201 ``indices`` (1-D) as one new array per name (an evaluator's metrics;
        for one or two columns, 1-D gathers cost a quarter of :meth:`lookup`'s 2-D one)."""
        ids, idx = self._checked(names, indices)
        values = self._values
        return [values[i][idx] for i in ids]  # row, then gather: 5x cheaper than values[i, idx] for a few indices

    def coverage(self, name: str) -> np.ndarray:
        """Boolean mask: True where the column has a value."""
        return ~np.isnan(self.column(name))

    def column_meta(self, name: str) -> dict:
        self.column_id(name)
        return self.meta["column_meta"][name]

    @contextlib.contextmanager
    def forbid(self, predicate=is_test_column):
        """Within the block, reading a column for which ``predicate(name)`` is true raises (leakage guard)."""
        self._forbidden.append(predicate)
        try:
            yield self
        finally:
            self._forbidden.remove(predicate)

    def __repr__(self) -> str:
        return f"BenchmarkStore({len(self.columns)} columns x {self.n_archs} archs, path={self.path})"


STORE_KIND = "benchmark store"
STORE_FILES = frozenset({"values.npy", "meta.json", "pareto_fronts_lomonas.json"})


def is_legacy_store(path: Path) -> bool:
    """A store written before the ownership marker: nothing in it but the files a build writes."""
    names = {p.name for p in Path(path).iterdir()}
    return "meta.json" in names and names <= STORE_FILES


def content_sha256(values_sha256: str, meta: dict) -> str:
    """The store's content hash: sha256 over the hash of ``values.npy``'s bytes (header included, so dtype, shape
    and ``fortran_order`` count) and the canonical JSON of the whole metadata (column names, units, sources)."""
    body = {k: v for k, v in meta.items() if k != "content_sha256"}
    text = values_sha256 + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def seal_meta(meta: dict, values_path: Path) -> dict:
    """Record ``values_sha256`` and :func:`content_sha256` in ``meta`` (call last, after every other key)."""
    meta["values_sha256"] = sha256_file(values_path)
    meta["content_sha256"] = content_sha256(meta["values_sha256"], meta)
    return meta


def _corrupt(path, what: str) -> StoreError:
    return StoreError(f"benchmark store at {path} is corrupted ({what}); rebuild with `nasbench-eval data build`")


def _check_meta(meta, path) -> None:
    if not isinstance(meta, dict):
        raise _corrupt(path, "meta.json is not a JSON object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise StoreError(f"benchmark store at {path} has format {meta.get('format_version')!r}, this version "
                         f"reads {FORMAT_VERSION}; rebuild with `nasbench-eval data build`")
    cols, cmeta = meta.get("columns"), meta.get("column_meta")
    if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise _corrupt(path, "meta.json 'columns' is not a list of distinct names")
    if not isinstance(cmeta, dict) or any(not isinstance(cmeta.get(c), dict) for c in cols):
        raise _corrupt(path, "meta.json 'column_meta' does not describe every column")
    if not isinstance(meta.get("content_sha256"), str):
        raise StoreError(f"benchmark store at {path} has no content hash (built by an older version); rebuild "
                         "with `nasbench-eval data build`")


def load_store(path: Path | str | None = None, verify: bool = True) -> BenchmarkStore:
    """Open a built store, always checking its content hash (``values.npy`` bytes + ``meta.json``).

    The bytes that are hashed are the bytes served (read once into memory, ~6.5 MB, no memory map), so an edited,
    rolled, re-ordered or re-labelled store is refused. ``verify`` is kept for callers of the old signature.
    """
    path = Path(path) if path is not None else default_store_dir()
    meta_path, values_path = path / "meta.json", path / "values.npy"
    if not meta_path.is_file() or not values_path.is_file():
        raise StoreError(f"no benchmark store at {path}; build it with `nasbench-eval data build` "
                         f"(set NASBENCH_EVAL_STORE to use another folder)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        raw = values_path.read_bytes()
    except (ValueError, OSError, RecursionError) as exc:
        raise _corrupt(path, f"{type(exc).__name__}: {exc}") from None
    _check_meta(meta, path)
    try:
        values = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _corrupt(path, f"values.npy: {exc}") from None
    expected = (len(meta["columns"]), nb201.N_ARCHS)
    if values.shape != expected or values.dtype != np.float64:
        raise StoreError(f"benchmark store at {path} is truncated or corrupted (values {values.dtype} {values.shape},"
                         f" expected float64 {expected}); rebuild with `nasbench-eval data build`")
    values_sha = hashlib.sha256(raw).hexdigest()
    if values_sha != meta.get("values_sha256") or content_sha256(values_sha, meta) != meta["content_sha256"]:
        raise StoreError(f"benchmark store at {path} fails its checksum (values.npy or meta.json was modified); "
                         "rebuild with `nasbench-eval data build`")
    values = np.ascontiguousarray(values)
    values.flags.writeable = False
    store = BenchmarkStore(values, meta, path)
    store.content_sha256 = meta["content_sha256"]  # computed and checked just above
    return store
