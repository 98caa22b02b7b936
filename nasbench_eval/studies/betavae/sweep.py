"""The Beta-VAE pruning sweep: one model per (beta, seed), pruned at every sparsity, measured, stored.

For each cell (beta, seed): build the model from a generator seeded by ``seed`` (the same initial weights for
every beta: a paired design), train ``epochs`` epochs on the train split keeping the best epoch by validation
accuracy; then for each sparsity, start from a copy of that trained model, prune (:mod:`.pruning`), fine-tune
``finetune_epochs`` epochs with the same objective (best epoch by validation accuracy, the un-fine-tuned pruned
weights included as a candidate), make the prune permanent and measure on the test split. Sparsity 0 goes through
the same steps (prune nothing, fine-tune), so every row has the same training budget.

Random streams: each torch.Generator is seeded from ``numpy.random.SeedSequence([seed, purpose, ...])``; no
global RNG is used or touched.
"""
from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch

from ..._io import atomic_write_json, check_target, claim_dir
from . import store
from .config import SweepConfig, validate
from ...live.data import Splits, load_splits
from .latent import latent_metrics
from .model import build_model
from .pruning import achieved_sparsity, apply_pruning, make_permanent
from .train import encode_all, fit, reconstruction_error

_INIT, _TRAIN, _FINETUNE = 0, 1, 2


def generator(seed: int, purpose: int, *extra: int) -> torch.Generator:
    """A fresh CPU generator whose stream depends only on (seed, purpose, *extra)."""
    state = np.random.SeedSequence([int(seed), purpose, *map(int, extra)]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def _recon_weight(cfg: SweepConfig, beta: float) -> float:
    return cfg.recon_weight if beta > 0 else cfg.baseline_recon_weight


def run_beta_seed(cfg: SweepConfig, splits: Splits, beta: float, seed: int) -> list[dict]:
    """Train, prune and measure one (beta, seed) cell; return its tidy rows (see :data:`store.COLUMNS`)."""
    s = splits
    rw = _recon_weight(cfg, beta)
    model = build_model(s.image_shape, s.n_classes, cfg.latent_dim, generator(seed, _INIT))
    t0 = time.perf_counter()
    trained = fit(model, s.x_train, s.y_train, s.x_val, s.y_val, beta=beta, recon_weight=rw, epochs=cfg.epochs,
                  lr=cfg.lr, batch_size=cfg.batch_size, generator=generator(seed, _TRAIN), ce_weight=cfg.ce_weight)
    train_s = time.perf_counter() - t0
    rows: list[dict] = []
    for sp in cfg.sparsities:
        m = copy.deepcopy(model)
        t1 = time.perf_counter()
        apply_pruning(m, sp, cfg.method)
        ft = fit(m, s.x_train, s.y_train, s.x_val, s.y_val, beta=beta, recon_weight=rw,
                 epochs=cfg.finetune_epochs, lr=cfg.finetune_lr, batch_size=cfg.batch_size,
                 generator=generator(seed, _FINETUNE, round(sp * 1_000_000)), ce_weight=cfg.ce_weight,
                 include_start=True)
        make_permanent(m)
        ft_s = time.perf_counter() - t1
        frac, zeros, total = achieved_sparsity(m)
        logits, mu, logvar = encode_all(m, s.x_test)
        values = [
            ("accuracy", float((logits.argmax(1) == s.y_test).float().mean()), "test"),
            ("recon_nll", reconstruction_error(m, s.x_test), "test"),
            *((k, v, "test") for k, v in latent_metrics(mu, logvar).items()),
            ("accuracy", ft.best_val_accuracy, "val"),
            ("train_best_epoch", float(trained.best_epoch), "val"),
            ("finetune_best_epoch", float(ft.best_epoch), "val"),
            ("final_train_loss", trained.train_loss[-1]["total"], "train"),
            ("achieved_sparsity", frac, "weights"),
            ("nonzero_weights", float(total - zeros), "weights"),
            ("train_seconds", train_s, "wallclock"),
            ("finetune_seconds", ft_s, "wallclock"),
        ]
        rows += [{"study": "betavae", "dataset": s.name, "beta": float(beta), "seed": int(seed),
                  "sparsity": float(sp), "method": cfg.method, "metric": k, "value": float(v), "source": src}
                 for k, v, src in values]
    return rows


def _manifest(cfg: SweepConfig, splits: Splits, old: dict | None, out: Path) -> dict:
    settings = cfg.to_dict()
    if old:  # the grid of one --out is the union of every invocation's betas and seeds
        prev = old.get("settings", {})
        settings["betas"] = sorted(set(prev.get("betas", [])) | set(settings["betas"]))
        settings["seeds"] = sorted(set(prev.get("seeds", [])) | set(settings["seeds"]))
    done = sorted(p.stem for p in (out / "cells").glob("*.parquet"))
    return {"study": "betavae", "paper": "Shneider et al., arXiv 2307.09994", "package": "nasbench-eval",
            "package_version": store.package_version(), "torch_version": torch.__version__,
            "settings": settings, "data": {**splits.describe(), "split_seed": cfg.split_seed,
                                           "test_split": "held out; used only for reported test numbers",
                                           "val_split": "used for epoch selection (training and fine-tuning)"},
            "schema": {"columns": list(store.COLUMNS), "dtypes": store.DTYPES,
                       "doc": "docs/betavae.md#result-schema"},
            "files": {"results": "results.parquet", "cells": "cells/", "report": "report.md",
                      "plot": "accuracy_vs_sparsity.png"},
            "cells_done": done}


def _legacy_study(path: Path) -> bool:
    """A study folder written before the ownership marker: its manifest says study 'betavae'."""
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("study") == "betavae"
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` intra-op CPU threads (None: leave torch's setting), restoring it afterwards."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_sweep(cfg: SweepConfig, out, *, progress: bool = True, report: bool = True, threads: int | None = 1):
    """Run (or resume) the sweep into ``out``; return the combined results DataFrame.

    Cells whose file already exists under ``out/cells`` are skipped. An existing ``manifest.json`` must agree on
    every setting except betas, seeds and data_root, otherwise a ConfigError is raised before any work.
    ``threads``: torch CPU threads while the sweep runs (default 1: these models are tiny, and several threads on
    a busy machine were measured 25x slower per epoch than one; None keeps torch's own setting).
    """
    from tqdm.auto import tqdm

    validate(cfg)
    out = Path(out)
    check_target(out, "betavae study", _legacy_study)  # never write into a user's folder (before any work)
    old = store.check_compatible(out, cfg.to_dict())
    splits = load_splits(cfg.dataset, cfg.data_root, cfg.split_seed, cfg.train_limit)
    claim_dir(out, "betavae study", _legacy_study)
    cells = [(b, s) for b in cfg.betas for s in cfg.seeds]
    todo = [c for c in cells if not store.is_done(out, *c)]
    atomic_write_json(out / "manifest.json", _manifest(cfg, splits, old, out))
    bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=f"betavae {cfg.dataset}", unit="cell",
               disable=not progress)
    try:
        for beta, seed in todo:
            bar.set_postfix(beta=beta, seed=seed)
            with torch_threads(threads):
                df = store.tidy(run_beta_seed(cfg, splits, beta, seed))
            store.write_cell(out, beta, seed, df)
            store.combine(out)
            atomic_write_json(out / "manifest.json", _manifest(cfg, splits, old, out))
            bar.update(1)
    finally:
        bar.close()
    results = store.combine(out)
    if report:
        from .report import write_report
        write_report(out)
    return results
