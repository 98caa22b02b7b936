"""Beta-VAE study: loss, pruning, determinism, latent measures, config validation (arXiv 2307.09994)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.studies.betavae import (  # noqa: E402
    SweepConfig,
    achieved_sparsity,
    apply_pruning,
    betavae_loss,
    build_model,
    is_permanent,
    latent_metrics,
    make_permanent,
    validate,
)
from nasbench_eval.live.data import load_splits  # noqa: E402
from nasbench_eval.studies.betavae.sweep import generator, run_beta_seed, torch_threads  # noqa: E402
from nasbench_eval.errors import ConfigError, UnknownNameError  # noqa: E402


def _model(seed=0, shape=(1, 8, 8)):
    return build_model(shape, 10, 6, generator(seed, 0))


def _batch(n=16):
    g = torch.Generator().manual_seed(123)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_beta_zero_has_no_kl_term_and_no_kl_gradient():
    model = _model()
    x, y = _batch()
    logits, x_logits, mu, logvar = model(x, sample=False)
    terms = betavae_loss(logits, x_logits, mu, logvar, x, y, beta=0.0, recon_weight=0.0)
    assert "kl" not in terms
    assert torch.equal(terms["total"], terms["ce"])
    terms["total"].backward()
    assert model.fc_logvar.weight.grad is None  # logvar head untouched by the beta = 0 loss
    assert model.decoder[0].weight.grad is None  # and the decoder too when recon weight is 0


def test_loss_decomposes_into_weighted_terms():
    model = _model()
    x, y = _batch()
    out = model(x, generator=torch.Generator().manual_seed(1))
    t = betavae_loss(*out, x, y, beta=4.0, recon_weight=0.5, ce_weight=3.0)
    assert t["kl"] > 0
    assert torch.allclose(t["total"], 0.5 * t["recon"] + 4.0 * t["kl"] + 3.0 * t["ce"])


def test_sampling_requires_an_explicit_generator():
    with pytest.raises(ValueError, match="Generator"):
        _model()(_batch()[0], sample=True)


def test_initial_weights_depend_only_on_seed_and_leave_global_rng_alone():
    before = torch.random.get_rng_state()
    a, b, c = _model(0), _model(0), _model(1)
    assert torch.equal(before, torch.random.get_rng_state())
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["fc_mu.weight"], sc["fc_mu.weight"])


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 0.95])
def test_global_unstructured_reaches_requested_sparsity_and_is_permanent(sparsity):
    model = _model(shape=(1, 28, 28))
    apply_pruning(model, sparsity, "unstructured")
    assert not is_permanent(model)
    make_permanent(model)
    assert is_permanent(model)
    assert not any(n.endswith(("_orig", "_mask")) for n, _ in model.named_parameters())
    assert not any(n.endswith("_mask") for n, _ in model.named_buffers())
    assert all(not m._forward_pre_hooks for m in model.modules())
    frac, zeros, total = achieved_sparsity(model)
    assert abs(frac - sparsity) <= 1.0 / total + 1e-9
    assert model.fc_logvar.weight.ne(0).all() and model.decoder[0].weight.ne(0).all()  # off-path stays dense


def test_structured_prunes_whole_rows_except_output_layer():
    model = _model()
    apply_pruning(model, 0.5, "structured")
    make_permanent(model)
    conv = model.encoder[0].weight
    zero_rows = (conv.flatten(1) == 0).all(1)
    assert int(zero_rows.sum()) == round(0.5 * conv.shape[0])
    assert model.classifier[-1].weight.ne(0).all()
    frac, _, _ = achieved_sparsity(model)
    assert 0.3 < frac <= 0.5


def test_fine_tuning_keeps_pruned_weights_at_zero():
    from nasbench_eval.studies.betavae import fit
    s = load_splits("digits", train_limit=200)
    model = build_model(s.image_shape, 10, 6, generator(0, 0))
    apply_pruning(model, 0.9, "unstructured")
    with torch_threads(1):
        fit(model, s.x_train, s.y_train, s.x_val, s.y_val, beta=1.0, recon_weight=1.0, epochs=2, lr=1e-2,
            batch_size=64, generator=generator(0, 2), include_start=True)
    make_permanent(model)
    assert abs(achieved_sparsity(model)[0] - 0.9) < 1e-3


def test_sparsity_outside_unit_interval_is_rejected():
    with pytest.raises(ConfigError, match=r"sparsity must be in \[0, 1\); got 1.0"):
        apply_pruning(_model(), 1.0)


def _tiny_cfg(**kw):
    base = dict(betas=(0.0, 2.0), sparsities=(0.0, 0.8), seeds=(0,), epochs=2, finetune_epochs=1,
                train_limit=300)
    return SweepConfig(**{**base, **kw})


def test_same_seed_gives_identical_numbers_and_other_seed_differs():
    s = load_splits("digits", train_limit=300)
    cfg = _tiny_cfg()
    with torch_threads(1):
        a = run_beta_seed(cfg, s, 2.0, 0)
        b = run_beta_seed(cfg, s, 2.0, 0)
        c = run_beta_seed(cfg, s, 2.0, 1)
    key = lambda rows: [(r["sparsity"], r["metric"], r["source"], repr(r["value"]))  # noqa: E731
                        for r in rows if r["source"] != "wallclock"]  # repr: nan == nan
    assert key(a) == key(b)
    assert key(a) != key(c)


def test_latent_metrics_on_known_codes():
    rng = np.random.default_rng(0)
    ind = rng.normal(size=(5000, 4))
    m = latent_metrics(ind, np.zeros_like(ind))
    assert m["active_units_var"] == 4 and m["mean_abs_offdiag_corr"] < 0.05
    assert m["gaussian_total_correlation"] < 0.01
    red = np.column_stack([ind[:, 0], ind[:, 0] + 0.1 * ind[:, 1], np.zeros(5000)])
    m2 = latent_metrics(red, np.zeros_like(red))
    assert m2["active_units_var"] == 2 and m2["mean_abs_offdiag_corr"] > 0.9
    assert m2["gaussian_total_correlation"] > 1.0
    assert latent_metrics(np.zeros((10, 3)), np.zeros((10, 3)))["active_units_kl"] == 0


@pytest.mark.parametrize("kw, match, exc", [
    ({"dataset": "svhn"}, "unknown dataset 'svhn'; allowed: digits, mnist-5k, mnist, cifar10", UnknownNameError),
    ({"sparsities": (0.5, 1.0)}, r"sparsities \(each sparsity\) must be in \[0.0, 1.0\); got 1.0", ConfigError),
    ({"sparsities": (-0.1,)}, r"must be in \[0.0, 1.0\); got -0.1", ConfigError),
    ({"betas": (-1.0,)}, r"betas \(each beta\) must be in \[0.0, inf\); got -1.0", ConfigError),
    ({"method": "random"}, "unknown method 'random'; allowed: unstructured, structured", UnknownNameError),
    ({"seeds": ()}, "seeds must list at least one value", ConfigError),
    ({"epochs": 0}, r"epochs must be in \[1, inf\); got 0", ConfigError),
    ({"dataset": "mnist"}, "data_root is required for dataset 'mnist'", ConfigError),
])
def test_bad_settings_name_the_parameter(kw, match, exc):
    with pytest.raises(exc, match=match):
        validate(SweepConfig(**kw))


def test_unknown_names_are_also_config_errors_for_the_cli():
    assert issubclass(UnknownNameError, ValueError)


def test_missing_torchvision_files_give_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="data_root=.*mnist files not found in .*MNIST.raw.*Downloads are disabled"):
        load_splits("mnist", data_root=str(tmp_path))


def test_torch_threads_restores_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_package_import_does_not_load_torch():
    code = ("import sys, nasbench_eval.studies.betavae, nasbench_eval.studies.betavae.config, nasbench_eval.cli.betavae;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _write_idx(path, arr):
    import struct
    arr = np.asarray(arr, dtype=np.uint8)
    code = 0x0803 if arr.ndim == 3 else 0x0801
    with open(path, "wb") as fh:
        fh.write(struct.pack(">I", code) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes())


def test_mnist_loader_reads_torchvision_files_without_download(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 120), ("t10k", 30)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))
    s = load_splits("mnist", data_root=str(tmp_path))
    assert s.image_shape == (1, 28, 28) and (len(s.y_train), len(s.y_val), len(s.y_test)) == (108, 12, 30)
    assert 0.0 <= float(s.x_train.min()) and float(s.x_train.max()) <= 1.0
    model = build_model(s.image_shape, 10, 4, generator(0, 0))
    assert model(s.x_test[:5], sample=False)[0].shape == (5, 10)
