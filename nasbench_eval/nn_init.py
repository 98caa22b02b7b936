"""Seeded parameter initialisation for the torch models of the live paths (no global RNG)."""
from __future__ import annotations

import math

import torch
from torch import nn


@torch.no_grad()
def init_parameters(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """(Re)initialise every parameter and buffer with PyTorch's default scheme, drawing only from ``generator``.

    Conv/Linear: kaiming-uniform(a=sqrt(5)) weights and U(+-1/sqrt(fan_in)) biases; BN: weight 1, bias 0, fresh
    running statistics. Works on modules materialised with ``to_empty`` from the meta device.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                fan_in = m.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            if m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
    return model
