"""Live problem types for YAML grids and the runner: ``type: supernet`` and ``type: rmi``.

Registered in the one problem table (:func:`nasbench_eval.problems.spec.register_problem_type`) when this module
is imported -- which happens only when a spec names one of these types. Importing it does not import torch; torch
is imported when such a problem is built (inside the cell that runs it).

Both types have a ``seed`` key: the runner sets it to the cell's seed when the entry leaves it unset, and builds a
fresh problem for every cell (a live problem keeps state while it is searched -- supernet weights, a table of RMI
scores), so a live cell depends only on its own seed, like a tabular one.

* ``supernet``: maximise ``supernet_valid_acc``, the top-1 accuracy of the decoded architecture inside a
  weight-sharing supernet on the validation split (EvNAS, Sinha & Chen, arXiv 2012.12540). Every evaluation of a
  batch first trains the supernet for one epoch with that batch as the population (mode A); ``seed`` initialises
  the supernet and drives its training. Datasets: ``digits`` (offline) or ``cifar10`` (``data_root``).
* ``rmi``: minimise ``rmi_loss`` (RMI-NAS, Zheng et al., CVPR 2022): one fixed batch, a reference network, linear
  CKA. ``seed`` initialises the candidates. ``reference`` is a checkpoint from ``nasbench-eval rmi train-reference``;
  without it a ``reference_arch`` is trained in the process for ``reference_epochs`` epochs (seed
  ``reference_seed``; memoised per process). On ``cifar10`` / ``cifar100`` the NAS-Bench-201 table's accuracies of
  the chosen architectures are reported after the search; digits has no table.
"""
from __future__ import annotations

from functools import lru_cache

from ..errors import ConfigError
from ..problems.spec import ProblemType, register_problem_type

__all__ = ["SUPERNET", "RMI"]

SUPERNET_SPACES = ("nb201", "darts")
TRAIN_MODES = ("A", "B", "C")
BN_MODES = ("eval", "train")
RMI_CONFIGS = ("paper", "small")


# ------------------------------------------------------------------------------------------------ validation
def _int(where: str, key: str, v, low: int, none_ok: bool = True):
    if v is None and none_ok:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ConfigError(f"{where}.{key} must be an integer >= {low}{' or null' if none_ok else ''}; got {v!r}")
    return int(v)


def _choice(where: str, key: str, v, allowed):
    if v not in allowed:
        raise ConfigError(f"{where}.{key} must be one of {', '.join(map(str, allowed))}; got {v!r}")
    return v


def _str(where: str, key: str, v):
    if v is not None and not isinstance(v, str):
        raise ConfigError(f"{where}.{key} must be a string (a path) or null; got {v!r}")
    return v


def _common(entry: dict, where: str, keys: dict) -> dict:
    out = {k: entry.get(k, default) for k, default in keys.items()}
    out["seed"] = _int(where, "seed", out["seed"], 0)
    out["data_root"] = _str(where, "data_root", out["data_root"])
    if out["device"] is not None and not isinstance(out["device"], str):
        raise ConfigError(f"{where}.device must be 'cpu', 'cuda', 'auto' or null; got {out['device']!r}")
    ds = entry.get("dataset", "digits")
    if ds not in ("digits", "mnist-5k") and not out["data_root"]:  # the two offline datasets need no folder
        raise ConfigError(f"{where}.data_root is required for dataset {ds!r} (a folder in torchvision's layout; "
                          "nothing is downloaded)")
    return out


# ------------------------------------------------------------------------------------------------ supernet
SUPERNET_KEYS = {"space": "nb201", "seed": None, "data_root": None, "split_seed": 0, "image_size": 32, "C": None,
                 "cells": None, "epochs": 50, "batch_size": 64, "max_batches": None, "train_mode": "A",
                 "bn_mode": "eval", "device": "cpu"}


def _supernet_normalise(entry: dict, where: str) -> dict:
    out = _common(entry, where, SUPERNET_KEYS)
    out["space"] = _choice(where, "space", out["space"], SUPERNET_SPACES)
    out["train_mode"] = _choice(where, "train_mode", out["train_mode"], TRAIN_MODES)
    out["bn_mode"] = _choice(where, "bn_mode", out["bn_mode"], BN_MODES)
    for key, low in (("split_seed", 0), ("image_size", 8), ("epochs", 1), ("batch_size", 1)):
        out[key] = _int(where, key, out[key], low, none_ok=False)
    for key in ("C", "cells", "max_batches"):
        out[key] = _int(where, key, out[key], 1)
    return out


def _supernet_label(d: dict) -> str:
    return f"supernet-{d['space']}-{d['dataset']}"


def _supernet_build(d: dict, evaluator=None):
    if evaluator is not None:
        raise ConfigError("a supernet problem scores with its own supernet; it takes no other evaluator")
    if d.get("seed") is None:
        raise ConfigError("a supernet problem needs 'seed' (the runner sets it to the cell's seed)")
    import numpy as np

    from ..supernet.driver import supernet_problem
    from .data import cifar10_splits, digits_splits, mnist5k_splits

    if d["dataset"] == "digits":
        data = digits_splits(d["split_seed"], d["image_size"])
    elif d["dataset"] == "mnist-5k":  # the one fixed, stratified split of the 5,000 offline MNIST images
        data = mnist5k_splits(d["image_size"])
    else:
        data = cifar10_splits(d["data_root"], d["split_seed"])
    problem = supernet_problem(d["space"], data, np.random.default_rng(d["seed"]), C=d["C"], cells=d["cells"],
                               epochs=d["epochs"], bn_mode=d["bn_mode"], train_mode=d["train_mode"],
                               train_on_evaluate=True, batch_size=d["batch_size"], max_batches=d["max_batches"],
                               device=d["device"])
    problem.name = _supernet_label(d)
    problem.info.update(dataset=d["dataset"], seed=d["seed"], split_seed=d["split_seed"], epochs=d["epochs"])
    return problem


SUPERNET = register_problem_type(ProblemType(
    "supernet", SUPERNET_KEYS, _supernet_normalise, _supernet_label, _supernet_build,
    summary="live: maximise the supernet validation accuracy of decoded architectures (weight sharing, trained "
            "while searched)",
    datasets=("digits", "mnist-5k", "cifar10")))


# ------------------------------------------------------------------------------------------------ rmi
RMI_KEYS = {"seed": None, "data_root": None, "reference": None, "reference_arch": "resnet20",
            "reference_epochs": 30, "reference_seed": 0, "config": "paper", "C": None, "N": None, "steps": None,
            "batch_size": None, "device": "cpu"}


def _rmi_normalise(entry: dict, where: str) -> dict:
    out = _common(entry, where, RMI_KEYS)
    out["reference"] = _str(where, "reference", out["reference"])
    out["config"] = _choice(where, "config", out["config"], RMI_CONFIGS)
    if not isinstance(out["reference_arch"], str):
        raise ConfigError(f"{where}.reference_arch must be a model name (e.g. resnet20); got {out['reference_arch']!r}")
    out["reference_epochs"] = _int(where, "reference_epochs", out["reference_epochs"], 1, none_ok=False)
    out["reference_seed"] = _int(where, "reference_seed", out["reference_seed"], 0, none_ok=False)
    for key in ("C", "N", "steps", "batch_size"):
        out[key] = _int(where, key, out[key], 1)
    return out


def _rmi_label(d: dict) -> str:
    return f"rmi-{d['dataset']}-{d['config']}"


@lru_cache(maxsize=4)
def _trained_reference(dataset: str, data_root, arch: str, epochs: int, seed: int, device):
    """A reference network trained in this process (deterministic for a seed on one device)."""
    from .data import load_data
    from .models import build_model
    from .train import train_model

    data = load_data(dataset, data_root)
    model = build_model(arch, data.num_classes, seed=seed)
    return train_model(model, data, epochs=epochs, seed=seed, device=device).eval()


def _rmi_build(d: dict, evaluator=None):
    if evaluator is not None:
        raise ConfigError("an rmi problem scores with its own RMI evaluator; it takes no other evaluator")
    if d.get("seed") is None:
        raise ConfigError("an rmi problem needs 'seed' (the runner sets it to the cell's seed)")
    from ..evaluators.rmi import RMIEvaluator
    from ..problems.base import Objective, Problem
    from ..spaces import NB201Space
    from .data import load_data
    from .rmi import PAPER, SMALL

    data = load_data(d["dataset"], d["data_root"])
    reference = d["reference"] or _trained_reference(d["dataset"], d["data_root"], d["reference_arch"],
                                                     d["reference_epochs"], d["reference_seed"], d["device"])
    overrides = {k: d[k] for k in ("C", "N", "steps", "batch_size") if d[k] is not None}
    ev = RMIEvaluator(reference, data=data, device=d["device"], settings=SMALL if d["config"] == "small" else PAPER,
                      seed=d["seed"], **overrides)
    info = {"dataset": d["dataset"], "seed": d["seed"], "rmi_settings": ev.settings.as_dict(),
            "reference": d["reference"] or f"{d['reference_arch']} trained {d['reference_epochs']} epochs "
                                           f"(seed {d['reference_seed']}) in process"}
    if d["dataset"] in ("cifar10", "cifar100"):  # the same data as the NAS-Bench-201 table: report its accuracies
        from ..problems.nb201 import nb201_problem

        problem = nb201_problem(d["dataset"], evaluator=ev)
        problem.info.update(info)
    else:
        problem = Problem(NB201Space(), ev, (Objective("rmi_loss", "min"),), info=info)
    problem.name = _rmi_label(d)
    return problem


RMI = register_problem_type(ProblemType(
    "rmi", RMI_KEYS, _rmi_normalise, _rmi_label, _rmi_build,
    summary="live: minimise the RMI loss (single-batch training against a reference network, linear CKA)",
    datasets=("digits", "cifar10", "cifar100")))
