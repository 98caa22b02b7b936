"""Image data of the RMI path: CIFAR-10/100 (valid = the official test set) and an offline digits demo.

* CIFAR-10/100: read by :func:`.files.read_cifar` (restricted unpickler, md5 sums; never downloaded).
* digits: scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), upscaled to 32x32 (bilinear),
  3 channels, with a fixed stratified 70/30 train/valid split -- real data that needs no network.
* mnist-5k: 5,000 real MNIST images at their own 28x28 (the ``mnist`` extra, :mod:`.mnist5k`), 3 channels; train =
  the fixed split's train + validation parts (4,000), valid = its 1,000-image test part.

Images are kept as uint8 ``(n, 32, 32, 3)`` arrays; :func:`to_tensor` normalises them with the per-channel
statistics of the NAS-Bench-201 data loaders (Dong & Yang, ICLR 2020). RMI-NAS (Zheng et al., CVPR 2022) draws one
random training batch once (:func:`fixed_batch`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import ConfigError, unknown
from .files import read_cifar, read_digits
from .mnist5k import read_mnist5k, split_indices

__all__ = ["ImageData", "load_data", "load_cifar", "load_digits", "load_mnist5k", "to_tensor", "fixed_batch",
           "DATASETS"]

DATASETS = ("cifar10", "cifar100", "digits", "mnist-5k")
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


def load_cifar(root, name: str = "cifar10", verify: bool = True) -> ImageData:
    """CIFAR-10/100 from ``root`` (the folder torchvision's ``root=`` points at); valid = the official test set."""
    raw = read_cifar(root, name, verify=verify, param="--data-root")
    mean, std = _STATS[name]
    return ImageData(name, raw.x_train, raw.y_train, raw.x_test, raw.y_test, raw.num_classes, mean, std,
                     "official test set")


def load_digits(valid_fraction: float = 0.3) -> ImageData:
    """scikit-learn's 8x8 digits upscaled to 32x32x3 uint8, stratified split fixed by a local seed-0 generator."""
    images, y = read_digits()
    img = torch.from_numpy(images)[:, None]  # (n, 1, 8, 8) in [0, 1]
    up = F.interpolate(img, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)
    x = np.round(up.numpy() * 255).astype(np.uint8).repeat(3, axis=1).transpose(0, 2, 3, 1)
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


def load_mnist5k() -> ImageData:
    """mnist-5k at 28x28, grey repeated to 3 channels; train = split train + val (4,000), valid = split test (1,000)."""
    raw = read_mnist5k()
    part = split_indices(raw.labels, seed=0)
    x = np.repeat(raw.images[..., None], 3, axis=3)
    tr = np.sort(np.concatenate([part["train"], part["val"]]))
    xt = np.ascontiguousarray(x[tr])
    m, s = float(xt.mean() / 255), float(xt.std() / 255)
    return ImageData("mnist-5k", xt, raw.labels[tr], np.ascontiguousarray(x[part["test"]]), raw.labels[part["test"]],
                     10, (m, m, m), (s, s, s), "fixed stratified 1,000-image test split of mnist-5k (seed 0)")


def load_data(name: str, root=None, verify: bool = True) -> ImageData:
    """``digits`` / ``mnist-5k`` (offline) or ``cifar10`` / ``cifar100`` from ``root``."""
    if name == "digits":
        return load_digits()
    if name == "mnist-5k":
        return load_mnist5k()
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
