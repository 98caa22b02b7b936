"""Train / valid / test splits as in-memory float tensors, for the supernet search and the Beta-VAE study.

Supernet search (:func:`digits_splits`, :func:`cifar10_splits`): search trains the supernet weights on ``train`` and
ranks architectures on ``valid`` -- the two 25k halves of the CIFAR-10 training set, as in DARTS (Liu et al., ICLR
2019) and EvNAS (Sinha & Chen, arXiv 2012.12540); final training uses train+valid vs ``test``. Images are
normalised (DARTS CIFAR-10 statistics; digits: global mean / std).

Supernet search on ``mnist-5k`` (:func:`mnist5k_splits`): the fixed stratified 3,500 / 500 / 1,000 split of
:mod:`.mnist5k` (seed 0) as train / valid / test, 28x28 (resized when asked), grey repeated to 3 channels,
normalised by the train part's global mean / std.

Beta-VAE study (:func:`load_splits`): images in [0, 1], unnormalised; ``digits`` stratified (test 20 %, validation
15 % of the rest); ``mnist-5k``: the stratified 3,500 / 500 / 1,000 split of :mod:`.mnist5k` drawn with
``split_seed``; ``mnist`` / ``cifar10``: official test set, the last 5,000 images (10 % if the training set is
smaller than 50,000) of a ``split_seed`` permutation of the training set as validation. The split never depends on
the model seed, so every (beta, seed) cell sees the same test images.

All files are read by :mod:`.files` (CIFAR through the restricted unpickler and md5 sums; never downloaded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import ConfigError, unknown
from .files import RawImages, read_cifar, read_digits, read_mnist
from .mnist5k import read_mnist5k, split_indices

__all__ = ["digits_splits", "cifar10_splits", "mnist5k_splits", "Splits", "load_splits", "DARTS_C10_MEAN", "DARTS_C10_STD",
           "VALID_SIZE"]

DARTS_C10_MEAN = (0.4914, 0.4822, 0.4465)
DARTS_C10_STD = (0.2470, 0.2435, 0.2616)
VALID_SIZE = 5000


# ------------------------------------------------------------------------------------------------ supernet search
def digits_splits(seed: int = 0, size: int = 32, fractions=(0.5, 0.25)) -> dict:
    """``{'train': (x, y), 'valid': (x, y), 'test': (x, y), 'num_classes': 10}``; x float32 (n, 3, size, size).

    The digits upscaled to ``size`` (bilinear), 3 channels, normalised by the global mean / std, split by a
    ``seed`` permutation into ``fractions`` (train, valid; the rest is test).
    """
    images, labels = read_digits()
    x = torch.from_numpy(images)[:, None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    x = (x - x.mean()) / x.std()
    y = torch.from_numpy(labels)
    perm = torch.as_tensor(np.random.default_rng(seed).permutation(len(y)))
    n_tr, n_va = int(fractions[0] * len(y)), int(fractions[1] * len(y))
    parts = {"train": perm[:n_tr], "valid": perm[n_tr:n_tr + n_va], "test": perm[n_tr + n_va:]}
    out = {k: (x[v], y[v]) for k, v in parts.items()}
    out["num_classes"] = 10
    return out


def cifar10_splits(root: str, seed: int = 0, verify: bool = True) -> dict:
    """CIFAR-10 from ``root`` (torchvision layout ``cifar-10-batches-py``): search halves of the training set
    (a ``seed`` permutation), the official test set as ``test``; DARTS normalisation."""
    raw = read_cifar(root, "cifar10", verify=verify, param="--data-root")
    mean, std = torch.tensor(DARTS_C10_MEAN)[:, None, None], torch.tensor(DARTS_C10_STD)[:, None, None]

    def conv(x, y):
        x = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0
        return (x - mean) / std, torch.from_numpy(y)

    (x, y), test = conv(raw.x_train, raw.y_train), conv(raw.x_test, raw.y_test)
    perm = torch.as_tensor(np.random.default_rng(seed).permutation(len(y)))
    half = len(y) // 2
    return {"train": (x[perm[:half]], y[perm[:half]]), "valid": (x[perm[half:]], y[perm[half:]]),
            "test": test, "num_classes": 10}


def mnist5k_splits(size: int = 28, split_seed: int = 0) -> dict:
    """mnist-5k as ``{'train', 'valid', 'test': (x, y), 'num_classes': 10}``; x float32 (n, 3, size, size).

    train / valid / test are the 3,500 / 500 / 1,000 stratified split (``split_seed``, default 0); images are
    resized (bilinear) only when ``size`` != 28 and normalised by the train part's global mean / std.
    """
    raw = read_mnist5k()
    part = split_indices(raw.labels, seed=split_seed)
    x = torch.from_numpy(raw.images).float().div_(255.0)[:, None]
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    train = torch.as_tensor(part["train"])
    x = ((x - x[train].mean()) / x[train].std()).repeat(1, 3, 1, 1)
    y = torch.from_numpy(raw.labels)
    out = {k: (x[torch.as_tensor(part[v])], y[torch.as_tensor(part[v])])
           for k, v in (("train", "train"), ("valid", "val"), ("test", "test"))}
    out["num_classes"] = 10
    return out


# ------------------------------------------------------------------------------------------------ Beta-VAE study
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


def _study_digits(split_seed: int) -> Splits:
    from sklearn.model_selection import train_test_split

    images, y = read_digits()
    x = images[:, None, :, :]
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=split_seed)
    train, val = train_test_split(rest, test_size=0.15, stratify=y[rest], random_state=split_seed)
    t = torch.from_numpy
    return Splits(t(x[train]), t(y[train]), t(x[val]), t(y[val]), t(x[test]), t(y[test]), "digits",
                  "sklearn.datasets.load_digits (bundled, 1797 images 8x8)", 10)


def _study_mnist5k(split_seed: int) -> Splits:
    raw = read_mnist5k()
    part = split_indices(raw.labels, seed=split_seed)
    x = raw.images[:, None].astype(np.float32) / np.float32(255.0)
    t = torch.from_numpy
    get = {p: (t(np.ascontiguousarray(x[i])), t(raw.labels[i])) for p, i in part.items()}
    return Splits(*get["train"], *get["val"], *get["test"], "mnist-5k",
                  f"{raw.source}; stratified 3,500/500/1,000 split, split seed {split_seed}", 10)


def _study_files(raw: RawImages, split_seed: int) -> Splits:
    def arrays(x, y):
        return np.ascontiguousarray((x.astype(np.float32) / 255.0).transpose(0, 3, 1, 2)), y

    x, y = arrays(raw.x_train, raw.y_train)
    xt, yt = arrays(raw.x_test, raw.y_test)
    perm = np.random.default_rng(split_seed).permutation(len(y))
    n_val = min(VALID_SIZE, len(y) // 10)
    train, val = perm[:-n_val], perm[-n_val:]
    t = torch.from_numpy
    return Splits(t(x[train]), t(y[train]), t(x[val]), t(y[val]), t(xt), t(yt), raw.name, raw.source,
                  raw.num_classes)


def load_splits(dataset: str, data_root: str | None = None, split_seed: int = 0,
                train_limit: int | None = None, verify: bool = True) -> Splits:
    """Load ``dataset`` ('digits', 'mnist-5k', 'mnist', 'cifar10') as train/val/test tensors.

    ``train_limit`` keeps only the first N images of the (already shuffled) train split, for quick runs; the
    validation and test splits are never cut. ``verify`` checks the CIFAR-10 md5 sums.
    """
    if dataset == "digits":
        s = _study_digits(split_seed)
    elif dataset == "mnist-5k":
        s = _study_mnist5k(split_seed)
    elif dataset in ("mnist", "cifar10"):
        if not data_root:
            raise ConfigError(f"data_root is required for dataset {dataset!r}; got {data_root!r}")
        raw = read_mnist(data_root) if dataset == "mnist" else read_cifar(data_root, "cifar10", verify=verify)
        s = _study_files(raw, split_seed)
    else:
        raise unknown("dataset", dataset, ("digits", "mnist-5k", "mnist", "cifar10"))
    if train_limit is not None and train_limit < len(s.y_train):
        s = Splits(s.x_train[:train_limit], s.y_train[:train_limit], s.x_val, s.y_val, s.x_test, s.y_test,
                   s.name, s.source + f", train split cut to first {train_limit}", s.n_classes)
    return s
