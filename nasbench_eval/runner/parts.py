"""Part files of the result store: how finished cells are written (chunks of Arrow files with checksums) and how the
parts are read back, verified and merged into the Parquet tables. :mod:`.store` (the result folder, its manifest and
resume) uses these; nothing here knows about specs or manifests.
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

import pandas as pd

from .._io import atomic_write_parquet, sha256_file
from ..errors import StoreError

TABLES = ("evaluations", "runs", "chosen")
SORT = {"evaluations": ["cell", "eval", "batch"], "runs": ["cell"], "chosen": ["cell", "rank"]}
PART_SUMS = "checksums.json"
CHUNK_CELLS = 256  # a worker writes a chunk every this many finished cells ...
CHUNK_SECONDS = 10.0  # ... or this many seconds after the first unsaved one (what an interrupt can lose at most)
ROW_GROUP = 1 << 17  # rows per Parquet row group of the merged tables (fixed, so the bytes do not depend on chunks)
CHUNK_RE = re.compile(r"chunk-(\d{6})-(\d{6})")
CELL_RE = re.compile(r"cell-(\d{6})")


class ResultStoreError(StoreError):
    """A result folder is foreign, truncated, corrupted or belongs to another spec."""


class ChunkWriter:
    """Streams finished cells into chunk folders of ``store``: a chunk every ``max_cells`` cells or ``max_seconds``
    after the first unsaved cell, and on :meth:`flush` (end of a task, an interrupt). ``add`` returns the cells saved
    by that call (usually none)."""

    def __init__(self, store,  max_cells: int = CHUNK_CELLS, max_seconds: float = CHUNK_SECONDS):
        self.store, self.max_cells, self.max_seconds = store, int(max_cells), float(max_seconds)
        self._buf: list[tuple[int, dict]] = []
        self._t0 = 0.0

    def add(self, cell: int, tables: dict) -> list[int]:
        if not self._buf:
            self._t0 = time.monotonic()
        self._buf.append((int(cell), {k: as_arrow(v) for k, v in tables.items()}))
        if len(self._buf) >= self.max_cells or time.monotonic() - self._t0 >= self.max_seconds:
            return self.flush()
        return []

    def flush(self) -> list[int]:
        buf, self._buf = self._buf, []
        return self.store.write_chunk(buf)


def as_arrow(t):
    """An Arrow table (a DataFrame is converted without its index)."""
    import pyarrow as pa

    if isinstance(t, pa.Table):
        return t
    return pa.Table.from_pandas(t, preserve_index=False).replace_schema_metadata(None)


@dataclass
class Part:
    """One part folder: the cells it holds (sorted) and its index (``None`` for an older one-cell folder)."""

    path: Path
    cells: list[int]
    index: dict | None

    def redo(self) -> str:
        return f"delete {self.path} and rerun to recompute its cells"

    def checksum(self, name: str):
        sums = self.index
        if sums is None:  # older one-cell folder: checksums.json holds only the sums
            try:
                sums = json.loads((self.path / PART_SUMS).read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                sums = None
        want = sums.get(f"{name}.arrow") if isinstance(sums, dict) else None
        if not isinstance(want, str):
            raise ResultStoreError(f"part {self.path} has no readable {PART_SUMS} (written by an older version, or "
                                   f"edited); {self.redo()}")
        return want

    def columns(self, name: str, schema) -> list[list[str]]:
        """Each cell's columns of table ``name``, aligned with ``cells``."""
        if self.index is None:
            return [list(schema.names)]
        cols = self.index["columns"][name]
        return [cols["sets"][i] for i in cols["of_cell"]]

    def schema(self, name: str):
        import pyarrow as pa

        path = self.path / f"{name}.arrow"
        try:
            with pa.memory_map(str(path)) as src:
                return pa.ipc.open_file(src).schema.remove_metadata()
        except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
            if path.is_file() and sha256_file(path) != self.checksum(name):
                raise ResultStoreError(f"part file {path} does not match its checksum (edited or damaged); "
                                       f"{self.redo()}") from None
            raise ResultStoreError(f"part file {path} is truncated or corrupt ({type(exc).__name__}); "
                                   f"{self.redo()}") from None

    def read(self, name: str):
        """The table, after checking the file against its recorded sha256 (read once, from memory)."""
        import pyarrow as pa

        path = self.path / f"{name}.arrow"
        want = self.checksum(name)
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != want:
                raise ResultStoreError(f"part file {path} does not match its checksum (edited or damaged); "
                                       f"{self.redo()}")
            table = pa.ipc.open_file(pa.py_buffer(data)).read_all().replace_schema_metadata(None)
        except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
            raise ResultStoreError(f"part file {path} is truncated or corrupt ({type(exc).__name__}); "
                                   f"{self.redo()}") from None
        if name == "runs":  # one row per cell: the rows must be the cells the index names
            got = sorted(table.column("cell").to_pylist()) if "cell" in table.column_names else None
            if got != self.cells:
                raise ResultStoreError(f"part {self.path} holds other cells than its {PART_SUMS} lists; "
                                       f"{self.redo()}")
        return table


def read_chunk_index(path: Path) -> Part:
    try:
        index = json.loads((path / PART_SUMS).read_text(encoding="utf-8"))
        cells = [int(c) for c in index["cells"]]
        ok = (cells == sorted(set(cells)) and bool(cells) and all(
            len(index["columns"][t]["of_cell"]) == len(cells) for t in TABLES))
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        ok = False
    if not ok:
        raise ResultStoreError(f"part {path} has no readable {PART_SUMS} (interrupted copy, or edited); delete "
                               f"{path} and rerun to recompute its cells")
    return Part(path, cells, index)


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

    Column order: first appearance over the cells in canonical order; types: the permissive union over the parts
    (e.g. a column missing from some cells becomes nullable). Neither depends on how cells were chunked."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not parts:
        atomic_write_parquet(path, pd.DataFrame())
        return
    schemas = [p.schema(name) for p in parts]
    per_cell = sorted((c, cols) for p, s in zip(parts, schemas) for c, cols in zip(p.cells, p.columns(name, s))
                      if c < n_cells)
    order = list(dict.fromkeys(col for _, cols in per_cell for col in cols))
    unified = pa.unify_schemas(schemas, promote_options="permissive")
    schema = pa.schema([unified.field(c) for c in order])
    keys = [(k, "ascending") for k in SORT[name]]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            pending, rows = [], 0
            for group in overlap_groups(parts):
                t = pa.concat_tables([conform(p.read(name), schema) for p in group])
                if any(c >= n_cells for p in group for c in p.cells):
                    t = t.filter(pc.less(t.column("cell"), n_cells))
                if len(t) > 1:
                    t = t.take(pc.sort_indices(t, sort_keys=keys))
                pending.append(t)
                rows += len(t)
                while rows >= ROW_GROUP:  # fixed-size row groups, whatever the groups' sizes
                    buf = pa.concat_tables(pending)
                    writer.write_table(buf.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                    pending, rows = [buf.slice(ROW_GROUP)], len(buf) - ROW_GROUP
            if rows:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def conform(t, schema):
    """``t`` with exactly ``schema``'s columns (missing ones null) and types."""
    import pyarrow as pa

    cols = []
    for f in schema:
        if f.name in t.column_names:
            c = t.column(f.name)
            cols.append(c if c.type == f.type else c.cast(f.type))
        else:
            cols.append(pa.nulls(len(t), f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)
