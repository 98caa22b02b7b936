"""Real training: reference (teacher) models for RMI, short trainings for proxy-quality checks, checkpoints.

RMI-NAS (Zheng et al., CVPR 2022) needs a fully trained reference network (ResNet-20 for CIFAR-10 in the paper).
:func:`train_reference` trains one (SGD, Nesterov momentum 0.9, cosine learning rate, random crop + flip), reports
its accuracy on the data set's valid part, and saves ``{"state_dict", "meta"}`` with ``torch.save`` plus the same
metadata as JSON beside it. :func:`load_reference` reads it back with ``torch.load(weights_only=True)``: no
arbitrary object is ever unpickled.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .._io import sha256_file as file_sha256
from ..errors import ConfigError
from .data import ImageData, augment, load_data, to_tensor
from .models import RESNET_DEPTHS, build_model

__all__ = ["train_model", "accuracy", "train_reference", "save_checkpoint", "load_reference", "file_sha256"]


def _device(device) -> torch.device:
    return torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def accuracy(model: torch.nn.Module, data: ImageData, split: str = "valid", batch_size: int = 512,
             device=None) -> float:
    """Top-1 accuracy (%) of ``model`` (eval mode) on ``data``'s ``split`` ('train' or 'valid')."""
    dev = _device(device)
    x, y = (data.x_valid, data.y_valid) if split == "valid" else (data.x_train, data.y_train)
    model.eval().to(dev)
    correct = 0
    for i in range(0, len(y), batch_size):
        xb = to_tensor(x[i:i + batch_size], data.mean, data.std).to(dev)
        correct += int((model(xb).argmax(1).cpu() == torch.from_numpy(y[i:i + batch_size])).sum())
    return 100.0 * correct / len(y)


def train_model(model: torch.nn.Module, data: ImageData, *, epochs: int, seed: int, batch_size: int = 128,
                lr: float = 0.1, weight_decay: float = 5e-4, flip: bool | None = None, device=None) -> torch.nn.Module:
    """Train in place: SGD (Nesterov, momentum 0.9), cosine lr over all steps, crop(pad 4) [+ flip], seeded order.

    ``flip`` defaults to True except for digit images (a mirrored digit is another symbol).
    """
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise ConfigError(f"train_model needs epochs >= 1, batch_size >= 1, lr > 0; got epochs={epochs}, "
                          f"batch_size={batch_size}, lr={lr}")
    dev = _device(device)
    flip = data.name not in ("digits", "mnist-5k") if flip is None else flip
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    n = len(data.y_train)
    steps_per_epoch = math.ceil(n / batch_size)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    x_all = to_tensor(data.x_train, data.mean, data.std)
    y_all = torch.from_numpy(data.y_train)
    model.to(dev).train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(steps_per_epoch):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            xb = augment(x_all[idx], gen, pad=4, flip=flip).to(dev)
            loss = F.cross_entropy(model(xb), y_all[idx].to(dev))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model


def check_out(path) -> None:
    """Refuse an output path that holds something other than a checkpoint written by :func:`save_checkpoint`
    (a folder, a dangling link, or a file without our ``<path>.json`` sidecar naming it): never overwrite a user's
    file."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise ConfigError(f"--out {str(path)!r} is a dangling symbolic link; give a file path for the checkpoint")
    if not path.exists():
        return
    side = path.with_name(path.name + ".json")
    try:
        ours = path.is_file() and side.is_file() and json.loads(side.read_text(encoding="utf-8")).get(
            "checkpoint") == path.name
    except (OSError, ValueError, AttributeError, RecursionError):
        ours = False
    if not ours:
        raise ConfigError(f"--out {str(path)!r} exists and is not a reference checkpoint written by train-reference "
                          "(no matching .json sidecar); refusing to overwrite it")


def save_checkpoint(path, model: torch.nn.Module, meta: dict) -> Path:
    """Atomically write ``{"state_dict", "meta"}`` to ``path`` and ``meta`` (+ sha256) to ``<path>.json``."""
    path = Path(path)
    check_out(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    torch.save({"state_dict": state, "meta": meta}, tmp)
    os.replace(tmp, path)
    side = dict(meta, checkpoint=path.name, sha256=file_sha256(path))
    path.with_name(path.name + ".json").write_text(json.dumps(side, indent=2, sort_keys=True) + "\n")
    return path


def load_reference(path, device=None) -> tuple[torch.nn.Module, dict]:
    """Rebuild the model a checkpoint describes and load its weights (``weights_only=True``); returns (model, meta)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"reference checkpoint {str(path)!r} does not exist (make one with "
                          f"`nasbench-eval rmi train-reference`)")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a foreign / corrupted file
        raise ConfigError(f"{path}: not a loadable weights-only checkpoint ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(blob, dict) or "state_dict" not in blob or "meta" not in blob:
        raise ConfigError(f"{path}: expected a dict with 'state_dict' and 'meta' (written by train-reference)")
    meta = blob["meta"]
    if not isinstance(meta, dict) or not isinstance(meta.get("arch"), str):
        raise ConfigError(f"{path}: its 'meta' must be a mapping naming the 'arch' (written by train-reference)")
    meta = dict(meta)
    shape = {"num_classes": (meta.get("num_classes"), 100_000), "C": (meta.get("C", 16), 1024),
             "N": (meta.get("N", 5), 100)}
    for k, (v, hi) in shape.items():  # declared shapes are bounded: a hostile file cannot ask for terabytes
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
            raise ConfigError(f"{path}: meta.{k} must be an integer in [1, {hi:,}]; got {v!r}")
    try:
        model = build_model(meta["arch"], meta["num_classes"], C=meta.get("C", 16), N=meta.get("N", 5), seed=0)
        model.load_state_dict(blob["state_dict"])
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unknown arch or weights that do not fit it
        raise ConfigError(f"{path}: its weights do not fit the model its meta describes ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None
    meta["fingerprint"] = file_sha256(path)[:16]
    return model.to(_device(device)).eval(), meta


def train_reference(dataset: str, out, *, data_root=None, arch: str = "resnet20", epochs: int | None = None,
                    seed: int = 0, batch_size: int = 128, lr: float = 0.1, weight_decay: float = 5e-4,
                    C: int = 16, N: int = 5, device=None, data: ImageData | None = None) -> dict:
    """Train a reference model on ``dataset`` and save it to ``out``; returns the metadata written."""
    check_out(out)  # before any training
    data = data if data is not None else load_data(dataset, data_root)
    epochs = int(epochs if epochs is not None else (30 if data.name in ("digits", "mnist-5k") else 200))
    if arch.lower() in RESNET_DEPTHS:
        arch = arch.lower()
    t0 = time.perf_counter()
    model = build_model(arch, data.num_classes, C=C, N=N, seed=seed, device=_device(device))
    train_model(model, data, epochs=epochs, seed=seed, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                device=device)
    acc = accuracy(model, data, "valid", device=device)
    meta = {"arch": arch, "dataset": data.name, "num_classes": data.num_classes, "valid_accuracy": acc,
            "valid_split": data.valid_split, "seed": int(seed), "epochs": epochs, "batch_size": batch_size,
            "lr": lr, "weight_decay": weight_decay, "C": C, "N": N, "data_fingerprint": data.fingerprint(),
            "train_seconds": round(time.perf_counter() - t0, 3), "torch": str(torch.__version__),
            "device": str(_device(device)), "train_images": int(len(data.y_train))}
    if arch in RESNET_DEPTHS:
        meta.pop("C"), meta.pop("N")
    save_checkpoint(out, model, meta)
    return meta
