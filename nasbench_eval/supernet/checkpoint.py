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
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")  # numpy's; nothing else is ever called
# A checkpoint declares the network it holds; these bounds stop a hostile one from asking for terabytes.
NET_LIMITS = {"C": 1024, "layers": 100, "N": 100, "num_classes": 100_000, "stem_multiplier": 16, "in_channels": 64}


def build_net(cls_name: str, config: dict):
    if cls_name not in NETS:
        raise StoreError(f"checkpoint names unknown network {cls_name!r}; known: {', '.join(NETS)}")
    if not isinstance(config, dict):
        raise StoreError(f"checkpoint net_config must be a mapping; got {type(config).__name__}")
    for k, v in config.items():
        if k in NET_LIMITS and (isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= NET_LIMITS[k]):
            raise StoreError(f"checkpoint net_config.{k} must be an integer in [1, {NET_LIMITS[k]:,}]; got {v!r}")
    try:
        return NETS[cls_name](**config)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"checkpoint net_config does not describe a {cls_name} ({exc})") from None


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
    if not p.is_file():
        raise StoreError(f"no supernet checkpoint at {str(directory)!r} (missing meta.json)")
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise StoreError(f"{p} is not a readable checkpoint description ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise StoreError(f"checkpoint format {got!r} at {directory}; this version reads {FORMAT}")
    need = {"net_class": str, "net_config": dict, "hparams": dict, "epoch": int, "version": int, "rng_state": dict}
    for k, t in need.items():
        if not isinstance(meta.get(k), t) or isinstance(meta.get(k), bool):
            raise StoreError(f"{p}: {k!r} is missing or not a {t.__name__}")
    if meta["rng_state"].get("bit_generator") not in BIT_GENERATORS:
        raise StoreError(f"{p}: rng_state.bit_generator must be one of {', '.join(BIT_GENERATORS)}; got "
                         f"{meta['rng_state'].get('bit_generator')!r}")
    return meta


def load_checkpoint(directory, train_data, device=None) -> tuple[SupernetTrainer, dict]:
    """Rebuild the trainer (net, optimiser, schedule, RNG, counters) saved in ``directory``; returns it and meta."""
    meta = read_meta(directory)
    net = build_net(meta["net_class"], meta["net_config"])
    bitgen = getattr(np.random, meta["rng_state"]["bit_generator"])()  # one of BIT_GENERATORS (read_meta)
    try:
        bitgen.state = meta["rng_state"]
    except (TypeError, ValueError, KeyError) as exc:
        raise StoreError(f"checkpoint at {directory}: rng_state is not a valid generator state ({exc})") from None
    try:
        trainer = SupernetTrainer(net, train_data, np.random.Generator(bitgen), device=device, **meta["hparams"])
    except TypeError as exc:
        raise StoreError(f"checkpoint at {directory}: hparams do not fit the trainer ({exc})") from None
    wpath = Path(directory) / "weights.pt"
    try:
        state = torch.load(wpath, map_location=trainer.device, weights_only=True)
        net.load_state_dict(state["net"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.scheduler.load_state_dict(state["scheduler"])
    except Exception as exc:  # noqa: BLE001 - truncated, foreign or mismatched: any failure means a bad file
        raise StoreError(f"{wpath} is truncated, not a supernet checkpoint or does not match meta.json "
                         f"({type(exc).__name__}: {str(exc)[:200]})") from None
    trainer.epoch, trainer.version = meta["epoch"], meta["version"]
    trainer.train_seconds = meta.get("train_seconds", 0.0)
    return trainer, meta
