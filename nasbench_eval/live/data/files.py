"""Read image datasets from files already on disk: CIFAR-10/100, MNIST, and scikit-learn's bundled digits.

The one place the live path reads image files (numpy only, no torch). Nothing is ever downloaded; a missing file
raises a :class:`~nasbench_eval.errors.ConfigError` that names it.

* CIFAR-10/100: the python-pickle batches as torchvision lays them out (``<root>/cifar-10-batches-py/data_batch_1..5,
  test_batch, batches.meta``; ``<root>/cifar-100-python/train, test, meta``), checked against the md5 sums
  torchvision publishes for them, and read with a restricted unpickler that rebuilds only numpy arrays and plain
  containers (a batch file cannot run code).
* MNIST: the four uncompressed IDX files under ``<root>/MNIST/raw`` (torchvision's layout); header, magic number
  and sizes are checked (no pickle involved).
* digits: ``sklearn.datasets.load_digits`` (1,797 8x8 images, offline).

Images come back as uint8 ``(n, H, W, C)`` arrays with int64 labels; each consumer defines its own splits.
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ConfigError, unknown

__all__ = ["RawImages", "read_cifar", "read_mnist", "read_digits", "CIFAR_FILES"]

# Folder, train files, test files, meta file, label-names key and each file's md5 (torchvision's published sums).
CIFAR_FILES = {
    "cifar10": {"folder": "cifar-10-batches-py", "labels": "labels", "names": "label_names",
                "train": [("data_batch_1", "c99cafc152244af753f735de768cd75f"),
                          ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
                          ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
                          ("data_batch_4", "634d18415352ddfa80567beed471001a"),
                          ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb")],
                "test": [("test_batch", "40351d587109b95175f43aff81a1287e")],
                "meta": ("batches.meta", "5ff9c542aee3614f3951f8cda6e48888")},
    "cifar100": {"folder": "cifar-100-python", "labels": "fine_labels", "names": "fine_label_names",
                 "train": [("train", "16019d7e3df5f24257cddd939b257f8d")],
                 "test": [("test", "f0ef6b0ae62326f3e7ffdfab6717acfc")],
                 "meta": ("meta", "7973b15100ade9c7d40fb424638fde48")},
}
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class RawImages:
    """An official train/test pair as read from disk: uint8 ``(n, H, W, C)`` images, int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    source: str  # what was read, for manifests


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds only numpy arrays / dtypes and builtin containers (the content of CIFAR batch files)."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}  # protocol-2 bytes

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch file")
        if module.startswith("numpy.core."):
            module = "numpy._core." + module[len("numpy.core."):] if hasattr(np, "_core") else module
        return super().find_class(module, name)


def _read_batch(path: Path) -> dict:
    with open(path, "rb") as fh:
        return _ArrayUnpickler(fh, encoding="latin1").load()


def _missing(name: str, root, param: str, folder: Path, missing: list[str], layout: str) -> ConfigError:
    return ConfigError(f"{param}={str(root)!r}: {name} files not found in {folder}: {', '.join(missing)}. Downloads "
                       f"are disabled; put {layout} there (torchvision's layout)")


def read_cifar(root, name: str = "cifar10", verify: bool = True, param: str = "data_root") -> RawImages:
    """CIFAR-10/100 from ``root`` (the folder torchvision's ``root=`` points at); md5-checked unless ``verify=False``.

    ``param`` is the option name that error messages give for ``root`` (``--data-root`` on the command line).
    """
    if name not in CIFAR_FILES:
        raise unknown("CIFAR dataset", name, list(CIFAR_FILES))
    spec = CIFAR_FILES[name]
    folder = Path(root) / spec["folder"]
    files = spec["train"] + spec["test"] + [spec["meta"]]
    missing = [f for f, _ in files if not (folder / f).is_file()]
    if missing:
        raise _missing(name, root, param, folder, missing, f"the python version of {name}")
    if verify:
        for f, md5 in files:
            got = hashlib.md5((folder / f).read_bytes()).hexdigest()
            if got != md5:
                raise ConfigError(f"{folder / f}: md5 {got} does not match the published {md5} (corrupted or not "
                                  f"the official file; pass verify=False to load it anyway)")

    def read(entries):
        xs, ys = [], []
        for f, _ in entries:
            b = _read_batch(folder / f)
            xs.append(np.asarray(b["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            ys.append(np.asarray(b[spec["labels"]], dtype=np.int64))
        return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)

    classes = _read_batch(folder / spec["meta"][0])[spec["names"]]
    xt, yt = read(spec["train"])
    xv, yv = read(spec["test"])
    check = "md5-checked" if verify else "md5 not checked"
    return RawImages(name, xt, yt, xv, yv, len(classes), f"{name} python batches in {folder} ({check})")


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    raw = path.read_bytes()
    if len(raw) < 4 + 4 * ndim or raw[:3] != b"\x00\x00\x08" or raw[3] != ndim:
        raise ConfigError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ConfigError(f"{path}: header says {shape} but holds {body.size} bytes")
    return body.reshape(shape)


def read_mnist(root, param: str = "data_root") -> RawImages:
    """MNIST from the uncompressed IDX files in ``root/MNIST/raw``; images ``(n, 28, 28, 1)``."""
    folder = Path(root) / "MNIST" / "raw"
    missing = [f for f in MNIST_FILES if not (folder / f).is_file()]
    if missing:
        raise _missing("mnist", root, param, folder, missing, "the four uncompressed MNIST IDX files")
    xt, yt, xv, yv = (_read_idx(folder / f, 3 if "images" in f else 1) for f in MNIST_FILES)
    if len(xt) != len(yt) or len(xv) != len(yv):
        raise ConfigError(f"{folder}: image and label files disagree in length ({len(xt)}/{len(yt)}, "
                          f"{len(xv)}/{len(yv)})")
    return RawImages("mnist", np.ascontiguousarray(xt[..., None]), yt.astype(np.int64),
                     np.ascontiguousarray(xv[..., None]), yv.astype(np.int64), 10,
                     f"MNIST IDX files in {folder}")


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: float32 ``(1797, 8, 8)`` images scaled from 0..16 to [0, 1], int64 labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float32) / np.float32(16.0), d.target.astype(np.int64)
