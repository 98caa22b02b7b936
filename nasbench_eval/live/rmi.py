"""The RMI score of one NB201 architecture (RMI-NAS, Zheng et al., CVPR 2022).

A candidate is built from scratch (NB201 cell network, C=16, N=5) and trained on ONE fixed batch (512 training
images) for 150 SGD steps (lr 0.1, momentum 0.9, weight decay 5e-4) on ``0.8 * RMI + 0.2 * cross-entropy``, where
``RMI = sum over 3 taps of (1 - linear CKA(student tap, teacher tap))``. The loss of the last step is the score
(NaN -> +inf; lower = better). The teacher's centred Gram matrices are computed once per batch, not per step.

Randomness: the candidate's initial weights come from a ``torch.Generator`` seeded with :func:`arch_seed`, a
function of (root seed, architecture); the score is therefore a pure function of (arch, reference, batch,
settings), which is what makes it cacheable. No global RNG is read or set.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..spaces import nb201
from .cka import TeacherGrams, rmi_loss
from .models import build_model
from .speed import SpeedOptions

__all__ = ["RMISettings", "RMIScorer", "arch_seed", "PAPER", "SMALL"]

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


@dataclass(frozen=True)
class RMISettings:
    """Everything that changes an RMI score, with the RMI-NAS NB201 values as defaults."""

    C: int = 16
    N: int = 5
    batch_size: int = 512
    steps: int = 150
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    beta: float = 0.8  # loss = beta * RMI + (1 - beta) * CE
    cka_dtype: str = "float64"
    batch_seed: int = 0  # which training images form the fixed batch
    seed: int = 0  # root seed of the candidates' initial weights
    # how the candidate runs (live.speed): rounding-level differences, so they are part of the cache key too
    amp: str = "off"  # off | bf16 | fp16 autocast of the candidate's forward; the CKA stays in cka_dtype
    channels_last: bool = False
    compile: bool = False

    def __post_init__(self):
        for k in ("C", "N", "batch_size", "steps"):
            if int(getattr(self, k)) < 1:
                raise ConfigError(f"RMISettings.{k} must be a positive integer; got {getattr(self, k)!r}")
        if not 0.0 <= self.beta <= 1.0:
            raise ConfigError(f"RMISettings.beta must be in [0, 1]; got {self.beta!r}")
        if self.lr <= 0 or self.momentum < 0 or self.weight_decay < 0:
            raise ConfigError(f"RMISettings needs lr > 0, momentum >= 0, weight_decay >= 0; got lr={self.lr}, "
                              f"momentum={self.momentum}, weight_decay={self.weight_decay}")
        if self.cka_dtype not in _DTYPES:
            raise ConfigError(f"RMISettings.cka_dtype must be one of {sorted(_DTYPES)}; got {self.cka_dtype!r}")
        SpeedOptions(amp=self.amp, channels_last=self.channels_last, compile=self.compile)  # validates them

    def as_dict(self) -> dict:
        return asdict(self)


PAPER = RMISettings()
SMALL = RMISettings(C=8, N=1, batch_size=64, steps=20)  # tests / CPU demos


def arch_seed(seed: int, ops) -> int:
    """The candidate's init seed: a SeedSequence hash of (root seed, base-5 code of the op tuple)."""
    code = int(np.dot(np.asarray(ops, dtype=np.int64), 5 ** np.arange(5, -1, -1)))
    return int(np.random.SeedSequence([int(seed), code]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class RMIScorer:
    """Holds the fixed batch and the teacher's Gram matrices; :meth:`score` trains and scores one candidate."""

    def __init__(self, teacher: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
                 settings: RMISettings = PAPER, device=None):
        if x.shape[0] != y.shape[0]:
            raise ConfigError(f"batch images ({x.shape[0]}) and labels ({y.shape[0]}) differ in length")
        self.settings, self.num_classes = settings, int(num_classes)
        self.device = _device(device)
        self.speed = SpeedOptions(amp=settings.amp, channels_last=settings.channels_last, compile=settings.compile)
        self.x, self.y = x.to(self.device), y.to(self.device)
        teacher = teacher.to(self.device).eval()
        with torch.no_grad():  # the teacher runs once per batch, in float32 whatever ``amp`` says
            _, feats = teacher(self.x, with_features=True)
        self.teacher = TeacherGrams(feats, _DTYPES[settings.cka_dtype])
        self.x = self.speed.to_device(self.x, self.device)  # channels-last when asked

    def score(self, ops) -> float:
        """Final-step loss of a fresh candidate trained on the fixed batch (+inf if it diverged)."""
        s = self.settings
        ops = tuple(int(o) for o in nb201._as_ops(ops))
        gen = torch.Generator(device="cpu").manual_seed(arch_seed(s.seed, ops))
        model = build_model(ops, self.num_classes, C=s.C, N=s.N, generator=gen, device=self.device).train()
        forward = self.speed.forward_fn(self.speed.model(model))
        scaler = self.speed.scaler(self.device)
        opt = torch.optim.SGD(model.parameters(), lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
        loss = None
        for _ in range(s.steps):
            with self.speed.autocast(self.device):
                logits, feats = forward(self.x, with_features=True)
                ce = F.cross_entropy(logits, self.y)
            loss = s.beta * rmi_loss(feats, self.teacher) + (1.0 - s.beta) * ce  # CKA: float64, autocast off
            if not torch.isfinite(loss):
                return math.inf
            opt.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                opt.step()
            else:  # fp16: scaled backward; a step with inf/NaN gradients is skipped by the scaler
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
        value = float(loss.detach())
        return value if math.isfinite(value) else math.inf
