"""The one data module of the live side (RMI, supernets, studies): read image files, split, batch, augment.

* :mod:`.files`    -- CIFAR-10/100 (restricted unpickler + md5), MNIST (IDX), sklearn digits; numpy only, no download.
* :mod:`.images`   -- the RMI path's uint8 :class:`ImageData` (train / valid), normalisation, the one fixed batch.
* :mod:`.splits`   -- train / valid / test tensors for the supernet search and the Beta-VAE study.
* :mod:`.batching` -- seeded mini-batches and crop / flip / cutout augmentation.
"""
from .batching import augment, batches
from .files import RawImages, read_cifar, read_digits, read_mnist
from .images import DATASETS, ImageData, fixed_batch, load_cifar, load_data, load_digits, to_tensor
from .splits import Splits, cifar10_splits, digits_splits, load_splits

__all__ = ["DATASETS", "ImageData", "RawImages", "Splits", "augment", "batches", "cifar10_splits", "digits_splits",
           "fixed_batch", "load_cifar", "load_data", "load_digits", "load_splits", "read_cifar", "read_digits",
           "read_mnist", "to_tensor"]
