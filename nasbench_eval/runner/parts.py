"""Part files of the result store: how finished cells are written (chunks of typed numpy ``.npz`` files with
checksums) and how the parts are read back, verified and merged into the Parquet tables. :mod:`.store` (the result
folder, its manifest and resume) uses these; nothing here knows about specs or manifests.

The merged tables are written and read by fastparquet. A column's type is recorded per cell as a *kind*
(:data:`KINDS`) in the chunk's ``checksums.json``; the merge unifies the kinds of every merged cell
(:func:`unify_kinds`), so the merged files' types depend on the cells only, never on how they were chunked.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._io import PARQUET_COMPRESSION, _umask_mode, atomic_write_parquet, fastparquet
from ..errors import StoreError

if TYPE_CHECKING:  # pandas is imported where a DataFrame or an object column is met: a worker running
    import pandas as pd  # numeric cells never imports it

TABLES = ("evaluations", "runs", "chosen")
SORT = {"evaluations": ["cell", "eval", "batch"], "runs": ["cell"], "chosen": ["cell", "rank"]}
PART_SUMS = "checksums.json"
CHUNK_CELLS = 256  # a worker writes a chunk every this many finished cells ...
CHUNK_SECONDS = 10.0  # ... or this many seconds after the first unsaved one (what an interrupt can lose at most)
ROW_GROUP = 1 << 17  # rows per Parquet row group of the merged tables (fixed, so the bytes do not depend on chunks)
CHUNK_RE = re.compile(r"chunk-(\d{6})-(\d{6})")
CELL_RE = re.compile(r"cell-(\d{6})")
CHUNK_FORMAT = "npz-by-kind"  # checksums.json "format" of the chunks this version writes
CHUNK_FORMATS = (CHUNK_FORMAT, "npz")  # readable: "npz" (one array per column) from the previous version; older
# versions wrote Arrow IPC files (refused with one line)
# column kinds: int64 / float64 / bool (no missing values) / bool? (True, False, None) / str (text, None) / null
# (only missing values, e.g. an empty column); int64 or bool missing from some cells become float64 / bool?
KINDS = ("int64", "float64", "bool", "bool?", "str", "null")


class ResultStoreError(StoreError):
    """A result folder is foreign, truncated, corrupted or belongs to another spec."""


class ChunkWriter:
    """Streams finished cells into chunk folders of ``store``: a chunk every ``max_cells`` cells or ``max_seconds``
    after the first unsaved cell, and on :meth:`flush` (end of a task, an interrupt). ``add`` returns the cells saved
    by that call (usually none)."""

    def __init__(self, store, max_cells: int = CHUNK_CELLS, max_seconds: float = CHUNK_SECONDS):
        self.store, self.max_cells, self.max_seconds = store, int(max_cells), float(max_seconds)
        self._buf: list[tuple[int, dict]] = []
        self._t0 = 0.0

    def add(self, cell: int, tables: dict) -> list[int]:
        if not self._buf:
            self._t0 = time.monotonic()
        self._buf.append((int(cell), {k: as_columns(v, f" {k} of cell {cell}") for k, v in tables.items()}))
        if len(self._buf) >= self.max_cells or time.monotonic() - self._t0 >= self.max_seconds:
            return self.flush()
        return []

    def flush(self) -> list[int]:
        buf, self._buf = self._buf, []
        return self.store.write_chunk(buf)


def as_columns(t, where: str = "") -> dict[str, np.ndarray]:
    """A cell's table as numpy columns (the index of a DataFrame is never saved). ``t``: a mapping of column name to
    a 1-D array of one length (what :func:`~nasbench_eval.runner.cell.cell_tables` returns; cheap), or a pandas
    DataFrame (extension dtypes such as pandas' text and nullable booleans become object arrays)."""
    if not isinstance(t, dict):
        import pandas as pd

        if not isinstance(t, pd.DataFrame):
            raise TypeError(f"a cell's table must be a dict of 1-D arrays or a pandas DataFrame, got "
                            f"{type(t).__name__}")
        return {str(c): s.to_numpy() if isinstance(s.dtype, np.dtype) and s.dtype != object
                else s.to_numpy(dtype=object) for c, s in t.items()}
    out = {str(c): np.asarray(v) for c, v in t.items()}
    if any(v.ndim != 1 for v in out.values()) or len({len(v) for v in out.values()}) > 1:
        shapes = {c: v.shape for c, v in out.items()}
        raise ResultStoreError(f"the columns of a cell's table{where} must be 1-D arrays of one length; got {shapes}")
    return out


def table_rows(cols: dict[str, np.ndarray]) -> int:
    return len(next(iter(cols.values()))) if cols else 0


# ------------------------------------------------------------------------------------------------ column kinds
def _all_text(col: np.ndarray) -> bool:
    """Whether an object column holds Python ``str`` values only (and at least one): the text columns of a cell,
    which are kinded, conformed and coded without pandas (a worker running numeric cells never imports it)."""
    return set(map(type, col)) == {str}


def column_kind(col: np.ndarray, name: str = "", where: str = "") -> str:
    """The kind (:data:`KINDS`) of one cell's column (a numpy array)."""
    dt = col.dtype
    if dt.kind in "iu":
        return "int64"
    if dt.kind == "f":
        return "float64"
    if dt.kind == "b":
        return "bool"
    if dt.kind == "U":
        return "str"
    if dt == object and _all_text(col):
        return "str"
    import pandas as pd

    if dt == object:
        inferred = pd.api.types.infer_dtype(col, skipna=True)
        if inferred == "empty":
            return "null"
        if inferred == "string":
            return "str"
        if inferred == "boolean":
            return "bool?" if pd.isna(col).any() else "bool"
        if inferred == "integer":
            return "float64" if pd.isna(col).any() else "int64"
        if inferred in ("floating", "mixed-integer-float", "integer-na"):
            return "float64"
    raise ResultStoreError(f"column {name!r}{where} holds values the result store cannot save ({dt}, "
                           f"{pd.api.types.infer_dtype(col, skipna=True)}); give it numbers, booleans or text")


def unify_kinds(kinds, missing: bool = False, where: str = "") -> str:
    """The kind of a column over cells of ``kinds`` (``missing``: some cell lacks the column): int64 and float64
    give float64; null gives way to any other kind; int64 / bool with a missing value become float64 / bool?."""
    real = set(kinds) - {"null"}
    nullable = missing or "null" in kinds
    if not real:
        return "null"
    if real == {"int64"}:
        return "float64" if nullable else "int64"
    if real <= {"int64", "float64"}:
        return "float64"
    if real <= {"bool", "bool?"}:
        return "bool?" if nullable or "bool?" in real else "bool"
    if real == {"str"}:
        return "str"
    raise ResultStoreError(f"column{where} holds {' and '.join(sorted(real))} values in different cells; the "
                           "result store keeps one type per column")


def table_kinds(cols: dict[str, np.ndarray], where: str = "") -> list[list[str]]:
    """``[[column, kind], ...]`` of one cell's table (numpy columns, :func:`as_columns`), in column order."""
    w = f" of {where}" if where else ""
    return [[c, column_kind(v, c, w)] for c, v in cols.items()]


def unified(per_cell: list[list[list[str]]], where: str = "") -> dict[str, str]:
    """Column -> kind over cells given as :func:`table_kinds` lists; column order = first appearance."""
    seen: dict[str, list[str]] = {}
    for cols in per_cell:
        for c, k in cols:
            seen.setdefault(c, []).append(k)
    return {c: unify_kinds(ks, missing=len(ks) < len(per_cell), where=f" {c!r}{where}") for c, ks in seen.items()}


def concat_conformed(tables: list[dict[str, np.ndarray]], kinds: dict[str, str]) -> dict[str, np.ndarray]:
    """The rows of ``tables`` (numpy columns) one after the other, each conformed to ``kinds``
    (:func:`conform_columns`) and the columns concatenated."""
    return _concat([conform_columns(t, kinds) for t in tables])


def _concat(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Tables of the same columns and dtypes, one after the other."""
    return {c: np.concatenate([t[c] for t in tables]) if len(tables) > 1 else v for c, v in tables[0].items()}


def conform_columns(cols: dict[str, np.ndarray], kinds: dict[str, str]) -> dict[str, np.ndarray]:
    """``cols`` with exactly the columns of ``kinds`` (missing ones all missing), in that order, each in the dtype
    of its kind: int64, float64 (NaN), bool, or object (text / True / False and None for a missing value)."""
    n = table_rows(cols)
    out = {}
    for c, kind in kinds.items():
        v = cols.get(c)
        if v is None and kind in ("int64", "bool"):  # only for an empty table: these kinds are never missing
            if n:
                raise ValueError(f"column {c!r} ({kind}) is missing")
            v = np.zeros(0, dtype=kind)
        if kind in ("int64", "bool"):
            out[c] = v.astype(kind, copy=False)
        elif kind == "float64":
            if v is None:
                out[c] = np.full(n, np.nan)
            elif v.dtype != object:
                out[c] = v.astype(np.float64, copy=False)
            else:
                import pandas as pd

                missing = pd.isna(v)
                out[c] = np.where(missing, np.nan, v).astype(np.float64) if missing.any() else v.astype(np.float64)
        else:  # bool? / str / null: Python objects, None where missing
            if v is None:
                col = np.full(n, None, dtype=object)
            else:
                col = v.astype(object)
                if not _all_text(col):
                    import pandas as pd

                    missing = pd.isna(col)
                    if missing.any():
                        col[missing] = None
            out[c] = col
    return out


def save_columns(target, table: dict[str, np.ndarray], kinds: dict[str, str]) -> None:
    """A chunk's table (numpy columns conformed to ``kinds``, :func:`concat_conformed`) as one uncompressed ``.npz``
    of typed numpy arrays, readable without pickle, one 2-D array (columns x rows) per kind, columns in ``kinds``
    order: ``int64`` / ``float64`` / ``bool`` as they are, ``bool?`` as int8 (1, 0, -1 = missing), ``str`` as int32
    codes (-1 = missing) into each column's distinct texts (``str.texts``, all columns' one after the other;
    ``str.counts``: how many each), ``null`` as nothing. A chunk is small and short-lived (the merge reads it once),
    so it is written for speed: a handful of arrays (an ``.npz`` member costs ~50 us to write and to read), no
    per-column Parquet machinery (~1.5 ms per column)."""
    groups: dict[str, list] = {k: [] for k in KINDS}
    texts, counts = [], []
    for c, kind in kinds.items():
        if kind in ("int64", "float64", "bool"):
            groups[kind].append(np.asarray(table[c], dtype=kind))
        elif kind == "bool?":
            groups[kind].append(np.array([-1 if v is None else int(bool(v)) for v in table[c]], dtype=np.int8))
        elif kind == "str":
            codes, distinct = _factorize(np.asarray(table[c], dtype=object))
            groups[kind].append(codes.astype(np.int32))
            texts.extend(distinct)
            counts.append(len(distinct))
    arrays = {"rows": np.array([table_rows(table)], dtype=np.int64)}
    arrays.update({("str.codes" if k == "str" else k): np.stack(v) for k, v in groups.items() if v})
    if counts:
        arrays["str.texts"] = np.asarray(texts, dtype=str) if texts else np.zeros(0, dtype="<U1")
        arrays["str.counts"] = np.array(counts, dtype=np.int64)
    np.savez(target, **arrays)


def _factorize(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values in order of first appearance) of an object column, missing values coded -1
    (``pandas.factorize``; done with numpy for a column of text only)."""
    if not _all_text(col):
        import pandas as pd

        return pd.factorize(col, use_na_sentinel=True)
    distinct, first, inverse = np.unique(col, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], distinct[order]


def load_columns(data: bytes, kinds: list[list[str]], fmt: str = CHUNK_FORMAT) -> dict[str, np.ndarray]:
    """The table :func:`save_columns` wrote (from the file's bytes; ``fmt``: the chunk's format, ``"npz"`` for one
    array per column) as numpy columns, in the dtypes :func:`conform_columns` gives."""
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        n = int(z["rows"][0])
        column = _per_column(z) if fmt == "npz" else _by_kind(z, [k for _, k in kinds])
        out = {}
        for i, (c, kind) in enumerate(kinds):
            if kind == "null":
                out[c] = np.full(n, None, dtype=object)
                continue
            values, texts = column(i, kind)
            if values.shape != (n,):
                raise ValueError(f"column {c!r}: shape {values.shape}, expected ({n},)")
            if kind in ("int64", "float64", "bool"):
                if values.dtype != np.dtype(kind):
                    raise ValueError(f"column {c!r}: {values.dtype}, expected {kind}")
                col = values
            else:
                col = np.full(n, None, dtype=object)
                if kind == "bool?":
                    col[values == 1], col[values == 0] = True, False
                else:
                    ok = values >= 0
                    col[ok] = texts.astype(object)[values[ok]]
            out[c] = col
    return out


def _per_column(z):
    """Column ``i``'s (values or codes, texts) in a chunk of the previous version (``"npz"``: arrays ``i``, or
    ``i.codes`` and ``i.texts`` for text)."""
    def column(i: int, kind: str):
        return (z[f"{i}.codes"], z[f"{i}.texts"]) if kind == "str" else (z[str(i)], None)
    return column


def _by_kind(z, kinds: list[str]):
    """Column ``i``'s (values or codes, texts) in an ``"npz-by-kind"`` chunk: row j of its kind's block, where j
    counts the earlier columns of that kind."""
    blocks = {k: z["str.codes" if k == "str" else k] for k in set(kinds) - {"null"}}
    seen, row = dict.fromkeys(KINDS, 0), []
    for k in kinds:
        row.append(seen[k])
        seen[k] += 1
    if "str" in blocks:
        counts = z["str.counts"]
        ends = np.cumsum(counts)
        texts = z["str.texts"]
        if len(counts) != len(blocks["str"]) or (len(ends) and ends[-1] != len(texts)):
            raise ValueError("text codes and texts do not match")
    for k, b in blocks.items():
        if b.ndim != 2 or len(b) != kinds.count(k):
            raise ValueError(f"block {k!r}: shape {b.shape}, expected {kinds.count(k)} columns")

    def column(i: int, kind: str):
        j = row[i]
        if kind == "str":
            return blocks[kind][j], texts[ends[j] - counts[j]:ends[j]]
        return blocks[kind][j], None
    return column


def _take(cols: dict[str, np.ndarray], rows) -> dict[str, np.ndarray]:
    """The rows ``rows`` (a mask, an index array or a slice) of every column."""
    return {c: v[rows] for c, v in cols.items()}


def _frame_of(columns: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    """A DataFrame of numpy columns as they are: object columns stay object (pandas 3 would otherwise infer its
    string dtype for text, converting every value, through pyarrow when it is installed)."""
    import pandas as pd

    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame({c: pd.Series(v, dtype=object, copy=False) if v.dtype == object else v
                         for c, v in columns.items()}, copy=False)


def write_parquet(target, kinds: dict[str, str], row_groups) -> None:
    """Write DataFrames already conformed to ``kinds`` (:func:`conform_columns`) as the row groups of one Parquet
    file (``target``: a path or an open binary file). The schema comes from the kinds, never from the data, so two files
    of the same rows in the same row groups are the same bytes. Row-group min / max statistics are written for the
    numeric columns only (fastparquet's "auto"): for text they cost a third of the merge and no reader of ours uses
    them."""
    writer = fastparquet().writer
    empty = _frame_of(conform_columns({}, kinds), 0)
    obj = {c: ("bool" if k == "bool?" else "utf8") for c, k in kinds.items() if k in ("bool?", "str", "null")}
    fmd = writer.make_metadata(empty, has_nulls=list(obj), object_encoding=obj)
    writer.write_simple(target, row_groups, fmd, compression=PARQUET_COMPRESSION, stats="auto")


# ------------------------------------------------------------------------------------------------ part folders
@dataclass
class Part:
    """One chunk folder: the cells it holds (sorted) and its index (``checksums.json``). ``legacy``: written by an
    older version in Arrow files (a ``chunk-*`` or one-cell ``cell-*`` folder); only its cell ids are known."""

    path: Path
    cells: list[int]
    index: dict | None
    legacy: bool = False

    def redo(self) -> str:
        return f"delete {self.path} and rerun to recompute its cells"

    def file(self, name: str) -> Path:
        return self.path / f"{name}.npz"

    def columns(self, name: str) -> list[list[list[str]]]:
        """Each cell's ``[[column, kind], ...]`` of table ``name``, aligned with ``cells``."""
        cols = self.index["columns"][name]
        return [cols["sets"][i] for i in cols["of_cell"]]

    def read(self, name: str) -> dict[str, np.ndarray]:
        """The table as numpy columns, after checking the file against its recorded sha256 (read once, from
        memory)."""
        path = self.file(name)
        want = self.index.get(path.name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ResultStoreError(f"part file {path} cannot be read ({exc.strerror or type(exc).__name__}); "
                                   f"{self.redo()}") from None
        if hashlib.sha256(data).hexdigest() != want:
            raise ResultStoreError(f"part file {path} does not match its checksum (edited or damaged); "
                                   f"{self.redo()}")
        try:
            table = load_columns(data, self.index["kinds"][name], self.index["format"])
        except Exception as exc:  # noqa: BLE001 - any reader failure of a checksummed file means a corrupt file
            raise ResultStoreError(f"part file {path} is truncated or corrupt ({type(exc).__name__}); "
                                   f"{self.redo()}") from None
        if name == "runs":  # one row per cell: the rows must be the cells the index names
            got = sorted(int(c) for c in table["cell"]) if "cell" in table else None
            if got != self.cells:
                raise ResultStoreError(f"part {self.path} holds other cells than its {PART_SUMS} lists; "
                                       f"{self.redo()}")
        return table


def read_chunk_index(path: Path) -> Part:
    try:
        index = json.loads((path / PART_SUMS).read_text(encoding="utf-8"))
        cells = [int(c) for c in index["cells"]]
        ok = cells == sorted(set(cells)) and bool(cells)
        legacy = ok and index.get("format") not in CHUNK_FORMATS and any(str(k).endswith(".arrow") for k in index)
        if ok and not legacy:
            ok = (index.get("format") in CHUNK_FORMATS and all(
                isinstance(index.get(f"{t}.npz"), str) and len(index["columns"][t]["of_cell"]) == len(cells)
                and all(k in KINDS for s in index["columns"][t]["sets"] for _, k in s)
                and all(k in KINDS for _, k in index["kinds"][t]) for t in TABLES))
    except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
        ok = legacy = False
    if not ok:
        raise ResultStoreError(f"part {path} has no readable {PART_SUMS} (interrupted copy, or edited); delete "
                               f"{path} and rerun to recompute its cells")
    return Part(path, cells, None if legacy else index, legacy)


def overlap_groups(parts: list[Part]) -> list[list[Part]]:
    """Parts (sorted by first cell) grouped so that groups hold disjoint, increasing cell ranges."""
    groups: list[list[Part]] = []
    hi = -1
    for p in parts:
        if groups and p.cells[0] <= hi:
            groups[-1].append(p)
        else:
            groups.append([p])
        hi = max(hi, p.cells[-1])
    return groups


def merge_table(parts: list[Part], name: str, n_cells: int, path: Path) -> None:
    """Write table ``name`` of all ``parts`` (rows of cells < ``n_cells``) to ``path``, sorted by ``SORT[name]``.

    Column order: first appearance over the cells in canonical order; kinds: unified over the merged cells (e.g. an
    integer column missing from some cells becomes float64 with NaN). Neither depends on how cells were chunked; the
    rows go out in row groups of exactly ``ROW_GROUP`` rows (the last one shorter), one group of parts in memory at
    a time."""
    import pandas as pd

    if not parts:
        atomic_write_parquet(path, pd.DataFrame())
        return
    per_cell = sorted((c, cols) for p in parts for c, cols in zip(p.cells, p.columns(name)) if c < n_cells)
    kinds = unified([cols for _, cols in per_cell], f" of table {name}")
    keys = SORT[name]

    def row_groups():  # numpy columns until a row group is full: one DataFrame per row group
        pending, rows = [], 0
        for group in overlap_groups(parts):
            cols = concat_conformed([p.read(name) for p in group], kinds)
            if any(c >= n_cells for p in group for c in p.cells):
                cols = _take(cols, cols["cell"] < n_cells)
            if table_rows(cols) > 1:
                order = np.lexsort([cols[k] for k in reversed(keys)])  # stable
                if (order != np.arange(len(order))).any():
                    cols = _take(cols, order)
            pending.append(cols)
            rows += table_rows(cols)
            while rows >= ROW_GROUP:  # fixed-size row groups, whatever the groups' sizes
                buf = _concat(pending)
                yield _frame_of(_take(buf, slice(0, ROW_GROUP)), ROW_GROUP)
                pending, rows = [_take(buf, slice(ROW_GROUP, None))], rows - ROW_GROUP
        if rows:
            yield _frame_of(_concat(pending), rows)

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_parquet(fh, kinds, row_groups())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parquet_rows(path: Path) -> int:
    return int(fastparquet().ParquetFile(str(path)).count())
