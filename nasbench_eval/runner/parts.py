"""Part folders of the result store: finished cells streamed into chunk folders (:class:`ChunkWriter`), a chunk's
index read and verified (:class:`Part`), and the parts merged into the Parquet tables. :mod:`.store` (the result
folder, its manifest and resume) uses these; nothing here knows about specs or manifests. The columns themselves
(kinds, conforming, the ``.npz`` codec) are :mod:`.columns`.

The merged tables are written and read by fastparquet; their column types come from the kinds unified over the
merged cells (:func:`.columns.unified`), so they depend on the cells only, never on how they were chunked.
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
from .columns import (
    CHUNK_FORMATS,
    KINDS,
    ResultStoreError,
    as_columns,
    concat_columns,
    concat_conformed,
    conform_columns,
    load_columns,
    table_rows,
    take_rows,
    unified,
)

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
                cols = take_rows(cols, cols["cell"] < n_cells)
            if table_rows(cols) > 1:
                order = np.lexsort([cols[k] for k in reversed(keys)])  # stable
                if (order != np.arange(len(order))).any():
                    cols = take_rows(cols, order)
            pending.append(cols)
            rows += table_rows(cols)
            while rows >= ROW_GROUP:  # fixed-size row groups, whatever the groups' sizes
                buf = concat_columns(pending)
                yield _frame_of(take_rows(buf, slice(0, ROW_GROUP)), ROW_GROUP)
                pending, rows = [take_rows(buf, slice(ROW_GROUP, None))], rows - ROW_GROUP
        if rows:
            yield _frame_of(concat_columns(pending), rows)

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
