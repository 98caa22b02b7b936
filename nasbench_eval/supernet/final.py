"""Training a found DARTS cell from scratch: the DARTS CIFAR evaluation network and protocol (Liu et al., ICLR 2019),
used unchanged by EvNAS (arXiv 2012.12540), CMANAS, pEvoNAS and NEvoNAS for their DARTS-space results.

Network: stem 3x3 conv to 3C + BN; ``layers`` cells built from the genotype (affine BN, no pooling BN), reductions at
``layers // 3`` and ``2 * layers // 3``; an auxiliary head after cell ``2 * layers // 3``; drop-path on every
non-identity op during training. Protocol defaults: C=36, 20 cells, batch 96, SGD lr 0.025 cosine to 0, momentum
0.9, wd 3e-4, grad-clip 5, auxiliary weight 0.4, drop-path 0.2 (linearly ramped over epochs), cutout 16, 600 epochs.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..spaces import darts as D
from ..live.data import augment, batches
from ..live.speed import EXACT, SpeedOptions
from .mixed import reset_parameters
from .ops import FactorizedReduce, Identity, ReLUConvBN, darts_op
from .training import pick_device


def drop_path(x, drop_prob: float, generator: torch.Generator | None):
    """Zero whole samples with probability ``drop_prob`` and rescale the rest (mask drawn from ``generator``)."""
    keep = 1.0 - drop_prob
    mask = torch.bernoulli(torch.full((x.size(0), 1, 1, 1), keep), generator=generator).to(x.device, x.dtype)
    return x / keep * mask


class EvalCell(nn.Module):
    def __init__(self, pairs, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0)
        self.inputs = [int(j) for _, j in pairs]
        self.ops = nn.ModuleList(darts_op(D.OPS[int(o)], c, 2 if reduction and j < 2 else 1, affine=True)
                                 for o, j in pairs)

    def forward(self, s0, s1, drop_prob, generator):
        states = [self.pre0(s0), self.pre1(s1)]
        for i in range(D.N_NODES):
            h = []
            for k in (2 * i, 2 * i + 1):
                y = self.ops[k](states[self.inputs[k]])
                if self.training and drop_prob > 0 and not isinstance(self.ops[k], Identity):
                    y = drop_path(y, drop_prob, generator)
                h.append(y)
            states.append(h[0] + h[1])
        return torch.cat(states[2:], dim=1)


class AuxiliaryHead(nn.Module):
    """DARTS CIFAR auxiliary head (8x8 input: 5x5 avg-pool stride 3 -> 2x2; smaller maps pool adaptively to 2x2)."""

    def __init__(self, c, num_classes):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
                                      nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU())
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = F.relu(x)
        x = (F.avg_pool2d(x, 5, 3, 0, count_include_pad=False) if min(x.shape[-2:]) >= 5
             else F.adaptive_avg_pool2d(x, 2))
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class DartsEvalNetwork(nn.Module):
    """``forward(x) -> (logits, aux_logits or None)``; set ``drop_path_prob`` and ``generator`` before training."""

    def __init__(self, arch, C: int = 36, layers: int = 20, num_classes: int = 10, auxiliary: bool = True,
                 stem_multiplier: int = 3, in_channels: int = 3):
        super().__init__()
        v = D.canonicalise(np.asarray(arch)).reshape(2, D.N_NODES * 2, 2)
        self.drop_path_prob, self.generator = 0.0, None
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, C
        cells, reduction_prev, self.aux_at, c_aux = [], False, 2 * layers // 3, None
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cells.append(EvalCell(v[1 if reduction else 0], c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, D.N_NODES * c_curr
            if i == self.aux_at:
                c_aux = c_p
        self.cells = nn.ModuleList(cells)
        self.aux = AuxiliaryHead(c_aux, num_classes) if auxiliary else None
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob, self.generator)
            if i == self.aux_at and self.aux is not None and self.training:
                aux = self.aux(s1)
        return self.classifier(self.pool(s1).flatten(1)), aux


def count_parameters_m(net: nn.Module) -> float:
    """Parameters in millions, auxiliary head excluded (DARTS convention)."""
    return sum(p.numel() for n, p in net.named_parameters() if not n.startswith("aux.")) / 1e6


def train_final(arch, train, test, rng: np.random.Generator, *, num_classes: int = 10, C: int = 36,
                layers: int = 20, epochs: int = 600, batch_size: int = 96, lr: float = 0.025, momentum: float = 0.9,
                weight_decay: float = 3e-4, grad_clip: float = 5.0, auxiliary_weight: float = 0.4,
                drop_path: float = 0.2, cutout: int = 16, crop_pad: int = 4, max_batches: int | None = None,
                device=None, log=None, speed: SpeedOptions = EXACT) -> dict:
    """Train ``arch`` from scratch on ``train`` and report top-1 (percent) on ``test`` after every epoch.

    ``speed`` (:class:`~nasbench_eval.live.speed.SpeedOptions`): mixed precision, channels-last, compile, pinned
    transfers; the default runs in float32 exactly as before."""
    dev = pick_device(device)
    net = reset_parameters(DartsEvalNetwork(arch, C, layers, num_classes, auxiliary=auxiliary_weight > 0), rng).to(dev)
    speed.model(net)
    net._speed = speed  # evaluate() runs the same way
    forward, scaler = speed.forward_fn(net), speed.scaler(dev)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    gen = torch.Generator().manual_seed(int(rng.integers(2**63)))
    net.generator = gen  # drop-path masks are drawn on the CPU and moved
    history, t0 = [], time.perf_counter()
    for epoch in range(epochs):
        net.train()
        net.drop_path_prob = drop_path * epoch / max(epochs, 1)
        losses = []
        for b, (xb, yb) in enumerate(batches(*train, batch_size, gen)):
            if max_batches is not None and b >= max_batches:
                break
            xb = speed.to_device(augment(xb, gen, crop_pad, True, cutout), dev)
            yb = speed.to_device(yb, dev)
            opt.zero_grad(set_to_none=True)
            with speed.autocast(dev):
                logits, aux = forward(xb)
                loss = F.cross_entropy(logits, yb)
                if aux is not None:
                    loss = loss + auxiliary_weight * F.cross_entropy(aux, yb)
            if scaler is None:
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
                opt.step()
            else:  # fp16: unscale before clipping; a step with inf/NaN gradients is skipped
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
                scaler.step(opt)
                scaler.update()
            losses.append(float(loss.detach()))
        sched.step()
        acc = evaluate(net, *test, device=dev)
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "test_acc": acc,
                        "seconds": time.perf_counter() - t0})
        if log:
            log(f"epoch {epoch + 1}/{epochs}: loss {history[-1]['loss']:.3f}, test top-1 {acc:.2f}%")
    return {"test_acc": history[-1]["test_acc"] if history else float("nan"), "params_M": count_parameters_m(net),
            "seconds": time.perf_counter() - t0, "history": history, "net": net}


@torch.no_grad()
def evaluate(net, x, y, batch_size: int = 512, device=None) -> float:
    net.eval()
    speed = getattr(net, "_speed", EXACT)
    device = next(net.parameters()).device if device is None else torch.device(device)
    correct = 0
    for xb, yb in batches(x, y, batch_size):
        with speed.autocast(device):
            correct += int((net(speed.to_device(xb, device))[0].argmax(1).cpu() == yb).sum())
    return 100.0 * correct / max(len(y), 1)
