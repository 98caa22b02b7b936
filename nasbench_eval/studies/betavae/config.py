"""Validated settings of a Beta-VAE pruning sweep (no torch here, so the CLI can validate before loading torch).

Constructors only store; :func:`validate` checks every field at the boundary and raises
:class:`~nasbench_eval.errors.ConfigError` / :class:`~nasbench_eval.errors.UnknownNameError` naming the parameter,
what is allowed and what was received.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ...errors import ConfigError, unknown

DATASETS = ("digits", "mnist-5k", "mnist", "cifar10")
OFFLINE = ("digits", "mnist-5k")  # need no --data-root
METHODS = ("unstructured", "structured")


@dataclass(frozen=True)
class SweepConfig:
    """Everything that decides the numbers of a sweep (recorded in ``manifest.json``).

    ``betas`` x ``seeds`` are the training cells; each trained model is evaluated at every ``sparsities`` level.
    ``recon_weight`` multiplies the reconstruction loss for beta > 0; ``baseline_recon_weight`` is used instead
    when beta == 0 (default 0: beta = 0 is then exactly the plain classifier, CE only, z = mu). ``ce_weight``
    multiplies the cross-entropy (default 10: with 1, the KL term wipes the class information out of z for
    beta >= 4 on digits, see docs/betavae.md).
    """

    dataset: str = "digits"
    betas: tuple[float, ...] = (0.0, 1.0, 4.0)
    sparsities: tuple[float, ...] = (0.0, 0.5, 0.7, 0.9, 0.95)
    seeds: tuple[int, ...] = (0, 1, 2)
    method: str = "unstructured"
    epochs: int = 25
    finetune_epochs: int = 3
    batch_size: int = 64
    lr: float = 2e-3
    finetune_lr: float = 1e-3
    latent_dim: int = 10
    recon_weight: float = 1.0
    ce_weight: float = 10.0
    baseline_recon_weight: float = 0.0
    data_root: str | None = None
    train_limit: int | None = None
    split_seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"], d["sparsities"], d["seeds"] = list(self.betas), list(self.sparsities), list(self.seeds)
        return d


def _number(name: str, value, *, low=None, high=None, integer=False, low_open=False, high_open=False):
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        raise ConfigError(f"{name} must be {kind}; got {value!r}")
    if not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be finite; got {value!r}")
    lo_bad = low is not None and (value <= low if low_open else value < low)
    hi_bad = high is not None and (value >= high if high_open else value > high)
    if lo_bad or hi_bad:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}"
        hi = "" if high is None else f"{high}{')' if high_open else ']'}"
        rng = f"{lo or '(-inf'}, {hi or 'inf)'}"
        raise ConfigError(f"{name} must be in {rng}; got {value!r}")
    return int(value) if integer else float(value)


def _nonempty_unique(name: str, values) -> None:
    if len(values) == 0:
        raise ConfigError(f"{name} must list at least one value; got none")
    if len(set(values)) != len(values):
        raise ConfigError(f"{name} must not repeat values; got {list(values)!r}")


def validate(cfg: SweepConfig) -> SweepConfig:
    """Return ``cfg`` unchanged if valid; raise a ConfigError/UnknownNameError that names the bad parameter."""
    if cfg.dataset not in DATASETS:
        raise unknown("dataset", cfg.dataset, DATASETS)
    if cfg.method not in METHODS:
        raise unknown("method", cfg.method, METHODS)
    _nonempty_unique("betas", cfg.betas)
    _nonempty_unique("sparsities", cfg.sparsities)
    _nonempty_unique("seeds", cfg.seeds)
    for b in cfg.betas:
        _number("betas (each beta)", b, low=0.0)
    for s in cfg.sparsities:
        _number("sparsities (each sparsity)", s, low=0.0, high=1.0, high_open=True)
    for s in cfg.seeds:
        _number("seeds (each seed)", s, low=0, high=2**32 - 1, integer=True)
    _number("epochs", cfg.epochs, low=1, integer=True)
    _number("finetune_epochs", cfg.finetune_epochs, low=0, integer=True)
    _number("batch_size", cfg.batch_size, low=1, integer=True)
    _number("lr", cfg.lr, low=0.0, low_open=True)
    _number("finetune_lr", cfg.finetune_lr, low=0.0, low_open=True)
    _number("latent_dim", cfg.latent_dim, low=2, integer=True)
    _number("recon_weight", cfg.recon_weight, low=0.0)
    _number("baseline_recon_weight", cfg.baseline_recon_weight, low=0.0)
    _number("ce_weight", cfg.ce_weight, low=0.0, low_open=True)
    _number("split_seed", cfg.split_seed, low=0, integer=True)
    if cfg.train_limit is not None:
        _number("train_limit", cfg.train_limit, low=10, integer=True)
    if cfg.dataset not in OFFLINE and not cfg.data_root:
        raise ConfigError(f"data_root is required for dataset {cfg.dataset!r} (no network: torchvision files must "
                          f"already be under it); got data_root={cfg.data_root!r}. Offline: dataset 'digits', or "
                          f"'mnist-5k' (5,000 MNIST images, pip install 'nasbench-eval[mnist]').")
    return cfg


def parse_list(name: str, text: str, kind=float) -> tuple:
    """Parse a comma-separated CLI list (``'0,1,4'``) into a tuple, with an error naming ``name``."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        return tuple(kind(p) for p in parts)
    except ValueError:
        what = "integers" if kind is int else "numbers"
        raise ConfigError(f"{name} must be comma-separated {what}; got {text!r}") from None
