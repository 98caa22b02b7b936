"""Data loaders of the live path: CIFAR python-batch files written here, and the offline digits demo."""
import hashlib
import pickle

import numpy as np
import pytest

from nasbench_eval.errors import ConfigError, UnknownNameError
from nasbench_eval.live.data import fixed_batch, load_cifar, load_data, load_digits


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
    with pytest.raises(ConfigError, match="data_batch_1.*Download is disabled"):
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
