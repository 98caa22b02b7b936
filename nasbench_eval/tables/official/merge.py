"""Merge imported columns into a built store, atomically, keeping the format :func:`load_store` reads.

Rules: a new column is added; a column the store already has must agree with the import wherever both have a
measured value (else the merge is refused: the file is not the release the store was built from), then the import
fills the gaps. Values the store had *derived* (e.g. fpga energy = 7 x latency) are replaced by the file's measured
values and their derived flags cleared. Every imported column records the file path, its sha256 and
``imported_from_official: True``.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..._io import replace_dir, sha256_file
from ...errors import DataBuildError, StoreError
from ...spaces import nb201
from .. import store as store_mod

N = nb201.N_ARCHS


def _unit_from_name(name: str) -> str:
    what = name.split("/")[1]
    for suffix, unit in (("_ms", "ms"), ("_mJ", "mJ"), ("_s", "s"), ("_M", "M"), ("_ratio", "ratio")):
        if what.endswith(suffix):
            return unit
    return "%" if "_acc_" in what else ("count" if what.startswith("n_seeds") else "")


def _check_columns(new_columns: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, v in new_columns.items():
        if not isinstance(name, str) or name.count("/") != 2 or not all(name.split("/")):
            raise DataBuildError(f"column name {name!r} is not of the form dataset/metric/source")
        a = np.asarray(v, dtype=np.float64)
        if a.shape != (N,):
            raise DataBuildError(f"column {name!r} has shape {a.shape}, expected ({N},)")
        out[name] = a
    return out


def merge_into_store(store_dir: Path | str | None, new_columns: dict, provenance: dict, *,
                     column_notes: dict | None = None, out_dir: Path | str | None = None,
                     rtol: float = 1e-9, atol: float = 1e-9) -> dict:
    """Write ``new_columns`` (name -> 15,625 values) into the store at ``store_dir`` (or a copy at ``out_dir``).

    ``provenance`` must name ``source_file``; ``source_sha256`` is computed when absent. Returns a summary
    ``{'store', 'added', 'updated', 'derived_replaced'}``. The write is atomic (new folder, then rename).
    """
    src = Path(store_dir) if store_dir is not None else store_mod.default_store_dir()
    out = Path(out_dir) if out_dir is not None else src
    if "source_file" not in provenance:
        raise DataBuildError("provenance must name 'source_file'")
    prov = dict(provenance)
    prov["source_file"] = str(Path(prov["source_file"]).resolve())
    if "source_sha256" not in prov:
        prov["source_sha256"] = sha256_file(prov["source_file"])
    prov["imported_from_official"] = True
    new = _check_columns(new_columns)
    notes = column_notes or {}
    try:
        store = store_mod.load_store(src)
    except StoreError as exc:
        raise StoreError(f"{exc} (official files are merged into a built store)") from None
    names = list(store.columns)
    everything = store.all_values()  # maintenance: every column, test ones included
    values = {n: np.array(everything[i]) for i, n in enumerate(names)}
    meta = json.loads(json.dumps(store.meta))
    cmeta = meta["column_meta"]
    added, updated, derived_replaced = [], [], {}
    for name, v in new.items():
        base = {"source_file": prov["source_file"], "source_repo": prov.get("source_repo", "official file"),
                "source_commit": prov.get("source_commit", "-"), "source_sha256": prov["source_sha256"],
                "description": notes.get(name, {}).get("description",
                                                       f"imported from {Path(prov['source_file']).name}"),
                "unit": notes.get(name, {}).get("unit", _unit_from_name(name)),
                "imported_from_official": True, "import_kind": prov.get("kind")}
        if "note" in notes.get(name, {}):
            base["note"] = notes[name]["note"]
        if name not in values:
            values[name] = v
            names.append(name)
            cmeta[name] = {**base, "coverage": int(np.isfinite(v).sum())}
            added.append(name)
            continue
        old = values[name]
        old_meta = cmeta.get(name, {})
        mask_col = old_meta.get("derived_mask_column")
        derived = (values[mask_col] == 1) if mask_col in values else np.zeros(N, bool)
        both = np.isfinite(old) & np.isfinite(v) & ~derived
        bad = np.flatnonzero(both & ~np.isclose(old, v, rtol=rtol, atol=atol))
        if bad.size:
            i = int(bad[0])
            raise DataBuildError(
                f"{name}: {Path(prov['source_file']).name} disagrees with the store at {bad.size} archs (first: "
                f"arch {i}, store {old[i]!r} from {old_meta.get('source_file')}, file {v[i]!r}); refusing to merge "
                f"(is it the release the store's column names say?)")
        merged = np.where(np.isfinite(v), v, old)
        replaced = derived & np.isfinite(v)
        if mask_col in values and replaced.any():
            values[mask_col] = np.where(replaced, 0.0, values[mask_col])
            cmeta[mask_col]["note"] = (f"{int(replaced.sum())} derived rows replaced by measured values from "
                                       f"{Path(prov['source_file']).name}")
            derived_replaced[name] = int(replaced.sum())
        values[name] = merged
        entry = {**base, "coverage": int(np.isfinite(merged).sum()),
                 "rows_from_official": int(np.isfinite(v).sum()),
                 "rows_kept_from_previous": int((np.isfinite(merged) & ~np.isfinite(v)).sum()),
                 "agreed_with_previous_rows": int(both.sum()),
                 "previous": {k: old_meta.get(k) for k in ("source_file", "source_repo", "source_sha256", "coverage")}}
        if mask_col:
            entry["derived_mask_column"] = mask_col
            entry["derived_rows"] = int((derived & ~replaced).sum())
            if entry["derived_rows"]:
                entry["derived_rule"] = old_meta.get("derived_rule")
        cmeta[name] = entry
        updated.append(name)
    meta["columns"] = names
    meta.setdefault("imports", []).append({**prov, "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                           "columns_added": added, "columns_updated": updated})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".store-import-", dir=out.parent))
    try:
        for f in src.iterdir():
            if f.is_file() and f.name not in ("values.npy", "meta.json"):
                shutil.copy2(f, tmp / f.name)
        np.save(tmp / "values.npy", np.stack([values[n] for n in names]), allow_pickle=False)
        meta.pop("content_sha256", None)
        (tmp / "meta.json").write_text(json.dumps(store_mod.seal_meta(meta, tmp / "values.npy"), indent=1))
        store_mod.load_store(tmp, verify=True)  # the result must open with the ordinary loader
        replace_dir(tmp, out, store_mod.STORE_KIND, store_mod.is_legacy_store)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"store": str(out), "added": added, "updated": updated, "derived_replaced": derived_replaced}
