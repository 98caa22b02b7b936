"""The result store of an experiment: per-cell part files, merged Parquet tables and a manifest.

Layout of ``OUT``::

    manifest.json               spec (normalised) + its sha256, package version, benchmark-data sha256, git commit,
                                created/updated time, complete flag, sha256 + row count of each merged table
    parts/chunk-000012-000075/  finished cells (here cells 12..75 or a subset of them): evaluations/runs/chosen as
                                .npz files of typed numpy arrays (no pickle, one array per column kind) holding the
                                rows of all its cells + checksums.json (each file's sha256, checked at merge, the cells
                                it holds, each cell's columns with their kinds and each file's kinds). A chunk is
                                written under a temporary name and renamed into place, so it exists only when whole:
                                a cell is either wholly written or absent. Each worker streams its finished cells
                                into chunks (every 256 cells or 10 s, at the end of its task and on an interrupt).
                                Chunks of one array per column (the previous version) are read; chunks of Arrow files
                                (and the one-cell ``parts/cell-000012/`` folders) that older versions wrote are
                                refused: rerun into a new folder
    .nasbench-eval              ownership marker: only a folder carrying it (or empty) is written into
    .lock                       while a run writes the folder (pid + host); a second run is refused
    evaluations.parquet         one row per evaluation (tidy long format)
    runs.parquet                one summary row per run (cell)
    chosen.parquet              one row per chosen architecture (1 per single-objective run; the front for MO runs)
    truth_fronts.parquet        hardware-aware problems: the true fronts (search / test space, all allowed archs and
                                the connected-arch band that normalises HV), one row per front member
    truth_thresholds.parquet    hardware-aware problems: the judged thresholds (quantile, merge note, feasible archs,
                                constrained optimum and oracle test accuracy)

Every file is written to a temporary name and moved into place with ``os.replace``. Resume = skip the cells held by
a part folder. The merge reads the parts one group at a time (parts whose cell ranges overlap), in cell order, and
streams fixed-size Parquet row groups: linear in the number of rows, memory bounded by a group, and the merged files
do not depend on how the cells were chunked (serial, joblib and Ray give the same bytes). ``wall_seconds`` (runs
table) is the only column that differs between two runs of one spec; :func:`compare_results` leaves it out.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._io import (
    FolderRefusedError,
    atomic_write_bytes,
    atomic_write_parquet,
    check_target,
    claim_dir,
    read_parquet,
    sha256_file,
)
from .cell import WALL_COLUMNS
from .columns import CHUNK_FORMAT, ResultStoreError, as_columns, concat_conformed, save_columns, table_kinds, unified
from .parts import CELL_RE, CHUNK_RE, PART_SUMS, TABLES, Part, merge_table, parquet_rows, read_chunk_index

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "nasbench-eval results"
FORMAT_VERSION = 1
TRUTH_TABLES = ("truth_fronts", "truth_thresholds")  # the judge's truth of the hardware-aware problems (see merge)
KIND = "results"
_OURS = {"manifest.json", "parts", "report", ".lock", *(f"{t}.parquet" for t in TABLES + TRUTH_TABLES)}


def _legacy_results(path: Path) -> bool:
    """A result folder written before the ownership marker: a manifest plus only what a run writes."""
    names = {p.name for p in path.iterdir()}
    return "manifest.json" in names and all(n in _OURS or n.startswith(".") for n in names)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nasbench-eval")
    except PackageNotFoundError:
        from .. import __version__

        return __version__


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class ResultStore:
    """Writer side: ``open(spec)`` checks/creates the manifest, ``write_cell`` adds parts, ``merge`` finishes."""

    def __init__(self, out):
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.manifest_path = self.out / "manifest.json"

    def claim(self) -> Path:
        """Create ``out`` (or check it is ours: empty, marked, or an older result folder) and mark it."""
        try:
            return claim_dir(self.out, KIND, _legacy_results, what="a nasbench-eval result folder")
        except FolderRefusedError as exc:
            raise ResultStoreError(f"{exc}; use a new --out") from None

    def read_manifest(self) -> dict | None:
        try:
            check_target(self.out, KIND, _legacy_results, what="a nasbench-eval result folder")
        except FolderRefusedError as exc:
            raise ResultStoreError(str(exc)) from None
        if not self.manifest_path.exists():
            return None
        try:
            m = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (ValueError, OSError, RecursionError) as exc:
            raise ResultStoreError(f"{self.manifest_path} is truncated or not JSON ({exc}); use a new --out") \
                from None
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise ResultStoreError(f"{self.manifest_path} is not a nasbench-eval result manifest; use a new --out")
        if m.get("format_version") != FORMAT_VERSION:
            raise ResultStoreError(f"{self.out} has result format {m.get('format_version')!r}; this version "
                                   f"reads {FORMAT_VERSION}")
        return m

    def open(self, spec, data_sha256: str | None, provenance: dict | None = None,
             legacy_sha256: str | None = None) -> dict:
        """Create the folder + manifest, or check that the existing one holds this very spec and data.

        provenance: the code provenance (:func:`.provenance.collect`) recorded in a new manifest; on resume the
        caller compares it with the recorded one (:func:`.provenance.changes`).
        """
        m = self.read_manifest()
        self.claim()
        if m is None:
            m = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": spec.name, "spec_hash": spec.hash,
                 "spec": spec.to_dict(), "n_cells": spec.n_cells, "package_version": package_version(),
                 "data_sha256": data_sha256, "git_commit": git_commit(), "created": _now(), "complete": False,
                 "files": {}, "wall_time_columns": [f"runs.{c}" for c in WALL_COLUMNS]}
            if provenance is not None:
                m["provenance"] = provenance
            self.write_manifest(m)
        else:
            if m.get("spec_hash") != spec.hash:
                raise ResultStoreError(f"{self.out} holds another experiment (spec hash {m.get('spec_hash', '?')[:12]}"
                                       f", this spec {spec.hash[:12]}); resuming would mix results: use a new --out")
            if data_sha256 and m.get("data_sha256") and m["data_sha256"] not in (data_sha256, legacy_sha256):
                raise ResultStoreError(f"{self.out} was computed on other benchmark data (sha256 "
                                       f"{m['data_sha256'][:12]}, now {data_sha256[:12]}); use a new --out")
        self.parts.mkdir(exist_ok=True)
        for tmp in self.parts.glob(".tmp-*"):  # leftovers of an interrupted write
            shutil.rmtree(tmp, ignore_errors=True)
        if any(p.legacy for p in self._parts()) and not (m.get("complete") and self.tables_intact(m)):
            self.refuse_legacy()
        return m

    def refuse_legacy(self) -> None:
        """Older versions saved cells as Arrow files, which this version does not read: resuming or re-merging such a
        folder is refused (its merged tables, when complete, are still read)."""
        old = next(p for p in self._parts() if p.legacy)
        raise ResultStoreError(f"{self.parts} holds cells saved as Arrow files by an older nasbench-eval (e.g. "
                               f"{old.path.name}); this version saves Parquet chunks and cannot resume or re-merge "
                               f"them: rerun into a new --out (or delete {self.parts} to recompute every cell)")

    def write_manifest(self, m: dict) -> None:
        atomic_write_bytes(self.manifest_path, (json.dumps(m, indent=2, sort_keys=True) + "\n").encode())

    def part_file(self, cell: int, name: str) -> Path:
        """The Parquet file of table ``name`` holding ``cell``'s rows (KeyError when the cell is not saved)."""
        for part in self._parts():
            if cell in part.cells and not part.legacy:
                return part.file(name)
        raise KeyError(f"cell {cell} is not saved in {self.parts}")

    def done_cells(self) -> set[int]:
        """Cells held by a whole part folder (chunk or older one-cell folder)."""
        return {c for part in self._parts() for c in part.cells}

    def _parts(self) -> list["Part"]:
        if not self.parts.exists():
            return []
        out = []
        for p in sorted(self.parts.iterdir()):
            if not p.is_dir():
                continue
            if CHUNK_RE.fullmatch(p.name):
                out.append(read_chunk_index(p))
            elif CELL_RE.fullmatch(p.name):  # one cell per folder, Arrow files: what older versions wrote
                out.append(Part(p, [int(p.name[5:])], None, legacy=True))
        return out

    def write_cell(self, cell: int, tables: dict) -> None:
        """Save one cell (a chunk of one); :class:`ChunkWriter` saves many at once."""
        self.write_chunk([(cell, tables)])

    def write_chunk(self, items: list[tuple[int, dict]]) -> list[int]:
        """Save finished cells ``[(cell_id, {"evaluations", "runs", "chosen"}), ...]`` (each table a dict of numpy
        columns or a DataFrame, :func:`~.columns.as_columns`) as one chunk folder, atomically; returns the saved cell
        ids. Each table is one ``.npz`` file of all the cells' rows (cell order), its columns unified over the
        chunk's cells; each cell's own columns and kinds go to the index."""
        if not items:
            return []
        items = sorted(items, key=lambda it: it[0])
        cells = [int(c) for c, _ in items]
        if len(set(cells)) != len(cells):
            raise ResultStoreError(f"a chunk cannot hold a cell twice (cells {cells})")
        final = self.parts / f"chunk-{cells[0]:06d}-{cells[-1]:06d}"
        if final.exists():
            raise ResultStoreError(f"{final} exists already: cells {cells[0]}..{cells[-1]} were saved by another run "
                                   "(only one run may write a result folder)")
        tmp = Path(tempfile.mkdtemp(dir=self.parts, prefix=f".tmp-{cells[0]:06d}-"))
        try:
            index: dict = {"format": CHUNK_FORMAT, "cells": cells, "columns": {}}
            for name in TABLES:
                tables = [as_columns(t[name], f" {name} of cell {c}") for c, t in items]
                per_cell = [table_kinds(t, f"table {name} of cell {c}") for (c, _), t in zip(items, tables)]
                sets: list[list[list[str]]] = []
                of_cell = []
                for cols in per_cell:
                    if cols not in sets:
                        sets.append(cols)
                    of_cell.append(sets.index(cols))
                index["columns"][name] = {"sets": sets, "of_cell": of_cell}
                kinds = unified(per_cell, f" of table {name}")
                table = concat_conformed(tables, kinds)
                with open(tmp / f"{name}.npz", "wb") as fh:
                    save_columns(fh, table, kinds)
                index.setdefault("kinds", {})[name] = [[c, k] for c, k in kinds.items()]
                index[f"{name}.npz"] = sha256_file(tmp / f"{name}.npz")
            (tmp / PART_SUMS).write_text(json.dumps(index, sort_keys=True))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cells

    def tables_intact(self, m: dict) -> bool:
        """True when every merged table exists and matches the sha256 recorded in the manifest."""
        if "truth" not in m:  # written before the truth tables existed: merge again to add them
            return False
        for name in TABLES + TRUTH_TABLES:
            f, info = self.out / f"{name}.parquet", m.get("files", {}).get(name)
            if info is None or not f.exists() or sha256_file(f) != info["sha256"]:
                return False
        return True

    def merge(self, spec) -> dict:
        """Concatenate all parts (canonical cell order) into the three Parquet tables; mark the manifest complete.

        Linear: every part file is read (and its checksum verified) once per table, one group of parts with
        overlapping cell ranges at a time; rows are written in fixed-size row groups."""
        m = self.read_manifest()
        n = spec.n_cells
        owner: dict[int, Part] = {}
        found = self._parts()
        if any(p.legacy for p in found):
            self.refuse_legacy()
        for part in found:
            for c in part.cells:
                if c in owner:
                    raise ResultStoreError(f"cell {c} is saved twice ({owner[c].path} and {part.path}); delete one "
                                           "of the two folders and rerun")
                owner[c] = part
        cells = sorted(c for c in owner if c < n)  # a stray part of no cell is never merged
        parts = sorted({id(p): p for c, p in owner.items() if c < n}.values(), key=lambda p: p.cells[0])
        files = {}
        for name in TABLES:
            path = self.out / f"{name}.parquet"
            merge_table(parts, name, n, path)
            files[name] = {"file": path.name, "rows": parquet_rows(path), "sha256": sha256_file(path)}
        truth = _truth_tables(spec)
        for name, df in truth.items():
            path = self.out / f"{name}.parquet"
            atomic_write_parquet(path, df)
            files[name] = {"file": path.name, "rows": int(len(df)), "sha256": sha256_file(path)}
        m["truth"] = {"tables": list(truth), "problems": sorted(set(truth["truth_thresholds"].get("problem", [])))}
        m.update(files=files, complete=len(cells) == n, cells_done=len(cells), updated=_now())
        self.write_manifest(m)
        return m


def _truth_tables(spec) -> dict[str, pd.DataFrame]:
    """The judge's truth of each hardware-aware problem of ``spec`` (:func:`nasbench_eval.judge.truth_tables`)."""
    import pandas as pd

    from ..judge import truth_tables
    from .cell import build_problem

    parts: dict[str, list] = {n: [] for n in TRUTH_TABLES}
    for entry in spec.problems:
        if entry.get("type") != "hw":
            continue
        per_seed = entry.get("proxy_noise_tau") is not None and entry.get("noise_seed") is None
        for n, df in truth_tables(build_problem(entry), entry["label"], search_space=not per_seed).items():
            parts[n].append(df)
    return {n: pd.concat(v, ignore_index=True) if v else pd.DataFrame({"problem": pd.Series(dtype=str)})
            for n, v in parts.items()}


@dataclass
class Results:
    """What stats and report read: the manifest, the three tables and the truth of the hardware-aware problems
    (empty frames for a folder merged before the truth tables existed)."""

    path: Path
    manifest: dict
    evaluations: pd.DataFrame
    runs: pd.DataFrame
    chosen: pd.DataFrame
    truth_fronts: pd.DataFrame | None = None
    truth_thresholds: pd.DataFrame | None = None


def load_results(path, allow_incomplete: bool = False) -> Results:
    """Read a result folder, checking the manifest and each table's sha256 (truncated/foreign files are refused)."""
    path = Path(path)
    store = ResultStore(path)
    if not path.is_dir():
        raise ResultStoreError(f"{path} is not a folder")
    m = store.read_manifest()
    if m is None:
        raise ResultStoreError(f"{path} has no manifest.json: not a nasbench-eval result folder")
    if not m.get("complete") and not allow_incomplete:
        raise ResultStoreError(f"{path} is incomplete ({m.get('cells_done', 0)}/{m.get('n_cells')} cells merged); "
                               "rerun `nasbench-eval run SPEC --out DIR` to finish it")
    tables = {}
    for name in TABLES + tuple(t for t in TRUTH_TABLES if t in m.get("files", {})):
        info = m.get("files", {}).get(name)
        f = path / f"{name}.parquet"
        if info is None or not f.exists():
            raise ResultStoreError(f"{f} is missing; rerun `nasbench-eval run SPEC --out {path}` to merge the parts")
        if sha256_file(f) != info["sha256"]:
            raise ResultStoreError(f"{f} does not match its manifest (sha256 differs: truncated, edited or from "
                                   f"another run); rerun `nasbench-eval run SPEC --out {path}` to re-merge")
        try:
            tables[name] = read_parquet(f)
        except Exception as exc:  # noqa: BLE001 - any reader failure means a corrupt file
            raise ResultStoreError(f"{f} is not readable Parquet ({type(exc).__name__}: {exc})") from None
    return Results(path, m, **tables)


def compare_results(a, b, exclude=WALL_COLUMNS) -> list[str]:
    """Differences between two result folders' tables (empty list = bit-identical), wall-time columns excluded."""
    import pandas as pd

    ra, rb = (x if isinstance(x, Results) else load_results(x) for x in (a, b))
    diffs = []
    if ra.manifest["spec_hash"] != rb.manifest["spec_hash"]:
        diffs.append("spec hash differs")
    for name in TABLES:
        x = getattr(ra, name).drop(columns=list(exclude), errors="ignore")
        y = getattr(rb, name).drop(columns=list(exclude), errors="ignore")
        if list(x.columns) != list(y.columns) or x.shape != y.shape:
            diffs.append(f"{name}: shape/columns differ {x.shape} vs {y.shape}")
            continue
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        except AssertionError as exc:
            diffs.append(f"{name}: {str(exc).splitlines()[0]}")
    return diffs
