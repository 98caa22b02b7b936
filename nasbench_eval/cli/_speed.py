"""``--amp``, ``--channels-last``, ``--compile``, ``--pin-memory`` for the live sub-commands (no torch at import).

``auto`` / unset values are resolved per device by :func:`nasbench_eval.live.speed.resolve` when the command runs:
everything off on CPU and CUDA alike. On an H200 at the papers' sizes, bf16, channels-last and pinned batches made
training slower and channels-last moved RMI scores (``benchmarks/gpu_check.sh``; docs/gpu.md).
"""
from __future__ import annotations

import argparse

AMP_CHOICES = ("auto", "off", "bf16", "fp16")


def add_speed_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("speed (how it runs, not what it computes; docs/gpu.md)")
    g.add_argument("--amp", choices=AMP_CHOICES, default="auto",
                   help="mixed precision: auto (= off: bf16 was slower at the papers' sizes on an H200, "
                        "docs/gpu.md), off, bf16 (halves GPU memory), fp16; RMI's CKA stays float64")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="NHWC memory format (default: off; on an H200 no clear gain for training, and it moved "
                        "RMI scores by ~1: docs/gpu.md)")
    g.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile the training forward (default: off)")
    g.add_argument("--pin-memory", action=argparse.BooleanOptionalAction, default=None,
                   help="pinned host batches + non-blocking copies (default: off; no gain measured)")


def speed_options(args, device, workload: str = "train"):
    """The resolved :class:`~nasbench_eval.live.speed.SpeedOptions` of a parsed command line."""
    from ..live.speed import resolve

    return resolve(device, getattr(args, "amp", "auto"), getattr(args, "channels_last", None),
                   getattr(args, "compile", None), getattr(args, "pin_memory", None), workload=workload)
