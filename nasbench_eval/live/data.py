"""Image data for the live RMI path: CIFAR-10/100 from existing files, and an offline digits demo.

* CIFAR-10/100: the python-pickle batch layout that ``torchvision.datasets.CIFAR10/100`` reads
  (``<root>/cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta``; ``<root>/cifar-100-python/train, test,
  meta``), with torchvision's own file list and md5 sums. Nothing is ever downloaded; missing files raise a
  :class:`~nasbench_eval.errors.ConfigError` that names them. The batches are read with a restricted unpickler
  that only rebuilds numpy arrays and plain containers (no arbitrary objects).
* digits: scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), upscaled to 32x32 (bilinear),
  3 channels, with a fixed stratified 70/30 train/valid split -- real data that needs no network.

Images are kept as uint8 ``(n, 32, 32, 3)`` arrays; :func:`to_tensor` normalises them with the NB201 statistics
(algorithms spec section 1.6). RMI-NAS (Zheng et al., CVPR 2022) draws one random training batch once.
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError, unknown

__all__ = ["ImageData", "load_data", "load_cifar", "load_digits", "to_tensor", "fixed_batch", "augment", "DATASETS"]

DATASETS = ("cifar10", "cifar100", "digits")
_STATS = {  # NB201 loaders' mean / std (per channel, [0, 1] scale)
    "cifar10": ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255)),
    "cifar100": ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255)),
}


@dataclass(frozen=True)
class ImageData:
    """A train/valid image set: uint8 ``(n, 32, 32, 3)`` images, int64 labels, normalisation statistics."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    num_classes: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    valid_split: str  # what the valid part is (e.g. "official test set"), recorded in checkpoints

    def fingerprint(self) -> str:
        """sha256 prefix of the images, labels and statistics (keys caches and checkpoints)."""
        h = hashlib.sha256(self.name.encode())
        for a in (self.x_train, self.y_train, self.x_valid, self.y_valid, np.asarray(self.mean + self.std)):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]


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


def load_cifar(root, name: str = "cifar10", verify: bool = True) -> ImageData:
    """CIFAR-10/100 from ``root`` (the folder torchvision's ``root=`` points at); valid = the official test set."""
    from torchvision.datasets import (  # the layout and md5 sums torchvision uses
        CIFAR10,
        CIFAR100,
    )

    cls = {"cifar10": CIFAR10, "cifar100": CIFAR100}.get(name)
    if cls is None:
        raise unknown("CIFAR dataset", name, ["cifar10", "cifar100"])
    folder = Path(root) / cls.base_folder
    files = cls.train_list + cls.test_list + [[cls.meta["filename"], cls.meta["md5"]]]
    missing = [f for f, _ in files if not (folder / f).is_file()]
    if missing:
        raise ConfigError(f"--data-root {root!s}: {name} files not found in {folder}: {', '.join(missing)}. "
                          f"Download is disabled; put the python version of {name} there (as torchvision lays it out)")
    if verify:
        for f, md5 in files:
            got = hashlib.md5((folder / f).read_bytes()).hexdigest()
            if got != md5:
                raise ConfigError(f"{folder / f}: md5 {got} does not match torchvision's {md5} (corrupted or not "
                                  f"the official file; pass verify=False to load it anyway)")
    label_key = cls.meta["key"].replace("label_names", "labels")  # CIFAR-10 'labels', CIFAR-100 'fine_labels'

    def read(entries):
        xs, ys = [], []
        for f, _ in entries:
            b = _read_batch(folder / f)
            xs.append(np.asarray(b["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            ys.append(np.asarray(b[label_key], dtype=np.int64))
        return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)

    classes = _read_batch(folder / cls.meta["filename"])[cls.meta["key"]]
    xt, yt = read(cls.train_list)
    xv, yv = read(cls.test_list)
    mean, std = _STATS[name]
    return ImageData(name, xt, yt, xv, yv, len(classes), mean, std, "official test set")


def load_digits(valid_fraction: float = 0.3) -> ImageData:
    """scikit-learn's 8x8 digits upscaled to 32x32x3 uint8, stratified split fixed by a local seed-0 generator."""
    from sklearn.datasets import load_digits as _sk_digits

    d = _sk_digits()
    img = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]  # (n, 1, 8, 8) in [0, 1]
    up = F.interpolate(img, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)
    x = np.round(up.numpy() * 255).astype(np.uint8).repeat(3, axis=1).transpose(0, 2, 3, 1)
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(0)  # a local generator: the split is part of the dataset's definition
    valid = np.zeros(len(y), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(y == c)
        valid[rng.permutation(idx)[: int(round(valid_fraction * len(idx)))]] = True
    xt = np.ascontiguousarray(x[~valid])
    m = float(xt.mean() / 255)
    s = float(xt.std() / 255)
    return ImageData("digits", xt, y[~valid], np.ascontiguousarray(x[valid]), y[valid], 10,
                     (m, m, m), (s, s, s), "fixed stratified 30% of sklearn digits")


def load_data(name: str, root=None, verify: bool = True) -> ImageData:
    """``digits`` (offline) or ``cifar10`` / ``cifar100`` from ``root``."""
    if name == "digits":
        return load_digits()
    if name in ("cifar10", "cifar100"):
        if root is None:
            raise ConfigError(f"dataset {name!r} needs --data-root (a folder holding the torchvision layout)")
        return load_cifar(root, name, verify=verify)
    raise unknown("dataset", name, DATASETS)


def to_tensor(x: np.ndarray, mean, std) -> torch.Tensor:
    """uint8 ``(n, H, W, 3)`` -> normalised float32 ``(n, 3, H, W)``."""
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255.0)
    return (t - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def fixed_batch(data: ImageData, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The one training batch RMI uses: ``size`` distinct training images drawn with ``seed`` (float32, int64)."""
    if not 1 <= size <= len(data.y_train):
        raise ConfigError(f"batch_size must be in 1..{len(data.y_train)} for {data.name}; got {size}")
    idx = np.sort(np.random.default_rng(seed).choice(len(data.y_train), size=size, replace=False))
    return to_tensor(data.x_train[idx], data.mean, data.std), torch.from_numpy(data.y_train[idx])


def augment(x: torch.Tensor, generator: torch.Generator, pad: int = 4, flip: bool = True) -> torch.Tensor:
    """Random crop (zero padding ``pad``) and optional horizontal flip, per sample, from ``generator``."""
    n, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (oy[:, None] + torch.arange(h))[:, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, :]
    out = xp.permute(0, 2, 3, 1)[torch.arange(n)[:, None, None], rows, cols].permute(0, 3, 1, 2)
    if flip:
        f = torch.rand(n, generator=generator) < 0.5
        out = torch.where(f[:, None, None, None], out.flip(3), out)
    return out.contiguous()
