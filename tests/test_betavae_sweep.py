"""Beta-VAE sweep: CLI, Parquet schema, resume, manifest, report files (arXiv 2307.09994)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from nasbench_eval._io import atomic_write_parquet

pytest.importorskip("torch")

from nasbench_eval.studies.betavae import (  # noqa: E402
    COLUMNS,
    SweepConfig,
    run_sweep,
    store,  # noqa: E402
)
from nasbench_eval.cli import main  # noqa: E402

TINY = ["--dataset", "digits", "--betas", "0,2", "--sparsities", "0,0.9", "--seeds", "0,1", "--epochs", "1",
        "--finetune-epochs", "1", "--train-limit", "200", "--latent-dim", "4", "--no-progress"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("bv")
    assert main(["betavae", "sweep", *TINY, "--out", str(out)]) == 0
    return out


def test_cli_writes_parquet_with_documented_schema(swept):
    df = pd.read_parquet(swept / "results.parquet")
    assert tuple(df.columns) == COLUMNS
    assert (df.study == "betavae").all() and (df.dataset == "digits").all() and (df.method == "unstructured").all()
    assert set(df.beta) == {0.0, 2.0} and set(df.seed) == {0, 1} and set(df.sparsity) == {0.0, 0.9}
    assert set(df.source) <= {"test", "val", "train", "weights", "wallclock"}
    assert not df.duplicated(["beta", "seed", "sparsity", "metric", "source"]).any()
    test_acc = df[(df.metric == "accuracy") & (df.source == "test")]
    assert len(test_acc) == 2 * 2 * 2 and test_acc.value.between(0, 1).all()
    ach = df[df.metric == "achieved_sparsity"].groupby("sparsity").value.mean()
    assert ach[0.0] == 0.0 and abs(ach[0.9] - 0.9) < 1e-3
    assert str(df.value.dtype) == "float64" and str(df.seed.dtype) == "int64"


def test_manifest_and_report(swept):
    man = json.loads((swept / "manifest.json").read_text())
    assert man["settings"]["betas"] == [0.0, 2.0] and man["data"]["n_test"] == 360
    assert man["schema"]["columns"] == list(COLUMNS) and "package_version" in man
    assert len(man["cells_done"]) == 4
    report = (swept / "report.md").read_text()
    assert "Test accuracy (%)" in report and "| 2 |" in report
    assert (swept / "accuracy_vs_sparsity.png").stat().st_size > 1000
    assert not list(swept.rglob("*.tmp*"))  # atomic writes leave no temporaries


def test_resume_skips_finished_cells_and_adds_new_ones(swept, monkeypatch):
    import nasbench_eval.studies.betavae.sweep as sweep_mod

    before = pd.read_parquet(swept / "results.parquet")
    calls = []
    real = sweep_mod.run_beta_seed
    monkeypatch.setattr(sweep_mod, "run_beta_seed", lambda cfg, s, b, seed: calls.append((b, seed)) or real(cfg, s, b, seed))
    assert main(["betavae", "sweep", *TINY, "--out", str(swept)]) == 0
    assert calls == []  # everything was done already
    pd.testing.assert_frame_equal(before, pd.read_parquet(swept / "results.parquet"))
    # growing the seed list runs only the new cells
    grown = [a if a != "0,1" else "0,1,2" for a in TINY]
    assert main(["betavae", "sweep", *grown, "--out", str(swept)]) == 0
    assert sorted(calls) == [(0.0, 2), (2.0, 2)]
    assert json.loads((swept / "manifest.json").read_text())["settings"]["seeds"] == [0, 1, 2]
    assert len(pd.read_parquet(swept / "results.parquet")) == len(before) * 3 // 2


def test_resume_refuses_different_settings(swept):
    cfg = SweepConfig(betas=(0.0,), seeds=(0,), sparsities=(0.0, 0.9), epochs=5, finetune_epochs=1,
                      train_limit=200, latent_dim=4)
    with pytest.raises(Exception, match=r"different settings \(epochs: was 1, now 5\)"):
        run_sweep(cfg, swept, progress=False)


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "x.parquet"
    atomic_write_parquet(p, store.tidy([]))
    assert tuple(pd.read_parquet(p).columns) == COLUMNS
    assert [f.name for f in tmp_path.iterdir()] == ["x.parquet"]


@pytest.mark.parametrize("args, msg", [
    (["--dataset", "svhn"], "unknown dataset 'svhn'; allowed: digits, mnist-5k, mnist, cifar10"),
    (["--sparsities", "0,1.2"], r"sparsities (each sparsity) must be in [0.0, 1.0); got 1.2"),
    (["--sparsities", "0,half"], "--sparsities must be comma-separated numbers; got '0,half'"),
    (["--seeds", "1.5"], "--seeds must be comma-separated integers; got '1.5'"),
    (["--dataset", "cifar10", "--data-root", "/nonexistent"], "data_root='/nonexistent': cifar10 files not found in"),
])
def test_cli_bad_arguments_exit_2_with_clear_message(args, msg, tmp_path, capsys):
    rc = main(["betavae", "sweep", "--out", str(tmp_path / "o"), "--no-progress", *args])
    assert rc == 2
    assert msg in capsys.readouterr().err
