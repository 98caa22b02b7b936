"""Candidate operations of the DARTS (Liu et al., ICLR 2019) and NAS-Bench-201 (Dong & Yang, ICLR 2020) cells.

Written from the published descriptions (the two papers above). Every op has a normal ``forward(x)``. Ops that begin
with a ReLU set ``pre_relu = True`` and also offer ``forward_relu(xr)`` taking the already-rectified input, so a
mixed op can compute ``relu(x)`` once and share it between its convolutions (results are identical). ``Zero`` sets
``is_zero = True`` so a mixed op may skip it (its contribution ``w * 0`` is exactly zero).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def bn(c: int, affine: bool, track: bool = True) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, affine=affine, track_running_stats=track)


class Zero(nn.Module):
    """The ``none`` op: zeros at the output resolution (DARTS returns ``x[..., ::s, ::s] * 0``)."""

    is_zero = True

    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


class _PreReLU(nn.Module):
    """Base of ops of the form ``body(relu(x))``."""

    pre_relu = True

    def forward(self, x):
        return self.forward_relu(F.relu(x))

    def forward_relu(self, xr):  # pragma: no cover - abstract
        raise NotImplementedError


class ReLUConvBN(_PreReLU):
    def __init__(self, c_in, c_out, k, stride, pad, affine=True, track=True, dilation=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride, pad, dilation=dilation, bias=False)
        self.bn = bn(c_out, affine, track)

    def forward_relu(self, xr):
        return self.bn(self.conv(xr))


class DilConv(_PreReLU):
    """ReLU, depthwise dilated conv, pointwise conv, BN."""

    def __init__(self, c_in, c_out, k, stride, pad, dilation, affine=True, track=True):
        super().__init__()
        self.dw = nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False)
        self.pw = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn = bn(c_out, affine, track)

    def forward_relu(self, xr):
        return self.bn(self.pw(self.dw(xr)))


class SepConv(_PreReLU):
    """Two stacked (ReLU, depthwise, pointwise, BN) blocks; the first carries the stride."""

    def __init__(self, c_in, c_out, k, stride, pad, affine=True, track=True):
        super().__init__()
        self.a = DilConv(c_in, c_in, k, stride, pad, 1, affine, track)
        self.b = DilConv(c_in, c_out, k, 1, pad, 1, affine, track)

    def forward_relu(self, xr):
        return self.b(self.a.forward_relu(xr))


class FactorizedReduce(_PreReLU):
    """Stride-2 skip: two offset 1x1 stride-2 convs, concatenated, BN."""

    def __init__(self, c_in, c_out, affine=True, track=True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even c_out; got {c_out}")
        self.c1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.c2 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.bn = bn(c_out, affine, track)

    def forward_relu(self, xr):
        return self.bn(torch.cat([self.c1(xr), self.c2(xr[:, :, 1:, 1:])], dim=1))


class PoolBN(nn.Module):
    """3x3 max / avg pool (avg excludes padding), optionally followed by a non-affine BN (DARTS search cells)."""

    def __init__(self, kind: str, c: int, stride: int, with_bn: bool, track: bool = True):
        super().__init__()
        self.pool = (nn.MaxPool2d(3, stride, 1) if kind == "max"
                     else nn.AvgPool2d(3, stride, 1, count_include_pad=False))
        self.bn = bn(c, False, track) if with_bn else None

    def forward(self, x):
        y = self.pool(x)
        return y if self.bn is None else self.bn(y)


def darts_op(name: str, c: int, stride: int, affine: bool, track: bool = True, pool_bn: bool = False) -> nn.Module:
    """One DARTS op (the DARTS paper's order: none, max/avg pool, skip, sep 3/5, dil 3/5)."""
    if name == "none":
        return Zero(stride)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        return PoolBN(name[:3], c, stride, pool_bn, track)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, affine, track)
    if name.startswith("sep_conv_"):
        k = int(name[-1])
        return SepConv(c, c, k, stride, k // 2, affine, track)
    if name.startswith("dil_conv_"):
        k = int(name[-1])
        return DilConv(c, c, k, stride, k - 1, 2, affine, track)
    raise ValueError(f"unknown DARTS op {name!r}")


def nb201_op(name: str, c: int, affine: bool = False, track: bool = True) -> nn.Module:
    """One NB201 cell op (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3), stride 1, C -> C."""
    if name == "none":
        return Zero(1)
    if name == "skip_connect":
        return Identity()
    if name in ("nor_conv_1x1", "nor_conv_3x3"):
        k = int(name[-1])
        return ReLUConvBN(c, c, k, 1, k // 2, affine, track)
    if name == "avg_pool_3x3":
        return PoolBN("avg", c, 1, with_bn=False)
    raise ValueError(f"unknown NB201 op {name!r}")


class ResNetBasicBlock(nn.Module):
    """NB201's stride-2 residual block between stages: two ReLUConvBN 3x3 + (avg-pool, 1x1 conv) shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.short = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.short(x)
