"""``--amp``, ``--channels-last``, ``--compile``, ``--pin-memory`` for the live sub-commands (no torch at import).

``auto`` / unset values are resolved per device by :func:`nasbench_eval.live.speed.resolve` when the command runs:
everything off on a CPU; on CUDA channels-last and pinned transfers, bf16 autocast for training but not for RMI
scoring, ``torch.compile`` off (to be confirmed by ``benchmarks/gpu_check.sh``).
"""
from __future__ import annotations

import argparse

AMP_CHOICES = ("auto", "off", "bf16", "fp16")


def add_speed_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("speed (how it runs, not what it computes; docs/gpu.md)")
    g.add_argument("--amp", choices=AMP_CHOICES, default="auto",
                   help="mixed precision: auto (CUDA training: bf16; RMI scoring and CPU: off), off, bf16, fp16; "
                        "RMI's CKA stays float64")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="NHWC memory format (default: on with CUDA, off on CPU)")
    g.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile the training forward (default: off)")
    g.add_argument("--pin-memory", action=argparse.BooleanOptionalAction, default=None,
                   help="pinned host batches + non-blocking copies (default: on with CUDA)")


def speed_options(args, device, workload: str = "train"):
    """The resolved :class:`~nasbench_eval.live.speed.SpeedOptions` of a parsed command line."""
    from ..live.speed import resolve

    return resolve(device, getattr(args, "amp", "auto"), getattr(args, "channels_last", None),
                   getattr(args, "compile", None), getattr(args, "pin_memory", None), workload=workload)
