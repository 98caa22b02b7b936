"""The benchmark store shipped inside the package, and its reproducible build and bit-for-bit verification.

``nasbench_eval/data/`` (package data) holds::

    store.tar.xz      the verified store (values.npy, meta.json, pareto_fronts_lomonas.json), written
                      deterministically: fixed member order, times, owners and modes; xz preset 9
    provenance.json   the command that made it, the archive's and each member's sha256, the store's content hash,
                      and per column: source repository, commit, file, the source file's sha256 and the sha256 of
                      the column's own float64 bytes
    LICENSES.md       the sources' licences and attributions

``nasbench-eval data build --package`` rebuilds both files from the source tables (the same verified build as
``data build``, with the run-dependent metadata fixed: no build time, no source folder), so a fresh build equals the
shipped file bit for bit (:func:`compare_stores`; ``nasbench-eval data verify`` and ``tests/test_packaging.py``).

Without ``$NASBENCH_EVAL_STORE`` and without a source checkout, :func:`~.locate.get_store` unpacks the archive once
into ``~/.cache/nasbench-eval/store`` (our marker, hashes checked); nothing is ever written into site-packages.
"""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .._io import replace_dir
from ..errors import DataBuildError, StoreError
from .store import STORE_KIND, is_legacy_store, load_store, seal_meta

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
ARCHIVE = "store.tar.xz"
PROVENANCE = "provenance.json"
MEMBERS = ("meta.json", "pareto_fronts_lomonas.json", "values.npy")
COMMAND = "nasbench-eval data build --package"
# metadata a build fills from its run (time, folder); the packaged store fixes them, comparisons ignore them
RUN_KEYS = ("source_dir", "built_at", "build_seconds")
PACKAGED = {"source_dir": None, "built_at": "packaged (reproducible build, see provenance.json)", "build_seconds": None}


def packaged_paths(folder: Path | None = None) -> tuple[Path, Path]:
    folder = Path(folder) if folder is not None else PACKAGE_DATA
    return folder / ARCHIVE, folder / PROVENANCE


def has_packaged_store(folder: Path | None = None) -> bool:
    archive, prov = packaged_paths(folder)
    return archive.is_file() and prov.is_file()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def column_sha256(values: np.ndarray) -> list[str]:
    """sha256 of each column's little-endian float64 bytes (NaN bit patterns included)."""
    v = np.ascontiguousarray(values, dtype="<f8")
    return [_sha(row.tobytes()) for row in v]


# ------------------------------------------------------------------------------------------------ writing
def _tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    return lzma.compress(buf.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)


def package_store(store_dir: Path, out_dir: Path | None = None) -> dict:
    """Write ``store.tar.xz`` and ``provenance.json`` for the store built in ``store_dir`` (its run-dependent
    metadata fixed, the content hash resealed). Returns the provenance record."""
    from .sources import SOURCES

    store_dir = Path(store_dir)
    out_dir = Path(out_dir) if out_dir is not None else PACKAGE_DATA
    meta = json.loads((store_dir / "meta.json").read_text(encoding="utf-8"))
    if meta.get("imports"):
        raise DataBuildError(f"{store_dir} holds imported official columns; package only a store built from the "
                             "source tables")
    meta.update(PACKAGED)
    meta.pop("values_sha256", None)
    meta.pop("content_sha256", None)
    seal_meta(meta, store_dir / "values.npy")
    files = {"meta.json": (json.dumps(meta, indent=1) + "\n").encode(),
             "values.npy": (store_dir / "values.npy").read_bytes(),
             "pareto_fronts_lomonas.json": (store_dir / "pareto_fronts_lomonas.json").read_bytes()}
    archive = _tar_bytes(files)
    values = np.load(io.BytesIO(files["values.npy"]), allow_pickle=False)
    cols = {}
    for name, digest in zip(meta["columns"], column_sha256(values)):
        cm = meta["column_meta"][name]
        cols[name] = {"values_sha256": digest, "source_repo": cm["source_repo"], "source_commit": cm["source_commit"],
                      "source_file": cm["source_file"], "source_sha256": cm["source_sha256"], "unit": cm["unit"],
                      "coverage": cm["coverage"]}
    prov = {"command": COMMAND, "archive": ARCHIVE, "archive_sha256": _sha(archive), "archive_bytes": len(archive),
            "members": {n: _sha(b) for n, b in sorted(files.items())},
            "content_sha256": meta["content_sha256"], "n_columns": len(meta["columns"]),
            "n_archs": int(values.shape[1]),
            "sources": {rel: {"repo": s.repo, "commit": s.commit, "sha256": s.sha256, "what": s.what}
                        for rel, s in sorted(SOURCES.items()) if rel in meta["source_files"]
                        or rel == "nb201-lomonas-pof/pof_nb201.json"},
            "licences": "LICENSES.md", "columns": cols}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / ARCHIVE).write_bytes(archive)
    (out_dir / PROVENANCE).write_text(json.dumps(prov, indent=1) + "\n", encoding="utf-8")
    return prov


def build_package(source: Path | str | None = None, out_dir: Path | None = None) -> dict:
    """Build the store from the source tables into a temporary folder and package it (``data build --package``)."""
    from .build import build_store

    with tempfile.TemporaryDirectory(prefix="nasbench-eval-package-") as tmp:
        store = build_store(source, Path(tmp) / "store")
        return package_store(store, out_dir)


# ------------------------------------------------------------------------------------------------ reading
def read_provenance(folder: Path | None = None) -> dict:
    _, prov = packaged_paths(folder)
    try:
        return json.loads(prov.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"packaged store provenance {prov} cannot be read ({exc}); reinstall nasbench-eval") from None


def read_members(folder: Path | None = None) -> dict[str, bytes]:
    """The packaged store's files, each checked against ``provenance.json`` (archive and member sha256)."""
    archive, _ = packaged_paths(folder)
    prov = read_provenance(folder)
    raw = archive.read_bytes()
    if _sha(raw) != prov.get("archive_sha256"):
        raise StoreError(f"packaged store {archive} does not match its recorded sha256 (damaged install); "
                         "reinstall nasbench-eval or build the store from sources with `nasbench-eval data build`")
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(raw)), mode="r:") as tar:
        for m in tar.getmembers():
            if m.name not in MEMBERS or not m.isfile():
                raise StoreError(f"packaged store {archive} holds an unexpected member {m.name!r}")
            out[m.name] = tar.extractfile(m).read()
    if set(out) != set(MEMBERS) or any(_sha(out[n]) != prov["members"].get(n) for n in MEMBERS):
        raise StoreError(f"packaged store {archive}: members differ from provenance.json; reinstall nasbench-eval")
    return out


def unpack_store(out: Path, folder: Path | None = None) -> Path:
    """Unpack the packaged store into ``out`` (absent, empty, or our own store folder; marked as ours) and open it
    once, which checks its content hash. Returns ``out``."""
    out = Path(out)
    members = read_members(folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".store-", dir=out.parent))
    try:
        for name, data in members.items():
            (tmp / name).write_bytes(data)
        load_store(tmp)  # the content hash over values.npy + meta.json, as for any store
        replace_dir(tmp, out, STORE_KIND, is_legacy_store)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def is_stale_packaged_copy(store_dir: Path, folder: Path | None = None) -> bool:
    """True when ``store_dir`` is an unpacked packaged store from another package version (nothing imported into
    it): it is then replaced by this version's."""
    try:
        meta = json.loads((Path(store_dir) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or meta.get("built_at") != PACKAGED["built_at"] or meta.get("imports"):
        return False
    return has_packaged_store(folder) and meta.get("content_sha256") != read_provenance(folder).get("content_sha256")


# ------------------------------------------------------------------------------------------------ comparing
def _store_files(store_dir: Path) -> dict[str, bytes]:
    return {n: (Path(store_dir) / n).read_bytes() for n in MEMBERS if (Path(store_dir) / n).is_file()}


def compare_stores(expected: dict[str, bytes], got: dict[str, bytes], what: str) -> list[str]:
    """Differences between two stores given as their files: ``values.npy`` and the Pareto fronts byte for byte,
    ``meta.json`` key by key except the run-dependent keys (time, folder) and the hashes that cover them. Columns
    imported into ``got`` (official files) are listed, not counted as differences. Empty when equal."""
    diffs = []
    em, gm = (json.loads(x["meta.json"]) for x in (expected, got))
    ev = np.load(io.BytesIO(expected["values.npy"]), allow_pickle=False)
    gv = np.load(io.BytesIO(got["values.npy"]), allow_pickle=False)
    extra = [c for c in gm["columns"] if c not in em["columns"]]
    if extra and gm.get("imports"):
        gv = gv[[gm["columns"].index(c) for c in em["columns"] if c in gm["columns"]]]
        gm = {**gm, "columns": [c for c in gm["columns"] if c in em["columns"]]}
        diffs_note = f"{what}: {len(extra)} imported column(s) not compared: {', '.join(extra[:5])}"
    else:
        diffs_note = None
    if gm["columns"] != em["columns"]:
        diffs.append(f"{what}: column list differs ({len(gm['columns'])} vs {len(em['columns'])} columns)")
    elif gv.shape != ev.shape or gv.dtype != ev.dtype:
        diffs.append(f"{what}: values {gv.dtype}{gv.shape} vs {ev.dtype}{ev.shape}")
    else:
        for name, a, b in zip(em["columns"], column_sha256(ev), column_sha256(gv)):
            if a != b:
                n = int(np.sum(ev[em["columns"].index(name)].view(np.uint64)
                               != gv[em["columns"].index(name)].view(np.uint64)))
                diffs.append(f"{what}: column {name}: {n} value(s) differ bit for bit")
        if not extra and expected["values.npy"] != got["values.npy"]:
            diffs.append(f"{what}: values.npy bytes differ (header or layout)")
    if expected.get("pareto_fronts_lomonas.json") != got.get("pareto_fronts_lomonas.json"):
        diffs.append(f"{what}: pareto_fronts_lomonas.json differs")
    skip = set(RUN_KEYS) | {"content_sha256", "values_sha256", "imports", "columns", "column_meta"}
    for k in sorted((set(em) | set(gm)) - skip):
        if em.get(k) != gm.get(k):
            diffs.append(f"{what}: meta.json {k!r} differs")
    for c in em["columns"]:
        if em["column_meta"].get(c) != gm.get("column_meta", {}).get(c):
            diffs.append(f"{what}: meta.json column_meta[{c!r}] differs")
    if diffs_note and not diffs:
        return [f"note: {diffs_note}"]
    return diffs


def verify(source: Path | str | None, store_dir: Path | None) -> tuple[list[str], list[str]]:
    """``(checks passed, differences)``: the packaged archive against its hashes; with ``source`` a fresh build from
    the source tables against the packaged store and the current store ``store_dir``, bit for bit."""
    from .build import build_store

    ok: list[str] = []
    diffs: list[str] = []
    packaged = None
    if has_packaged_store():
        packaged = read_members()
        ok.append(f"packaged store {packaged_paths()[0]}: archive and member sha256 match provenance.json")
    current = None
    if store_dir is not None and (Path(store_dir) / "meta.json").is_file():
        load_store(store_dir)
        current = _store_files(store_dir)
        ok.append(f"current store {store_dir}: content hash OK")
    if source is None:
        return ok, diffs
    with tempfile.TemporaryDirectory(prefix="nasbench-eval-verify-") as tmp:
        fresh = _store_files(build_store(source, Path(tmp) / "store"))
    ok.append(f"rebuilt from {source}: every source sha256, index order, golden values and optima verified")
    for name, files in (("packaged store", packaged), ("current store", current)):
        if files is None:
            continue
        d = compare_stores(fresh, files, name)
        notes = [x for x in d if x.startswith("note: ")]
        real = [x for x in d if not x.startswith("note: ")]
        diffs.extend(real)
        if not real:
            ok.append(f"{name} equals the fresh build bit for bit ({len(json.loads(fresh['meta.json'])['columns'])} "
                      "columns, values.npy and Pareto fronts)" + (f"; {notes[0][6:]}" if notes else ""))
    return ok, diffs
