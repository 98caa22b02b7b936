"""A cell's tables as typed numpy columns: each column's *kind* (:data:`KINDS`), kinds unified over cells,
columns conformed to their kinds, and the chunk-file codec (one uncompressed ``.npz`` per table, read without
pickle). :mod:`.parts` writes, reads and merges the part folders with these.

A column's type is recorded per cell as a kind in the chunk's ``checksums.json``; the merge unifies the kinds of every
merged cell (:func:`unify_kinds`), so the merged files' types depend on the cells only, never on how they were
chunked. Text columns are kinded, conformed and coded with numpy; pandas is imported only for a DataFrame or another
object column (a worker running numeric cells never imports it).
"""
from __future__ import annotations

import numpy as np

from ..errors import StoreError

CHUNK_FORMAT = "npz-by-kind"  # checksums.json "format" of the chunks this version writes
CHUNK_FORMATS = (CHUNK_FORMAT, "npz")  # readable: "npz" (one array per column) from the previous version; older
# versions wrote Arrow IPC files (refused with one line)
# column kinds: int64 / float64 / bool (no missing values) / bool? (True, False, None) / str (text, None) / null
# (only missing values, e.g. an empty column); int64 or bool missing from some cells become float64 / bool?
KINDS = ("int64", "float64", "bool", "bool?", "str", "null")


class ResultStoreError(StoreError):
    """A result folder is foreign, truncated, corrupted or belongs to another spec."""


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
    return concat_columns([conform_columns(t, kinds) for t in tables])


def concat_columns(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
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


def take_rows(cols: dict[str, np.ndarray], rows) -> dict[str, np.ndarray]:
    """The rows ``rows`` (a mask, an index array or a slice) of every column."""
    return {c: v[rows] for c, v in cols.items()}
