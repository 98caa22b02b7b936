"""The one data module of the live side (RMI, supernets, studies): read image files, split, batch, augment.

* :mod:`.files`    -- CIFAR-10/100 (restricted unpickler + md5), MNIST (IDX), sklearn digits; numpy only, no download.
* :mod:`.mnist5k`  -- mnist-5k: 5,000 real MNIST images from the ``mnist`` extra (sha256-checked), its fixed split.
* :mod:`.images`   -- the RMI path's uint8 :class:`ImageData` (train / valid), normalisation, the one fixed batch.
* :mod:`.splits`   -- train / valid / test tensors for the supernet search and the Beta-VAE study.
* :mod:`.batching` -- seeded mini-batches and crop / flip / cutout augmentation.
"""
from .batching import augment, batches
from .files import RawImages, read_cifar, read_digits, read_mnist
from .images import DATASETS, ImageData, fixed_batch, load_cifar, load_data, load_digits, load_mnist5k, to_tensor
from .mnist5k import read_mnist5k
from .splits import Splits, cifar10_splits, digits_splits, load_splits, mnist5k_splits

__all__ = ["DATASETS", "ImageData", "RawImages", "Splits", "augment", "batches", "cifar10_splits", "digits_splits",
           "fixed_batch", "load_cifar", "load_data", "load_digits", "load_mnist5k", "load_splits", "mnist5k_splits",
           "read_cifar", "read_digits", "read_mnist", "read_mnist5k", "to_tensor"]
