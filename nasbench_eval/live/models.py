"""Torch models of the live RMI path: the NB201 cell network (with feature taps) and CIFAR ResNets.

The NB201 network reproduces the NAS-Bench-201 macro skeleton (Dong & Yang, ICLR 2020; ``TinyNetwork`` with
``InferCell``) exactly, so its parameter count equals NB201's ``params`` column: stem conv3x3(C)+BN; N cells at C;
ResNet basic block (stride 2) to 2C; N cells at 2C; basic block to 4C; N cells at 4C; BN+ReLU; global average
pool; linear. RMI-NAS (Zheng et al., CVPR 2022) matches three representations of it: the end of stage 1, the end of
stage 2 and the output of the final BN+ReLU.

Modules are built on the ``meta`` device and initialised by :func:`init_parameters` with an explicit
``torch.Generator``: no global RNG is read or written.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError, InvalidArchError
from ..nn_init import init_parameters
from ..spaces import nb201

__all__ = ["NB201Network", "CifarResNet", "BottleneckResNet", "build_model", "init_parameters", "count_parameters",
           "RESNET_DEPTHS"]

# reference networks by name: CIFAR ResNet-(6n+2) and the bottleneck ResNet-101 (RMI-NAS's CIFAR-100 reference)
RESNET_DEPTHS = {"resnet20": 20, "resnet56": 56, "resnet110": 110, "resnet101": 101}
BOTTLENECK_BLOCKS = {"resnet101": (3, 4, 23, 3)}


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv (no bias) -> BN, the NB201 convolution op."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out))


class Zero(nn.Module):
    """The ``none`` op: outputs zeros (stride 1 inside NB201 cells)."""

    def forward(self, x):
        return x.mul(0.0)


def make_op(name: str, c: int) -> nn.Module:
    """One NB201 cell op at ``c`` channels, stride 1 (cells never change the shape)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise InvalidArchError(f"unknown NB201 op {name!r}; allowed: {', '.join(nb201.OPS)}")


class InferCell(nn.Module):
    """NB201 cell: node i = sum_j op_(i<-j)(node j), output = node 3 (edges in canonical order)."""

    def __init__(self, ops: tuple[int, ...], c: int):
        super().__init__()
        self.edges = nb201.EDGES
        self.layers = nn.ModuleList(make_op(nb201.OPS[o], c) for o in ops)

    def forward(self, x):
        nodes = [x]
        for i in range(1, 4):
            nodes.append(sum(self.layers[e](nodes[j]) for e, (to, j) in enumerate(self.edges) if to == i))
        return nodes[3]


class ResNetBasicblock(nn.Module):
    """NB201's reduction block: two ReLUConvBN 3x3 (first with stride 2) + AvgPool2d(2)->Conv1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.downsample(x)


class NB201Network(nn.Module):
    """The NB201 cell network; ``forward(x, with_features=True)`` also returns the three RMI taps."""

    def __init__(self, ops, C: int = 16, N: int = 5, num_classes: int = 10):
        super().__init__()
        if isinstance(ops, str):
            ops = nb201.parse_arch(ops)
        self.ops = tuple(int(o) for o in nb201._as_ops(ops))
        if C < 1 or N < 1 or num_classes < 1:
            raise ConfigError(f"NB201Network needs C >= 1, N >= 1, num_classes >= 1; got C={C}, N={N}, "
                              f"num_classes={num_classes}")
        self.C, self.N, self.num_classes = C, N, num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        self.stage1 = nn.Sequential(*[InferCell(self.ops, C) for _ in range(N)])
        self.stage2 = nn.Sequential(ResNetBasicblock(C, 2 * C), *[InferCell(self.ops, 2 * C) for _ in range(N)])
        self.stage3 = nn.Sequential(ResNetBasicblock(2 * C, 4 * C), *[InferCell(self.ops, 4 * C) for _ in range(N)])
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=False))
        self.classifier = nn.Linear(4 * C, num_classes)

    def forward(self, x, with_features: bool = False):
        f1 = self.stage1(self.stem(x))
        f2 = self.stage2(f1)
        f3 = self.lastact(self.stage3(f2))
        logits = self.classifier(F.adaptive_avg_pool2d(f3, 1).flatten(1))
        return (logits, [f1, f2, f3]) if with_features else logits


class _BasicBlockA(nn.Module):
    """CIFAR ResNet basic block with option-A (parameter-free, zero-padding) shortcut (He et al., 2016)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride, self.pad = stride, c_out - c_in

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x
        if self.stride != 1 or self.pad:
            short = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + short)


class CifarResNet(nn.Module):
    """CIFAR ResNet-(6n+2) (16/32/64 channels, option-A shortcuts); taps = outputs of layer1, layer2, layer3."""

    def __init__(self, depth: int = 20, num_classes: int = 10):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ConfigError(f"CIFAR ResNet depth must be 6n+2 (20, 56, 110, ...); got {depth}")
        n = (depth - 2) // 6
        self.depth, self.num_classes = depth, num_classes
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(*[_BasicBlockA(16, 16, 1) for _ in range(n)])
        self.layer2 = nn.Sequential(_BasicBlockA(16, 32, 2), *[_BasicBlockA(32, 32, 1) for _ in range(n - 1)])
        self.layer3 = nn.Sequential(_BasicBlockA(32, 64, 2), *[_BasicBlockA(64, 64, 1) for _ in range(n - 1)])
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x, with_features: bool = False):
        f1 = self.layer1(F.relu(self.bn1(self.conv1(x))))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        logits = self.linear(F.adaptive_avg_pool2d(f3, 1).flatten(1))
        return (logits, [f1, f2, f3]) if with_features else logits


class _Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 (x4 channels) with BN, projection shortcut (1x1 conv + BN) when the shape changes."""

    expansion = 4

    def __init__(self, c_in: int, width: int, stride: int):
        super().__init__()
        c_out = width * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class BottleneckResNet(nn.Module):
    """Bottleneck ResNet for 32x32 inputs (He et al., CVPR 2016, with a 3x3 stem at 64 channels and no max-pool).

    ``blocks=(3, 4, 23, 3)`` is ResNet-101, the CIFAR-100 reference of RMI-NAS (Zheng et al., CVPR 2022; its XNAS
    teacher): stages ``conv2_x`` .. ``conv5_x`` at widths 64/128/256/512 (outputs x4), strides 1/2/2/2. The RMI taps are
    the outputs of conv2_x, conv4_x and conv5_x, as in RMI-NAS.
    """

    def __init__(self, blocks=(3, 4, 23, 3), num_classes: int = 100):
        super().__init__()
        if len(blocks) != 4 or min(blocks) < 1:
            raise ConfigError(f"BottleneckResNet needs 4 positive block counts; got {tuple(blocks)}")
        self.blocks, self.num_classes = tuple(int(b) for b in blocks), num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        stages, c_in = [], 64
        for width, n, stride in zip((64, 128, 256, 512), self.blocks, (1, 2, 2, 2)):
            layers = []
            for i in range(n):
                layers.append(_Bottleneck(c_in, width, stride if i == 0 else 1))
                c_in = width * _Bottleneck.expansion
            stages.append(nn.Sequential(*layers))
        self.conv2_x, self.conv3_x, self.conv4_x, self.conv5_x = stages
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x, with_features: bool = False):
        f1 = self.conv2_x(self.stem(x))
        f2 = self.conv4_x(self.conv3_x(f1))
        f3 = self.conv5_x(f2)
        logits = self.fc(F.adaptive_avg_pool2d(f3, 1).flatten(1))
        return (logits, [f1, f2, f3]) if with_features else logits


def build_model(arch, num_classes: int = 10, *, C: int = 16, N: int = 5, seed: int | None = None,
                generator: torch.Generator | None = None, device: str | torch.device = "cpu") -> nn.Module:
    """Build ``arch`` ('resnet20'/'resnet56'/'resnet110'/'resnet101', an NB201 arch string or op tuple) without
    global RNG.

    The module is created on the meta device, moved to ``device`` and initialised from ``generator`` (or a fresh
    generator seeded with ``seed``; one of the two is required).
    """
    if generator is None:
        if seed is None:
            raise ConfigError("build_model needs seed= or generator= (no global RNG is used)")
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
    with torch.device("meta"):
        if isinstance(arch, str) and arch.lower() in BOTTLENECK_BLOCKS:
            model = BottleneckResNet(BOTTLENECK_BLOCKS[arch.lower()], num_classes)
        elif isinstance(arch, str) and arch.lower() in RESNET_DEPTHS:
            model = CifarResNet(RESNET_DEPTHS[arch.lower()], num_classes)
        elif isinstance(arch, str) and not arch.startswith("|"):
            raise _unknown_arch(arch)
        else:
            model = NB201Network(arch, C=C, N=N, num_classes=num_classes)
    model = model.to_empty(device="cpu")
    init_parameters(model, generator)
    return model.to(device)


def _unknown_arch(arch: str) -> ConfigError:
    return ConfigError(f"unknown architecture {arch!r}; allowed: {', '.join(RESNET_DEPTHS)} or an NB201 arch string "
                       f"such as '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
                       f"skip_connect~2|'")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (NB201 ``params`` = this / 1e6; BN running statistics are buffers)."""
    return sum(p.numel() for p in model.parameters())
