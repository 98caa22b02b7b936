"""Execution options of the live path: mixed precision, channels-last, ``torch.compile``, pinned transfers.

None of them changes what is computed, only how: ``amp`` runs convolutions and matmuls under ``torch.autocast``
(bf16 or fp16; fp16 adds a gradient scaler), ``channels_last`` stores activations and weights NHWC (faster
convolutions on tensor-core GPUs), ``compile`` wraps the training forward in ``torch.compile``, ``pin_memory``
copies each host batch to page-locked memory and transfers it with ``non_blocking=True``. The CKA of the RMI score
always runs in float64 outside autocast (:mod:`.cka`), whatever ``amp`` says.

Defaults. The library default (:data:`EXACT`) is everything off: float32, bit-for-bit the results of earlier
versions. The command lines default to ``auto``, resolved per device and workload by :func:`resolve`:

* CPU: everything off (bf16 autocast is slower than float32 on CPUs without bf16 matrix units, channels-last does
  not help the small convolutions here, and there is nothing to pin).
* CUDA, training (supernets, final training): ``amp=bf16`` (when the GPU supports it), ``channels_last`` and
  ``pin_memory`` on, ``compile`` off.
* CUDA, RMI scoring: as training but ``amp=off``. The score is the loss after 150 steps on one batch, and reduced
  precision moves it: on CPU (tests/test_live_speed.py, tiny settings) bf16 changed the loss by up to 0.012 alone
  and by 0.10 together with channels-last, which swapped two of four architectures 0.03 apart; fp16 by 0.008,
  channels-last alone (float32) by 1e-4.

The CUDA choices are to be confirmed by ``benchmarks/gpu_check.sh``; no GPU measurement exists yet (docs/gpu.md).
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
    if device in (None, "auto"):
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        dev = torch.device(device)
    cuda = dev.type == "cuda"
    if amp == "auto":
        amp = "bf16" if cuda and workload == "train" and torch.cuda.is_bf16_supported() else "off"
    return SpeedOptions(amp=amp, channels_last=cuda if channels_last is None else bool(channels_last),
                        compile=False if compile is None else bool(compile),
                        pin_memory=cuda if pin_memory is None else bool(pin_memory))
