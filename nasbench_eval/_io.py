"""Small file utilities shared by every layer: checksums and atomic replacement."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def sha256_file(path) -> str:
    """sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def replace_dir(tmp: Path, out: Path) -> None:
    """Move a fully written folder ``tmp`` into place at ``out`` (renames only; the old one is removed after)."""
    if out.exists():
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)
