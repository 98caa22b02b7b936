"""NAS-Bench-201 supernet (Dong & Yang, ICLR 2020; as searched by EvNAS arXiv 2012.12540, CMANAS, pEvoNAS and
NEvoNAS).

Stem 3x3 conv (C) + BN; N search cells at C; ResNet basic block (stride 2) to 2C; N cells; block to 4C; N cells;
BN + ReLU; global average pool; linear. A search cell has 4 nodes and 6 mixed edges ``j -> i`` in the order
1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (alpha rows 0..5); node 3 is the output. Cell ops use affine=False BN and a
``track_running_stats`` flag (True for EvNAS / CMANAS, False for pEvoNAS / NEvoNAS S2).
"""
from __future__ import annotations

import torch
from torch import nn

from ..spaces.nb201 import EDGES as NB201_EDGES
from ..spaces.nb201 import OPS as NB201_OPS
from .mixed import MixedOp, Supernet
from .ops import ResNetBasicBlock, nb201_op


class NB201SearchCell(nn.Module):
    def __init__(self, c, mask, affine, track):
        super().__init__()
        self.edges = nn.ModuleList(
            MixedOp(NB201_OPS, mask[e], lambda name: nb201_op(name, c, affine, track)) for e in range(6))

    def forward(self, x, net, rows, choices):
        nodes = [x]
        for i in range(1, 4):
            acc = None
            for e, (to, frm) in enumerate(NB201_EDGES):
                if to != i:
                    continue
                y = net._edge(self.edges[e], nodes[frm], rows[e], None if choices is None else choices[e])
                if y is not None:
                    acc = y if acc is None else acc + y
            nodes.append(torch.zeros_like(x) if acc is None else acc)
        return nodes[3]


class NB201Supernet(Supernet):
    """The NB201 search network. ``forward(x, alpha (6, 5), hard=False)`` -> logits."""

    space_name = "nb201"
    n_edges = 6
    n_ops = 5

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, op_mask=None, affine: bool = False,
                 track_running_stats: bool = True, in_channels: int = 3):
        super().__init__()
        self._cfg = dict(C=C, N=N, num_classes=num_classes, affine=affine,
                         track_running_stats=track_running_stats, in_channels=in_channels)
        mask = self._init_mask(op_mask)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers, c = [], C
        for stage in range(3):
            if stage:
                layers.append(ResNetBasicBlock(c, 2 * c))
                c *= 2
            layers.extend(NB201SearchCell(c, mask, affine, track_running_stats) for _ in range(N))
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def config(self) -> dict:
        return dict(self._cfg, op_mask=self.op_mask.cpu().numpy().astype(int).tolist())

    def forward(self, x, alpha, hard: bool = False):
        rows, choices = self.edge_weights(alpha, hard)
        x = self.stem(x)
        for m in self.cells:
            x = m(x, self, rows, choices) if isinstance(m, NB201SearchCell) else m(x)
        return self.classifier(self.pool(self.lastact(x)).flatten(1))
