"""Import the official benchmark files a user owns into the built store.

- ``HW-NAS-Bench-v1_0.pickle`` -> HW cost columns for all three datasets, read by a restricted unpickler that builds
  only builtin containers and numbers (no code in the file can run): :func:`load_hwnasbench_pickle`.
- NB201 ``.pth`` (v1_0 / v1_1, or a NATS-tss dict in the same structure) -> 200- and 12-epoch accuracies, training
  times and seed counts through the ``nas-bench-201`` API; it unpickles, so only with ``trust_pickle=True``:
  :func:`load_nb201_pth`.
- :func:`merge_into_store` writes columns into a store atomically; :func:`import_official` does load + merge (the
  CLI's ``nasbench-eval data import {hwnasbench,nb201} PATH [--trust-pickle]``).
"""
from __future__ import annotations

from pathlib import Path

from ..._io import sha256_file as file_sha256
from ...errors import unknown
from .hwnasbench import hwnasbench_columns, load_hwnasbench_pickle
from .merge import merge_into_store
from .nb201_pth import (
    UntrustedPickleError,
    load_nb201_pth,
    nb201_api_columns,
    open_api,
    source_tag,
)

KINDS = ("hwnasbench", "nb201")

__all__ = ["KINDS", "UntrustedPickleError", "hwnasbench_columns", "import_official", "load_hwnasbench_pickle",
           "load_nb201_pth", "merge_into_store", "nb201_api_columns", "open_api", "source_tag"]


def import_official(kind: str, path: Path | str, trust_pickle: bool = False, store_dir: Path | str | None = None,
                    *, out_dir: Path | str | None = None, source: str | None = None) -> dict:
    """Load an official file and merge its columns into the store (``store_dir``; default: the default store).

    ``kind='hwnasbench'``: restricted unpickler; ``trust_pickle`` only widens it to decode numeric numpy scalars
    (still no code from the file runs). ``kind='nb201'``: needs ``trust_pickle=True`` (the file is a torch pickle).
    Returns the merge summary plus ``kind``, ``source_file`` and ``sha256``.
    """
    if kind not in KINDS:
        raise unknown("official file kind", kind, KINDS)
    path = Path(path)
    if kind == "hwnasbench":
        from ..safe_pickle import restricted_load
        from .hwnasbench import _check_exists

        _check_exists(path)
        cols, notes = hwnasbench_columns(restricted_load(path, allow_numpy_scalars=trust_pickle), str(path))
        repo = "GATECH-EIC/HW-NAS-Bench (HW-NAS-Bench-v1_0.pickle, user-supplied)"
    else:
        from .nb201_pth import _require_trust

        if not path.is_file():
            from ...errors import DataBuildError
            raise DataBuildError(f"NB201 file not found: {path}")
        _require_trust(path, trust_pickle)
        tag = source or source_tag(path)
        cols, notes = nb201_api_columns(open_api(path, trust_pickle=True), tag)
        repo = f"{tag} official release (user-supplied)"
    digest = file_sha256(path)
    summary = merge_into_store(store_dir, cols, {"kind": kind, "source_file": str(path), "source_sha256": digest,
                                                 "source_repo": repo}, column_notes=notes, out_dir=out_dir)
    return {"kind": kind, "source_file": str(path.resolve()), "sha256": digest, **summary}
