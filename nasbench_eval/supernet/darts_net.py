"""DARTS-space supernet (Liu et al., "DARTS", ICLR 2019; as used by EvNAS arXiv 2012.12540, CMANAS, pEvoNAS,
NEvoNAS).

Stem: 3x3 conv to ``stem_multiplier * C`` + BN. ``layers`` cells; cells ``layers // 3`` and ``2 * layers // 3`` are
reduction cells (channels doubled, stride 2 on the edges from the two cell inputs). Each cell pre-processes its two
inputs (1x1 ReLUConvBN, or FactorizedReduce after a reduction), has 14 mixed edges (alpha rows 0..13 normal,
14..27 reduce) and outputs the concat of its 4 intermediate nodes. Search BN is non-affine; pooling ops are followed by
a non-affine BN. Global average pool + linear classifier.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from ..spaces import darts as D
from .mixed import MixedOp, Supernet
from .ops import FactorizedReduce, ReLUConvBN, darts_op


class DartsSearchCell(nn.Module):
    def __init__(self, c_pp, c_p, c, reduction, reduction_prev, mask_rows, affine, track):
        super().__init__()
        self.reduction = reduction
        self.pre0 = (FactorizedReduce(c_pp, c, affine, track) if reduction_prev
                     else ReLUConvBN(c_pp, c, 1, 1, 0, affine, track))
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0, affine, track)
        edges = []
        for i in range(D.N_NODES):
            for j in range(i + 2):
                stride = 2 if reduction and j < 2 else 1
                edges.append(MixedOp(D.OPS, mask_rows[D.edge_row(i, j)],
                                     lambda name, s=stride: darts_op(name, c, s, affine, track, pool_bn=True)))
        self.edges = nn.ModuleList(edges)

    def forward(self, s0, s1, net, rows, choices):
        states = [self.pre0(s0), self.pre1(s1)]
        for i in range(D.N_NODES):
            acc = None
            for j in range(i + 2):
                e = D.edge_row(i, j)
                y = net._edge(self.edges[e], states[j], rows[e], None if choices is None else choices[e])
                if y is not None:
                    acc = y if acc is None else acc + y
            if acc is None:
                raise ValueError(f"hard decoding: node {i + 2} of a {'reduce' if self.reduction else 'normal'} "
                                 "cell has no edge with a non-constant alpha row")
            states.append(acc)
        return torch.cat(states[2:], dim=1)


class DartsSupernet(Supernet):
    """The DARTS search network. ``forward(x, alpha (28, 8), hard=False)`` -> logits."""

    space_name = "darts"
    n_edges = D.N_EDGES
    n_ops = D.N_OPS

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10, stem_multiplier: int = 3,
                 op_mask=None, affine: bool = False, track_running_stats: bool = True, in_channels: int = 3):
        super().__init__()
        if layers < 3:
            raise ConfigError(f"the DARTS network needs --cells/layers >= 3 (two reduction cells plus one normal); got {layers}")
        self._cfg = dict(C=C, layers=layers, num_classes=num_classes, stem_multiplier=stem_multiplier,
                         affine=affine, track_running_stats=track_running_stats, in_channels=in_channels)
        mask = self._init_mask(op_mask)
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, C
        cells, reduction_prev = [], False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            rows = mask[D.EDGES_PER_CELL:] if reduction else mask[: D.EDGES_PER_CELL]
            cells.append(DartsSearchCell(c_pp, c_p, c_curr, reduction, reduction_prev, rows, affine,
                                         track_running_stats))
            reduction_prev = reduction
            c_pp, c_p = c_p, D.N_NODES * c_curr
        self.cells = nn.ModuleList(cells)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def config(self) -> dict:
        return dict(self._cfg, op_mask=self.op_mask.cpu().numpy().astype(int).tolist())

    def forward(self, x, alpha, hard: bool = False):
        rows, choices = self.edge_weights(alpha, hard)
        n = D.EDGES_PER_CELL
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            if cell.reduction:
                r, c = rows[n:], None if choices is None else choices[n:]
            else:
                r, c = rows[:n], None if choices is None else choices[:n]
            s0, s1 = s1, cell(s0, s1, self, r, c)
        return self.classifier(self.pool(s1).flatten(1))
