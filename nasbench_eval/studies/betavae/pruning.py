"""Magnitude pruning of the classification path through ``torch.nn.utils.prune``.

The pruned set is every weight tensor on the test-time prediction path x -> encoder -> mu -> classifier
(:meth:`BetaVAE.classification_path`): the two convolutions, the encoder's hidden linear layer, the ``mu`` head
and both classifier layers. Biases, the ``logvar`` head and the decoder are not on that path and are left dense.

* ``unstructured``: ``prune.global_unstructured`` with ``L1Unstructured``: the globally smallest-|w| fraction
  ``sparsity`` of all those weights is zeroed (one threshold across layers).
* ``structured``: ``prune.ln_structured(n=1, dim=0)`` per layer: the fraction ``sparsity`` of output channels
  (conv) / rows (linear) with the smallest L1 norm is zeroed in every layer except the final classifier layer,
  whose rows are the classes (removing one would delete a class). PyTorch has no global structured pruner.

:func:`achieved_sparsity` always measures over the same full set of path weights, so the two methods are
comparable; structured pruning therefore achieves a little less than requested (the final layer stays dense and
row counts round). :func:`make_permanent` calls ``prune.remove`` so the zeros live in ``weight`` itself.
"""
from __future__ import annotations

import torch
import torch.nn.utils.prune as prune
from torch import nn

from ...errors import ConfigError, unknown

METHODS = ("unstructured", "structured")


def _check_amount(sparsity: float) -> None:
    if not 0.0 <= float(sparsity) < 1.0:
        raise ConfigError(f"sparsity must be in [0, 1); got {sparsity!r}")


def apply_pruning(model, sparsity: float, method: str = "unstructured") -> list[nn.Module]:
    """Attach pruning masks to the classification-path weights of ``model``; return the pruned modules.

    Masks stay re-parameterised (``weight = weight_orig * weight_mask``) so fine-tuning keeps zeros at zero;
    call :func:`make_permanent` before measuring.
    """
    _check_amount(sparsity)
    if method not in METHODS:
        raise unknown("method", method, METHODS)
    layers = [m for _, m in model.classification_path()]
    if method == "unstructured":
        prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured,
                                  amount=float(sparsity))
        return layers
    for m in layers[:-1]:
        prune.ln_structured(m, "weight", amount=float(sparsity), n=1, dim=0)
    return layers[:-1]


def make_permanent(model) -> None:
    """Fold every pruning mask into its weight (``prune.remove``), leaving no hooks, masks or ``weight_orig``."""
    for m in model.modules():
        if prune.is_pruned(m) and hasattr(m, "weight_mask"):
            prune.remove(m, "weight")


def is_permanent(model) -> bool:
    """True iff no module carries pruning re-parameterisation (hooks, ``*_orig`` or ``*_mask`` tensors)."""
    for m in model.modules():
        if prune.is_pruned(m):
            return False
    return True


@torch.no_grad()
def achieved_sparsity(model) -> tuple[float, int, int]:
    """Return (fraction of exact zeros, number of zero weights, number of weights) over the classification path."""
    zeros = total = 0
    for _, m in model.classification_path():
        w = m.weight
        zeros += int((w == 0).sum())
        total += w.numel()
    return zeros / total, zeros, total
