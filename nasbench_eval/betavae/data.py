"""Image classification data for the Beta-VAE study: train / validation / test splits as in-memory tensors.

* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, pixel values 0..16 scaled to [0, 1]); stratified
  split with ``split_seed`` into test 20 %, validation 15 % of the rest, train the remainder.
* ``mnist`` / ``cifar10``: torchvision files under ``data_root`` (``download=False``, no network). The official
  test set is the test split; the last 5,000 images (10 % if the training set is smaller than 50,000) of a
  ``split_seed`` permutation of the official training set are the validation split, the rest is train.

The split never depends on the model seed, so every (beta, seed) cell sees the same test images.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ConfigError, unknown

VALID_SIZE = 5000


@dataclass(frozen=True)
class Splits:
    """Float images in [0, 1] shaped (N, C, H, W) and int64 labels, per split."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str
    source: str
    n_classes: int

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    def describe(self) -> dict:
        """JSON-able description for the manifest."""
        return {"dataset": self.name, "source": self.source, "image_shape": list(self.image_shape),
                "n_classes": self.n_classes, "n_train": len(self.y_train), "n_val": len(self.y_val),
                "n_test": len(self.y_test)}


def _digits(split_seed: int) -> Splits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = d.target.astype(np.int64)
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=split_seed)
    train, val = train_test_split(rest, test_size=0.15, stratify=y[rest], random_state=split_seed)
    t = torch.from_numpy
    return Splits(t(x[train]), t(y[train]), t(x[val]), t(y[val]), t(x[test]), t(y[test]), "digits",
                  "sklearn.datasets.load_digits (bundled, 1797 images 8x8)", 10)


def _torchvision(name: str, root: str, split_seed: int) -> Splits:
    import torchvision

    cls = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10}[name]
    try:
        train_set = cls(root, train=True, download=False)
        test_set = cls(root, train=False, download=False)
    except RuntimeError as exc:
        layout = "MNIST/raw/*-ubyte" if name == "mnist" else "cifar-10-batches-py/"
        raise ConfigError(f"dataset {name!r} not found under data_root={root!r} (expected torchvision's layout, "
                          f"e.g. {root}/{layout}; downloads are disabled): {exc}") from None

    def arrays(ds):
        data = ds.data.numpy() if isinstance(ds.data, torch.Tensor) else np.asarray(ds.data)
        x = data.astype(np.float32) / 255.0
        x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(x), np.asarray(ds.targets, dtype=np.int64)

    x, y = arrays(train_set)
    xt, yt = arrays(test_set)
    perm = np.random.default_rng(split_seed).permutation(len(y))
    n_val = min(VALID_SIZE, len(y) // 10)
    train, val = perm[:-n_val], perm[-n_val:]
    t = torch.from_numpy
    return Splits(t(x[train]), t(y[train]), t(x[val]), t(y[val]), t(xt), t(yt), name,
                  f"torchvision.datasets.{cls.__name__}(root={root!r}, download=False)", 10)


def load_splits(dataset: str, data_root: str | None = None, split_seed: int = 0,
                train_limit: int | None = None) -> Splits:
    """Load ``dataset`` ('digits', 'mnist', 'cifar10') as train/val/test tensors.

    ``train_limit`` keeps only the first N images of the (already shuffled) train split, for quick runs; the
    validation and test splits are never cut.
    """
    if dataset == "digits":
        s = _digits(split_seed)
    elif dataset in ("mnist", "cifar10"):
        if not data_root:
            raise ConfigError(f"data_root is required for dataset {dataset!r}; got {data_root!r}")
        s = _torchvision(dataset, data_root, split_seed)
    else:
        raise unknown("dataset", dataset, ("digits", "mnist", "cifar10"))
    if train_limit is not None and train_limit < len(s.y_train):
        s = Splits(s.x_train[:train_limit], s.y_train[:train_limit], s.x_val, s.y_val, s.x_test, s.y_test,
                   s.name, s.source + f", train split cut to first {train_limit}", s.n_classes)
    return s
