"""Result files of a Beta-VAE sweep: tidy long-format Parquet, atomic writes, resume and the manifest.

Layout under ``out``::

    cells/beta=<b>_seed=<s>.parquet   one finished (beta, seed) cell; its presence means "done" (resume unit)
    results.parquet                   all cells concatenated (rewritten atomically after every cell)
    manifest.json                     settings, data description, schema, package version, cells done

Every file is written to a temporary name in the same folder and moved into place with ``os.replace``, so a
crash never leaves a half-written file behind. The schema (:data:`COLUMNS`) is documented in docs/betavae.md.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..._io import atomic_write_parquet, read_parquet
from ...errors import ConfigError

COLUMNS = ("study", "dataset", "beta", "seed", "sparsity", "method", "metric", "value", "source")
DTYPES = {"study": "string", "dataset": "string", "beta": "float64", "seed": "int64", "sparsity": "float64",
          "method": "string", "metric": "string", "value": "float64", "source": "string"}
# Settings that may differ between invocations sharing one --out (they only add cells or locate files).
GRID_KEYS = ("betas", "seeds", "data_root")


def tidy(rows: list[dict]) -> pd.DataFrame:
    """Rows -> DataFrame with exactly :data:`COLUMNS` in order and stable dtypes."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return df.astype(DTYPES)


def cell_path(out: Path, beta: float, seed: int) -> Path:
    return Path(out) / "cells" / f"beta={float(beta):g}_seed={int(seed)}.parquet"


def is_done(out: Path, beta: float, seed: int) -> bool:
    return cell_path(out, beta, seed).is_file()


def write_cell(out: Path, beta: float, seed: int, df: pd.DataFrame) -> None:
    atomic_write_parquet(cell_path(out, beta, seed), df)


def combine(out: Path) -> pd.DataFrame:
    """Concatenate every finished cell file, sorted, and write ``results.parquet`` atomically."""
    files = sorted((Path(out) / "cells").glob("*.parquet"))
    parts = [read_parquet(f) for f in files]
    df = tidy([]) if not parts else pd.concat(parts, ignore_index=True).astype(DTYPES)
    df = df.sort_values(["beta", "seed", "sparsity", "metric", "source"], kind="stable").reset_index(drop=True)
    atomic_write_parquet(Path(out) / "results.parquet", df)
    return df


def check_compatible(out: Path, settings: dict) -> dict | None:
    """Return the existing manifest (or None); raise ConfigError if its settings would mix incomparable cells."""
    path = Path(out) / "manifest.json"
    if not path.is_file():
        return None
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError) as exc:
        raise ConfigError(f"out={str(out)!r} has an unreadable manifest.json ({exc}); use a new --out") from None
    if not isinstance(old, dict) or not isinstance(old.get("settings", {}), dict):
        raise ConfigError(f"out={str(out)!r} has a manifest.json that is not a betavae study's; use a new --out")
    old_s = old.get("settings", {})
    diff = {k: (old_s.get(k), v) for k, v in settings.items() if k not in GRID_KEYS and old_s.get(k) != v}
    if diff:
        shown = "; ".join(f"{k}: was {a!r}, now {b!r}" for k, (a, b) in sorted(diff.items()))
        raise ConfigError(f"out={str(out)!r} holds a sweep with different settings ({shown}); resume needs the same "
                          f"settings (only --betas/--seeds may grow). Use a new --out directory.")
    return old


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version("nasbench-eval")
    except PackageNotFoundError:
        return "unknown (package not installed)"
