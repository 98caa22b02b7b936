"""Data loaders of the live path: CIFAR python-batch files written here, and the offline digits demo."""
import hashlib
import pickle

import numpy as np
import pytest
import torch

from nasbench_eval.errors import ConfigError, UnknownNameError
from nasbench_eval.live.data import (
    augment,
    cifar10_splits,
    fixed_batch,
    load_cifar,
    load_data,
    load_digits,
    load_splits,
    read_mnist,
)


def _write_cifar10(root, per_batch=3):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        with open(folder / name, "wb") as fh:
            pickle.dump({"batch_label": name, "labels": labels, "data": data,
                         "filenames": ["x.png"] * per_batch}, fh, protocol=2)
        images[name] = (data, labels)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)], "num_vis": 3072}, fh, protocol=2)
    return images


def test_cifar10_loader_reads_the_torchvision_layout(tmp_path):
    images = _write_cifar10(tmp_path)
    d = load_cifar(tmp_path, "cifar10", verify=False)
    assert d.x_train.shape == (15, 32, 32, 3) and d.x_valid.shape == (3, 32, 32, 3)
    assert d.num_classes == 10 and d.valid_split == "official test set"
    raw, labels = images["data_batch_1"]
    # row layout: 1024 red, 1024 green, 1024 blue values, each row-major 32x32
    assert np.array_equal(d.x_train[0, :, :, 0], raw[0, :1024].reshape(32, 32))
    assert np.array_equal(d.x_train[0, :, :, 2], raw[0, 2048:].reshape(32, 32))
    assert d.y_train[:3].tolist() == labels
    assert d.y_valid.tolist() == images["test_batch"][1]
    x, y = fixed_batch(d, 8, seed=0)
    assert x.shape == (8, 3, 32, 32) and y.shape == (8,)


def test_cifar_md5_check_and_missing_files_give_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="data_batch_1.*Downloads are disabled"):
        load_cifar(tmp_path, "cifar10")
    _write_cifar10(tmp_path)
    with pytest.raises(ConfigError, match="md5"):
        load_cifar(tmp_path, "cifar10")
    with pytest.raises(ConfigError, match="cifar-100-python"):
        load_data("cifar100", tmp_path)
    with pytest.raises(ConfigError, match="--data-root"):
        load_data("cifar10")
    with pytest.raises(UnknownNameError, match="digits"):
        load_data("mnist")


def test_cifar100_layout_and_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name, n in (("train", 6), ("test", 2)):
        with open(folder / name, "wb") as fh:
            pickle.dump({"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "fine_labels": [99] * n,
                         "coarse_labels": [0] * n}, fh)
    with open(folder / "meta", "wb") as fh:
        pickle.dump({"fine_label_names": [f"f{i}" for i in range(100)], "coarse_label_names": ["c"] * 20}, fh)
    d = load_cifar(tmp_path, "cifar100", verify=False)
    assert d.num_classes == 100 and d.x_train.shape == (6, 32, 32, 3) and set(d.y_train) == {99}


def test_batch_files_cannot_unpickle_arbitrary_objects(tmp_path):
    _write_cifar10(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as fh:
        pickle.dump({"data": Evil(), "labels": []}, fh)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_cifar(tmp_path, "cifar10", verify=False)


def test_digits_demo_is_real_deterministic_and_split():
    a, b = load_digits(), load_digits()
    assert a.x_train.shape[1:] == (32, 32, 3) and a.x_train.dtype == np.uint8
    assert len(a.y_train) + len(a.y_valid) == 1797
    assert a.fingerprint() == b.fingerprint()
    assert sorted(set(a.y_valid)) == list(range(10))
    train = {hashlib.sha1(x.tobytes()).hexdigest() for x in a.x_train}
    assert sum(hashlib.sha1(x.tobytes()).hexdigest() in train for x in a.x_valid) < 5  # sklearn has few duplicates
    x1, y1 = fixed_batch(a, 32, seed=3)
    x2, y2 = fixed_batch(a, 32, seed=3)
    assert (x1 == x2).all() and (y1 == y2).all()
    assert abs(float(x1.mean())) < 0.5
    with pytest.raises(ConfigError, match="batch_size"):
        fixed_batch(a, 10_000, seed=0)


def test_every_cifar_consumer_uses_the_restricted_unpickler_and_md5(tmp_path):
    """Supernet search splits and the Beta-VAE study read CIFAR through the same checked reader as RMI."""
    images = _write_cifar10(tmp_path, per_batch=4)
    with pytest.raises(ConfigError, match="md5"):
        cifar10_splits(str(tmp_path))
    with pytest.raises(ConfigError, match="md5"):
        load_splits("cifar10", str(tmp_path))
    d = cifar10_splits(str(tmp_path), seed=0, verify=False)
    s = load_splits("cifar10", str(tmp_path), verify=False)
    assert len(d["train"][1]) + len(d["valid"][1]) == 20 and len(d["test"][1]) == 4
    raw = images["test_batch"][0][0]  # first official test image, channel-major 3x1024
    expect = raw.reshape(3, 32, 32).astype(np.float32) / 255.0
    assert np.allclose(s.x_test[0].numpy(), expect) and s.y_test.tolist() == images["test_batch"][1]
    assert np.allclose(d["test"][0][0, 0].numpy() * 0.2470 + 0.4914, expect[0], atol=1e-6)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with open(tmp_path / "cifar-10-batches-py" / "data_batch_2", "wb") as fh:
        pickle.dump({"data": Evil(), "labels": []}, fh)
    for read in (lambda: cifar10_splits(str(tmp_path), verify=False),
                 lambda: load_splits("cifar10", str(tmp_path), verify=False)):
        with pytest.raises(pickle.UnpicklingError, match="refusing"):
            read()


def test_mnist_idx_header_is_checked(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    with pytest.raises(ConfigError, match="train-images-idx3-ubyte.*Downloads are disabled"):
        read_mnist(tmp_path)
    for prefix in ("train", "t10k"):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big")
                                                          + (28).to_bytes(4, "big") * 2 + bytes(2 * 784))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"\x03\x07")
    m = read_mnist(tmp_path)
    assert m.x_train.shape == (2, 28, 28, 1) and m.y_test.tolist() == [3, 7]
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"\x03\x07")
    with pytest.raises(ConfigError, match="header says"):
        read_mnist(tmp_path)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x80\x02}q\x00.")  # a pickle is not an IDX file
    with pytest.raises(ConfigError, match="not an IDX file"):
        read_mnist(tmp_path)


def test_augment_crop_flip_cutout_are_seeded_and_exact():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).reshape(2, 3, 6, 6)
    a = augment(x, torch.Generator().manual_seed(1), pad=2, flip=True, cutout=2)
    b = augment(x, torch.Generator().manual_seed(1), pad=2, flip=True, cutout=2)
    assert torch.equal(a, b) and a.shape == x.shape
    assert torch.equal(augment(x, torch.Generator(), pad=0, flip=False), x)
    # a crop of the zero-padded image: every non-zero value of a sample is a value of that sample
    c = augment(x, torch.Generator().manual_seed(3), pad=2, flip=False)
    for i in range(2):
        assert set(c[i][c[i] != 0].tolist()) <= set(x[i].flatten().tolist())
    # cutout alone zeroes one 2x2 square per sample (clipped at the border), the same in every channel
    z = augment(x + 1, torch.Generator().manual_seed(4), pad=0, flip=False, cutout=2)
    for i in range(2):
        hole = (z[i, 0] == 0).nonzero()
        rows, cols = sorted(set(hole[:, 0].tolist())), sorted(set(hole[:, 1].tolist()))
        assert 1 <= len(rows) <= 2 and 1 <= len(cols) <= 2 and len(hole) == len(rows) * len(cols)
        assert rows == list(range(rows[0], rows[-1] + 1)) and cols == list(range(cols[0], cols[-1] + 1))
    assert torch.equal((z[:, 0] == 0), (z[:, 2] == 0)) and torch.equal(z[z != 0], (x + 1)[z != 0])
