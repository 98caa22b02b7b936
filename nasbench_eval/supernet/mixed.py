"""Mixed ops, the common supernet base, and pEvoNAS weight inheritance.

A supernet forward takes the real architecture parameters ``alpha`` ``(n_edges, n_ops)`` of ONE architecture (no
gradient: none of the EvNAS family trains alpha) and computes, per edge, ``sum_o softmax(alpha_e)[o] * op_o(x)`` over
the ops kept by the supernet's ``op_mask`` (DARTS, Liu et al. 2019; with ``alpha = alpha_hat`` this is the "soft
one-hot" decoding of EvNAS, Sinha & Chen, GECCO 2021, arXiv 2012.12540). Dropped ops get weight 0 (softmax over kept ops
only), so a pEvoNAS stage with k ops per edge sees exactly the softmax over its k columns.

``hard=True`` (the EvNAS-ND ablation) runs only ``argmax_o alpha_e`` per edge with weight 1 and skips edges whose
kept alpha entries are all equal (the unselected DARTS edges of an alpha-hat).

The fast path is numerically the straightforward formula (``forward_reference``) minus two wastes: ``none``
contributes an exact zero and is skipped, and ``relu(x)`` is computed once per edge and shared by the convolutions.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MixedOp(nn.Module):
    """One edge: the kept candidate ops in an ``nn.ModuleDict`` keyed by op name (stable keys across masks)."""

    def __init__(self, op_names, keep, build):
        super().__init__()
        self.op_ids = [o for o, k in enumerate(keep) if k]
        if not self.op_ids:
            raise ValueError("an edge must keep at least one op")
        self.ops = nn.ModuleDict({op_names[o]: build(op_names[o]) for o in self.op_ids})
        self._pairs = list(zip(self.op_ids, self.ops.values()))

    def forward(self, x, w, choice=None):
        """``w``: 1-D weights over ALL ops (dropped ones ignored); ``choice``: op id in hard mode (-1 = skip)."""
        if choice is not None:
            if choice < 0:
                return None
            return self._pairs[self.op_ids.index(choice)][1](x)
        xr, out = None, None
        for oid, op in self._pairs:
            if getattr(op, "is_zero", False):
                continue
            if getattr(op, "pre_relu", False):
                if xr is None:
                    xr = F.relu(x)
                y = op.forward_relu(xr)
            else:
                y = op(x)
            out = y * w[oid] if out is None else out + y * w[oid]
        if out is None:  # only `none` kept
            out = self._pairs[0][1](x)
        return out

    def forward_reference(self, x, w, choice=None):
        """The spec formula written plainly: every kept op, ``none`` included (zeros allocated), own ReLU each."""
        if choice is not None:
            return self.forward(x, w, choice)
        return sum(w[oid] * op(x) for oid, op in self._pairs)


class Supernet(nn.Module):
    """Base of the DARTS and NB201 supernets. Subclasses build ``self.edge_modules`` (row -> MixedOp lists)."""

    space_name = ""
    n_edges = 0
    n_ops = 0

    def _init_mask(self, op_mask):
        import numpy as np

        mask = np.ones((self.n_edges, self.n_ops), bool) if op_mask is None else np.asarray(op_mask, bool)
        if mask.shape != (self.n_edges, self.n_ops):
            raise ValueError(f"op_mask must have shape ({self.n_edges}, {self.n_ops}); got {mask.shape}")
        if not mask.any(1).all():
            raise ValueError("op_mask keeps no op on some edge; every edge needs at least one")
        self.register_buffer("op_mask", torch.as_tensor(mask), persistent=False)
        self.use_reference = False
        return mask

    def config(self) -> dict:
        """Constructor arguments (JSON-able) so a checkpoint can rebuild the same net."""
        raise NotImplementedError

    def edge_weights(self, alpha, hard: bool = False):
        """``alpha`` -> (per-edge weight rows on the net's device, per-edge hard choices or None)."""
        a = torch.as_tensor(alpha, dtype=torch.float32)
        if a.shape != (self.n_edges, self.n_ops):
            raise ValueError(f"alpha must have shape ({self.n_edges}, {self.n_ops}); got {tuple(a.shape)}")
        mask = self.op_mask.cpu()
        a = a.masked_fill(~mask, float("-inf"))
        choices = None
        if hard:
            best = a.argmax(1)
            lo = a.masked_fill(~mask, float("inf")).min(1).values
            const = a.max(1).values == lo
            choices = [-1 if c else int(b) for b, c in zip(best, const)]
        w = torch.softmax(a, dim=1).to(self.op_mask.device)
        return list(w.unbind(0)), choices

    def _edge(self, mixed, x, w, choice):
        if self.use_reference:
            return mixed.forward_reference(x, w, choice)
        return mixed(x, w, choice)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


@torch.no_grad()
def inherit_weights(new: Supernet, old: Supernet) -> list[str]:
    """pEvoNAS weight inheritance: copy into ``new`` every tensor that ``old`` has under the same name.

    Op modules are keyed by op name, so this copies exactly the kept ops of every edge plus the stem, cell
    pre-processing, reduction blocks and classifier. Raises if ``new`` keeps an op that ``old`` had dropped or a
    shape differs (the two nets must share C / cells). Returns the copied names.
    """
    if type(new) is not type(old):
        raise TypeError(f"cannot inherit {type(old).__name__} weights into {type(new).__name__}")
    src, dst = old.state_dict(), new.state_dict()
    missing = [k for k in dst if k not in src]
    if missing:
        raise ValueError(f"new supernet has {len(missing)} tensors the old one lacks (op_mask not a subset?), "
                         f"e.g. {missing[0]}")
    for k, v in dst.items():
        if v.shape != src[k].shape:
            raise ValueError(f"shape mismatch for {k}: {tuple(src[k].shape)} -> {tuple(v.shape)}")
        v.copy_(src[k])
    return list(dst)


@torch.no_grad()
def reset_parameters(net: nn.Module, rng) -> nn.Module:
    """Re-initialise every conv / linear layer from ``rng`` (a numpy Generator) with PyTorch's default scheme
    (Kaiming-uniform, a=sqrt(5); bias U(+-1/sqrt(fan_in))), so a net's initial weights depend on the given seed
    only, never on torch's global RNG. BatchNorm starts at weight 1 / bias 0 as usual."""
    import math

    gen = torch.Generator().manual_seed(int(rng.integers(2**63)))
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = torch.empty_like(m.weight, device="cpu")
            nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=gen)
            m.weight.copy_(w)
            if m.bias is not None:
                fan_in = m.weight[0].numel()
                b = torch.empty_like(m.bias, device="cpu").uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in),
                                                                    generator=gen)
                m.bias.copy_(b)
    return net
