"""Execution options of the live path: mixed precision, channels-last, ``torch.compile``, pinned transfers.

None of them changes what is computed, only how: ``amp`` runs convolutions and matmuls under ``torch.autocast``
(bf16 or fp16; fp16 adds a gradient scaler), ``channels_last`` stores activations and weights NHWC (faster
convolutions on tensor-core GPUs), ``compile`` wraps the training forward in ``torch.compile``, ``pin_memory``
copies each host batch to page-locked memory and transfers it with ``non_blocking=True``. The CKA of the RMI score
always runs in float64 outside autocast (:mod:`.cka`), whatever ``amp`` says.

Defaults. The library default (:data:`EXACT`) is everything off: float32, bit-for-bit the results of earlier
versions. The command lines default to ``auto``, resolved per device and workload by :func:`resolve` to the fastest
setting measured that does not move the results, which today is everything off on every device:

* CPU: bf16 autocast is slower than float32 on CPUs without bf16 matrix units, channels-last does not help the
  small convolutions here, and there is nothing to pin.
* CUDA, training (supernets, final training). Measured on an NVIDIA H200 by ``benchmarks/gpu_check.sh`` at the
  papers' sizes (docs/gpu_check/2026-11-28-h200*.md). bf16 + channels-last + pinned batches, the earlier default,
  was slower than float32 in every pair measured:
  - DARTS supernet epoch: 164.5 vs 121.5 s, and 186.1 vs 148.0 s in a second run;
  - NB201 supernet epoch: 36.8 vs 32.8 s;
  - DARTS final-training step: 0.165 vs 0.110 s and 0.215 vs 0.159 s (upper bounds: build time included).
  bf16 alone was slower too (182.7 vs 148.0 s per DARTS epoch), and pinned batches gained nothing. At C = 16 to 36
  the GPU is most likely bound by kernel launches rather than arithmetic (not profiled), so that casts and layout
  changes cost more than they save. bf16
  does halve the peak memory (2.8 vs 5.0 GiB per DARTS supernet): ``--amp bf16`` where memory is short.
* CUDA, RMI scoring: float32, NCHW. bf16 + channels-last diverged (an infinite loss) on one of two architectures.
  Channels-last moved the loss after 150 steps from about 1.0 to about 2.0: a change of 1.12-1.23 in three runs,
  with TF32 on or off. Float32 runs of one architecture spread by up to 0.065 on the GPU; CPU runs repeat exactly.
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass

import torch

from ..errors import ConfigError

__all__ = ["SpeedOptions", "EXACT", "AMP_MODES", "resolve", "autocast", "no_autocast"]

AMP_MODES = ("off", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class SpeedOptions:
    """How a live computation runs (not what it computes). See the module docstring for the defaults."""

    amp: str = "off"
    channels_last: bool = False
    compile: bool = False
    pin_memory: bool = False

    def __post_init__(self):
        if self.amp not in AMP_MODES:
            raise ConfigError(f"amp must be one of {', '.join(AMP_MODES)}; got {self.amp!r}")
        for k in ("channels_last", "compile", "pin_memory"):
            if not isinstance(getattr(self, k), bool):
                raise ConfigError(f"{k} must be true or false; got {getattr(self, k)!r}")

    def as_dict(self) -> dict:
        return asdict(self)

    # ------------------------------------------------------------------ helpers used by the training loops
    def autocast(self, device):
        """``torch.autocast`` for ``device`` with this ``amp`` (a no-op context when off)."""
        return autocast(self.amp, device)

    def scaler(self, device):
        """A gradient scaler for fp16 (its narrow exponent range needs one), else None (bf16 / float32 need none)."""
        return torch.amp.GradScaler(torch.device(device).type) if self.amp == "fp16" else None

    def model(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` converted in place to channels-last when asked (returned for chaining)."""
        if self.channels_last:
            module.to(memory_format=torch.channels_last)
        return module

    def forward_fn(self, module: torch.nn.Module):
        """The callable a training loop should use: ``torch.compile(module)`` when asked, else ``module``."""
        return torch.compile(module) if self.compile else module

    def to_device(self, x: torch.Tensor, device) -> torch.Tensor:
        """Move a batch to ``device``: pinned + non-blocking when asked; channels-last for 4-D images when asked."""
        dev = torch.device(device)
        if self.pin_memory and dev.type == "cuda" and x.device.type == "cpu":
            x = x.pin_memory()
        x = x.to(dev, non_blocking=dev.type == "cuda")
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


EXACT = SpeedOptions()


def autocast(amp: str, device):
    """``torch.autocast(device type, dtype)`` for ``amp`` in ('bf16', 'fp16'); a null context for 'off'."""
    if amp not in AMP_MODES:
        raise ConfigError(f"amp must be one of {', '.join(AMP_MODES)}; got {amp!r}")
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=_DTYPES[amp])


def no_autocast(device):
    """A region where autocast is off (float64 CKA inside an autocast training step)."""
    return torch.autocast(torch.device(device).type, enabled=False)


WORKLOADS = ("train", "rmi")


def resolve(device, amp: str = "auto", channels_last=None, compile: bool | None = None,
            pin_memory=None, workload: str = "train") -> SpeedOptions:
    """Concrete options for ``device`` and ``workload`` ('train' or 'rmi'): ``'auto'`` / ``None`` take the
    per-device default (module docstring)."""
    if workload not in WORKLOADS:
        raise ConfigError(f"workload must be one of {', '.join(WORKLOADS)}; got {workload!r}")
    if device not in (None, "auto"):
        torch.device(device)  # a malformed device fails here, with torch's message
    # Every default is off on every device and workload (measured: module docstring). ``device`` and ``workload``
    # stay in the signature so that a measured per-device default can return without changing the callers.
    return SpeedOptions(amp="off" if amp == "auto" else amp,
                        channels_last=bool(channels_last) if channels_last is not None else False,
                        compile=bool(compile) if compile is not None else False,
                        pin_memory=bool(pin_memory) if pin_memory is not None else False)
