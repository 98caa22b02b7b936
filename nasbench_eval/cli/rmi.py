"""``nasbench-eval rmi``: train a reference model and score NB201 architectures with RMI (RMI-NAS, CVPR 2022).

torch is imported only when a sub-command runs, so ``nasbench-eval --help`` stays fast.
"""
from __future__ import annotations

from ._presets import add_preset_arguments
from ._speed import add_speed_arguments, speed_options
from ._types import positive_float, positive_int, seed_int

import argparse
import json
import sys

_SETTINGS = ("C", "N", "batch_size", "steps", "lr", "seed", "batch_seed", "cka_dtype")


def register(subparsers) -> None:
    p = subparsers.add_parser("rmi", help="live RMI proxy: train a reference model, score architectures",
                              description=__doc__)
    sub = p.add_subparsers(dest="rmi_command", metavar="SUBCOMMAND")
    sub.required = True

    t = sub.add_parser("train-reference", help="train a reference (teacher) model and save a checkpoint")
    t.add_argument("--dataset", choices=("cifar10", "cifar100", "digits", "mnist-5k"), default=None,
                   help="required unless a --preset names it")
    t.add_argument("--data-root", default=None, help="folder with the torchvision CIFAR layout (never downloaded)")
    t.add_argument("--out", required=True, help="checkpoint path (metadata is written to OUT.json)")
    t.add_argument("--arch", default="resnet20",
                   help="resnet20 | resnet56 | resnet110 | resnet101 (bottleneck, RMI-NAS's CIFAR-100 reference) | "
                        "an NB201 arch string")
    t.add_argument("--epochs", type=positive_int, default=None, help="default: 200 (CIFAR), 30 (digits)")
    t.add_argument("--seed", type=seed_int, default=0, help="training seed")
    t.add_argument("--batch-size", type=positive_int, default=128)
    t.add_argument("--lr", type=positive_float, default=0.1)
    t.add_argument("--C", type=positive_int, default=16, help="NB201 reference only: channels of stage 1")
    t.add_argument("--N", type=positive_int, default=5, help="NB201 reference only: cells per stage")
    t.add_argument("--device", default=None, help="cuda / cpu (default: cuda when available)")
    t.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (1 is faster on a busy machine)")
    t.set_defaults(func=_train_reference)
    add_preset_arguments(t, "rmi train-reference")

    s = sub.add_parser("score", help="RMI loss of NB201 architectures (lower = closer to the reference)")
    s.add_argument("archs", nargs="+", metavar="ARCH", help="NB201 arch strings or indices")
    s.add_argument("--reference", required=True, help="checkpoint written by train-reference")
    s.add_argument("--data", default=None,
                   help="cifar10 | cifar100 | digits | mnist-5k (default: the reference's dataset)")
    s.add_argument("--data-root", default=None)
    s.add_argument("--cache", default=None, help="JSON-lines cache file (reused across runs)")
    s.add_argument("--small", action="store_true", help="CPU-sized settings: C=8 N=1 batch 64, 20 steps")
    for name, typ in (("C", positive_int), ("N", positive_int), ("batch_size", positive_int), ("steps", positive_int),
                      ("lr", positive_float), ("seed", seed_int), ("batch_seed", seed_int), ("cka_dtype", str)):
        s.add_argument(f"--{name.replace('_', '-')}", dest=name, type=typ, default=None)
    s.add_argument("--device", default=None)
    s.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads")
    s.add_argument("--json", action="store_true", help="print one JSON object per architecture")
    add_speed_arguments(s)
    s.set_defaults(func=_score)
    add_preset_arguments(s, "rmi score")


def _set_threads(n) -> None:
    if n is not None:
        import torch

        torch.set_num_threads(int(n))


def _train_reference(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..live.train import train_reference

    if args.dataset is None:
        raise ConfigError("rmi train-reference needs --dataset (cifar10, cifar100 or digits) or a --preset naming it")
    _set_threads(args.threads)
    meta = train_reference(args.dataset, args.out, data_root=args.data_root, arch=args.arch, epochs=args.epochs,
                           seed=args.seed, batch_size=args.batch_size, lr=args.lr, C=args.C, N=args.N,
                           device=args.device)
    print(f"saved {args.out} ({meta['arch']} on {meta['dataset']}, {meta['epochs']} epochs, seed {meta['seed']}): "
          f"valid accuracy {meta['valid_accuracy']:.2f}% on the {meta['valid_split']} "
          f"in {meta['train_seconds']:.1f} s")
    return 0


def _score(args: argparse.Namespace) -> int:
    import numpy as np

    from ..evaluators.rmi_cache import cached_losses, record_request, request_key
    from ..spaces import nb201

    ops = np.array([nb201.index_to_ops(nb201.to_index(a)) for a in args.archs], dtype=np.int64)
    overrides = {k: getattr(args, k) for k in _SETTINGS if getattr(args, k) is not None}
    asked = {"small": bool(args.small), "settings": overrides, "device": args.device,
             "speed": {k: getattr(args, k, None) for k in ("amp", "channels_last", "compile")}}
    request = request_key(args.reference, args.data, args.data_root, asked) if args.cache else None
    hit = cached_losses(args.cache, request, [nb201.format_arch(a) for a in ops])
    if hit is not None:  # every arch answered from the cache: no torch, no reference, no data loaded
        _print_scores(args, ops, hit, np.zeros(len(ops)), np.ones(len(ops), dtype=bool))
        return 0
    from ..evaluators.rmi import RMIEvaluator
    from ..live.rmi import PAPER, SMALL

    _set_threads(args.threads)
    speed = speed_options(args, args.device, "rmi")  # amp / channels-last / compile enter the settings (and cache key)
    overrides.update(amp=speed.amp, channels_last=speed.channels_last, compile=speed.compile)
    ev = RMIEvaluator.from_checkpoint(args.reference, data=args.data, data_root=args.data_root, cache=args.cache,
                                      device=args.device, settings=SMALL if args.small else PAPER, **overrides)
    res = ev.evaluate(ops)
    record_request(args.cache, request, ev.fingerprint())
    _print_scores(args, ops, res.values["rmi_loss"], res.cost, res.cached)
    return 0


def _print_scores(args, ops, values, cost, cached) -> None:
    import numpy as np

    from ..spaces import nb201

    for a, v, c, h in zip(ops, values, cost, cached):
        arch = nb201.format_arch(a)
        if args.json:
            print(json.dumps({"arch": arch, "rmi_loss": v if np.isfinite(v) else "inf", "seconds": round(float(c), 3),
                              "cached": bool(h)}))
        else:
            print(f"{v:10.6f}  {c:8.2f} s{'  (cached)' if h else '          '}  {arch}")
    sys.stdout.flush()
