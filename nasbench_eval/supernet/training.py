"""Supernet weight training in the three modes of the EvNAS family, and fitness.

* mode ``A`` -- population round-robin (EvNAS arXiv 2012.12540, NEvoNAS): mini-batch ``b`` trains individual
  ``b mod P`` with its decoded alpha-hat;
* mode ``B`` -- random continuous alpha (CMANAS, pEvoNAS S2): a fresh ``alpha ~ U[0,1)`` per batch, not decoded;
* mode ``C`` -- near-uniform alpha (pEvoNAS S1): ``alpha = 1e-3 * U[0,1)`` per batch.

Alpha never gets a gradient. Weight loss = cross-entropy, SGD (lr 0.025, momentum 0.9, wd 3e-4, optional
Nesterov), cosine annealing to 0.001 over the planned epochs, gradient-norm clipping 5 (DARTS / EvNAS settings).
All randomness comes from the ``numpy.random.Generator`` given to the trainer (batch order and augmentation use a
``torch.Generator`` seeded from it once per epoch).
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..live.data import augment, batches
from ..live.speed import EXACT, SpeedOptions

MODES = ("A", "B", "C")
BN_MODES = ("train", "eval")


def batch_alpha(mode: str, b: int, rng: np.random.Generator, shape, population_hat=None) -> np.ndarray:
    """The alpha used for mini-batch ``b`` in ``mode`` (A needs ``population_hat`` ``(P, n_edges, n_ops)``)."""
    if mode == "A":
        if population_hat is None or len(population_hat) == 0:
            raise ConfigError("training mode 'A' needs the population's alpha-hat (P, n_edges, n_ops)")
        return np.asarray(population_hat[b % len(population_hat)])
    if mode == "B":
        return rng.random(shape)
    if mode == "C":
        return 1e-3 * rng.random(shape)
    raise ConfigError(f"unknown training mode {mode!r}; allowed: {', '.join(MODES)}")


def pick_device(device: str | None = None) -> torch.device:
    """``None``/``'auto'``: CUDA when available, else CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class SupernetTrainer:
    """Owns a supernet's optimiser, LR schedule, epoch counter and RNG; ``version`` changes whenever weights do."""

    def __init__(self, net, train_data, rng: np.random.Generator, *, epochs: int = 50, lr: float = 0.025,
                 lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4, nesterov: bool = False,
                 batch_size: int = 64, grad_clip: float = 5.0, hard: bool = False, crop_pad: int = 4,
                 flip: bool = True, cutout: int = 0, max_batches: int | None = None, device=None,
                 amp: str = "off", channels_last: bool = False, compile: bool = False, pin_memory: bool = False):
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        self.device = pick_device(device)
        self.speed = SpeedOptions(amp=amp, channels_last=channels_last, compile=compile, pin_memory=pin_memory)
        self.net = self.speed.model(net.to(self.device))
        self.net._speed = self.speed  # top1_accuracy runs the same way
        self._forward = self.speed.forward_fn(self.net)
        self._scaler = self.speed.scaler(self.device)
        self.train_data = train_data
        self.rng = rng
        self.hparams = dict(epochs=epochs, lr=lr, lr_min=lr_min, momentum=momentum, weight_decay=weight_decay,
                            nesterov=nesterov, batch_size=batch_size, grad_clip=grad_clip, hard=hard,
                            crop_pad=crop_pad, flip=flip, cutout=cutout, max_batches=max_batches,
                            **self.speed.as_dict())
        self.optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay,
                                         nesterov=nesterov)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, max(epochs, 1), eta_min=lr_min)
        self.epoch = 0
        self.version = 0
        self.train_seconds = 0.0

    def train_epoch(self, mode: str, population_hat=None) -> dict:
        """One pass over the training split in ``mode``; steps the LR schedule. Returns loss / batches / seconds."""
        h = self.hparams
        if mode == "A":
            population_hat = np.asarray(population_hat, dtype=np.float32)
        shape = (self.net.n_edges, self.net.n_ops)
        gen = torch.Generator().manual_seed(int(self.rng.integers(2**63)))
        x, y = self.train_data
        self.net.train()
        t0, losses, version = time.perf_counter(), [], self.version
        for b, (xb, yb) in enumerate(batches(x, y, h["batch_size"], gen)):
            if h["max_batches"] is not None and b >= h["max_batches"]:
                break
            alpha = batch_alpha(mode, b, self.rng, shape, population_hat)
            if h["crop_pad"] or h["flip"] or h["cutout"]:
                xb = augment(xb, gen, h["crop_pad"], h["flip"], h["cutout"])
            losses.append(self.step(xb, yb, alpha))
        if self.version > version:  # the schedule advances after the optimiser has stepped, never before
            self.scheduler.step()
        self.epoch += 1
        dt = time.perf_counter() - t0
        self.train_seconds += dt
        return {"epoch": self.epoch, "loss": float(np.mean(losses)) if losses else float("nan"),
                "batches": len(losses), "seconds": dt}

    def step(self, xb, yb, alpha) -> float:
        """One SGD step on one batch with architecture ``alpha`` (grad-norm clipped)."""
        xb, yb = self.speed.to_device(xb, self.device), self.speed.to_device(yb, self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with self.speed.autocast(self.device):
            loss = F.cross_entropy(self._forward(xb, alpha, hard=self.hparams["hard"]), yb)
        if self._scaler is None:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.hparams["grad_clip"])
            self.optimizer.step()
        else:  # fp16: unscale before clipping; a step with inf/NaN gradients is skipped
            self._scaler.scale(loss).backward()
            self._scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.hparams["grad_clip"])
            self._scaler.step(self.optimizer)
            self._scaler.update()
        self.version += 1
        return float(loss.detach())


@torch.no_grad()
def top1_accuracy(net, x, y, alpha, *, bn_mode: str = "eval", batch_size: int = 1024, hard: bool = False,
                  device=None) -> float:
    """Top-1 (percent) of ``net`` with architecture ``alpha`` over ALL of ``(x, y)``.

    ``bn_mode='eval'`` uses BN running statistics (EvNAS S2, CMANAS); ``'train'`` uses each batch's statistics
    (EvNAS S1 never calls eval(); with ``track_running_stats=True`` this also updates the running stats, as there).
    """
    if bn_mode not in BN_MODES:
        raise ConfigError(f"unknown bn_mode {bn_mode!r}; allowed: {', '.join(BN_MODES)}")
    device = next(net.parameters()).device if device is None else torch.device(device)
    speed = getattr(net, "_speed", EXACT)  # set by the SupernetTrainer that owns ``net``
    was_training = net.training
    net.train(bn_mode == "train")
    correct = 0
    try:
        for xb, yb in batches(x, y, batch_size):
            with speed.autocast(device):
                out = net(speed.to_device(xb, device), alpha, hard=hard)
            correct += int((out.argmax(1).cpu() == yb).sum())
    finally:
        net.train(was_training)
    return 100.0 * correct / max(len(y), 1)
