"""Checkpoints of a supernet search: ``weights.pt`` (state dicts only, loaded with ``weights_only=True``) plus
``meta.json`` (network class + config, trainer hyper-parameters, epoch, weight version, the trainer's numpy RNG state,
and whatever JSON-able ``extra`` the caller adds, e.g. the driver's generation count). No pickle of objects.

Files are written to ``*.tmp`` and renamed, so an interrupted save never leaves a half-written checkpoint.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import StoreError
from .darts_net import DartsSupernet
from .nb201_net import NB201Supernet
from .training import SupernetTrainer

NETS = {"DartsSupernet": DartsSupernet, "NB201Supernet": NB201Supernet}
FORMAT = 1


def build_net(cls_name: str, config: dict):
    if cls_name not in NETS:
        raise StoreError(f"checkpoint names unknown network {cls_name!r}; known: {', '.join(NETS)}")
    return NETS[cls_name](**config)


def save_checkpoint(directory, trainer: SupernetTrainer, extra: dict | None = None) -> Path:
    """Write ``weights.pt`` and ``meta.json`` under ``directory`` (created if needed); returns the directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    state = {"net": trainer.net.state_dict(), "optimizer": trainer.optimizer.state_dict(),
             "scheduler": trainer.scheduler.state_dict()}
    meta = {"format": FORMAT, "net_class": type(trainer.net).__name__, "net_config": trainer.net.config(),
            "hparams": trainer.hparams, "epoch": trainer.epoch, "version": trainer.version,
            "train_seconds": trainer.train_seconds, "rng_state": trainer.rng.bit_generator.state,
            "extra": extra or {}}
    torch.save(state, d / "weights.pt.tmp")
    (d / "meta.json.tmp").write_text(json.dumps(meta, indent=1))
    os.replace(d / "weights.pt.tmp", d / "weights.pt")
    os.replace(d / "meta.json.tmp", d / "meta.json")
    return d


def read_meta(directory) -> dict:
    p = Path(directory) / "meta.json"
    if not p.exists():
        raise StoreError(f"no supernet checkpoint at {str(directory)!r} (missing meta.json)")
    meta = json.loads(p.read_text())
    if meta.get("format") != FORMAT:
        raise StoreError(f"checkpoint format {meta.get('format')!r} at {directory}; this version reads {FORMAT}")
    return meta


def load_checkpoint(directory, train_data, device=None) -> tuple[SupernetTrainer, dict]:
    """Rebuild the trainer (net, optimiser, schedule, RNG, counters) saved in ``directory``; returns it and meta."""
    meta = read_meta(directory)
    net = build_net(meta["net_class"], meta["net_config"])
    bitgen = getattr(np.random, meta["rng_state"]["bit_generator"])()
    bitgen.state = meta["rng_state"]
    trainer = SupernetTrainer(net, train_data, np.random.Generator(bitgen), device=device, **meta["hparams"])
    state = torch.load(Path(directory) / "weights.pt", map_location=trainer.device, weights_only=True)
    net.load_state_dict(state["net"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.scheduler.load_state_dict(state["scheduler"])
    trainer.epoch, trainer.version = meta["epoch"], meta["version"]
    trainer.train_seconds = meta.get("train_seconds", 0.0)
    return trainer, meta
