"""Beta-VAE disentanglement and pruning study (Shneider et al., arXiv 2307.09994).

Question from the paper's abstract: does forcing a classifier's latent to be disentangled (Beta-VAE objective)
change how well it survives a standard pruning criterion? Here: a Beta-VAE with a classifier head on the latent
(:mod:`.model`), trained per (beta, seed) with validation-only epoch selection (:mod:`.train`), pruned by global
L1 magnitude or L1-structured pruning through ``torch.nn.utils.prune`` (:mod:`.pruning`), measured for test
accuracy and factor-free disentanglement proxies (:mod:`.latent`), stored as tidy Parquet with resume
(:mod:`.store`, :mod:`.sweep`) and summarised with bootstrap CIs (:mod:`.report`). See docs/betavae.md.

Names are loaded lazily, so ``import nasbench_eval.studies.betavae`` does not import torch; the torch-free parts are
:mod:`.config`, :mod:`.latent`, :mod:`.store` and :mod:`.report`.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "SweepConfig": "config", "validate": "config",
    "BetaVAE": "model", "build_model": "model", "betavae_loss": "model",
    "load_splits": "nasbench_eval.live.data", "Splits": "nasbench_eval.live.data",
    "fit": "train", "accuracy": "train",
    "apply_pruning": "pruning", "make_permanent": "pruning", "achieved_sparsity": "pruning",
    "is_permanent": "pruning",
    "latent_metrics": "latent",
    "run_sweep": "sweep", "run_beta_seed": "sweep",
    "write_report": "report", "COLUMNS": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        mod = _EXPORTS[name]
        return getattr(importlib.import_module(mod if "." in mod else f"{__name__}.{mod}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
