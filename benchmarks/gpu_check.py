"""What a GPU run of the live path costs: one prepared benchmark, a JSON + Markdown table, under 8 minutes.

Measures, on the accelerator (CUDA when present) and for a few steps on the CPU (for a ratio):

1. RMI-NAS scoring at the paper's NAS-Bench-201 setting (Zheng et al., CVPR 2022: candidate C=16, N=5, one batch of
   512 images, 150 SGD steps): seconds per architecture for this package's scorer -- float32 and with the speed
   options ``auto`` picks -- and for a straightforward per-step loop written from the paper (teacher forward every
   step, float32 Gram matrices centred with an explicit H matrix; ``benchmarks/bench_rmi.py``), with the final
   losses compared.
2. One supernet epoch at the papers' settings: DARTS space (C=16, 8 cells, batch 64, 25,000 training images; EvNAS,
   GECCO 2021) and NAS-Bench-201 (C=16, N=5, batch 64; EvNAS's NB201 script), mode-A training, plus one fitness
   evaluation over the 25,000-image validation half (batch 1024).
3. Final training (DARTS protocol, Liu et al., ICLR 2019): step time at C=36, 20 cells, batch 96, auxiliary head,
   drop-path, cutout, for float32 and the ``auto`` options (and ``torch.compile`` when time allows).
4. Peak GPU memory of every measurement.

Where an epoch would overrun its share of the time budget, the steps run are measured and the epoch extrapolated
(the table says so). Images: CIFAR-10 from ``--data-root`` when its python batches are there, else CIFAR-shaped
random tensors made on the fly (timing does not depend on pixel values; the output says which). The reference
network of the RMI measurement is an untrained ResNet-20 for the same reason.

    bash benchmarks/gpu_check.sh                 # on the GPU machine; writes $OUT (or ./gpu_check_out)
    python benchmarks/gpu_check.py --tiny --out /tmp/gc   # seconds on a CPU; run by tests/test_gpu_check.py
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_rmi: the per-step loop written from the paper

from bench_rmi import naive_score  # noqa: E402

from nasbench_eval.live.models import build_model  # noqa: E402
from nasbench_eval.live.rmi import PAPER, RMIScorer, RMISettings  # noqa: E402
from nasbench_eval.live.speed import EXACT, SpeedOptions, resolve  # noqa: E402
from nasbench_eval.spaces import darts as D  # noqa: E402
from nasbench_eval.spaces import get_space, nb201  # noqa: E402
from nasbench_eval.supernet.driver import make_supernet  # noqa: E402
from nasbench_eval.supernet.final import train_final  # noqa: E402
from nasbench_eval.supernet.mixed import reset_parameters  # noqa: E402
from nasbench_eval.supernet.training import SupernetTrainer, top1_accuracy  # noqa: E402

# DARTS-V2 normal / reduce cells as published by Liu et al. (ICLR 2019): the final-training workload
DARTS_V2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
            "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
            "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
            "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")

PAPER_CFG = {"rmi": PAPER, "rmi_archs": 2, "train_images": 25_000, "valid_images": 25_000,
             "darts": {"C": 16, "cells": 8, "batch": 64}, "nb201": {"C": 16, "cells": 5, "batch": 64},
             "valid_batch": 1024, "final": {"C": 36, "layers": 20, "batch": 96}, "final_steps": 20,
             "cpu_steps": 3, "budget_s": 420, "warm_steps": 2, "probe_steps": 3}
TINY_CFG = {"rmi": RMISettings(C=4, N=1, batch_size=16, steps=2), "rmi_archs": 1, "train_images": 32,
            "valid_images": 32, "darts": {"C": 4, "cells": 3, "batch": 16}, "nb201": {"C": 4, "cells": 1, "batch": 16},
            "valid_batch": 32, "final": {"C": 4, "layers": 3, "batch": 8}, "final_steps": 2, "cpu_steps": 1,
            "budget_s": 60, "warm_steps": 1, "probe_steps": 1}


@contextlib.contextmanager
def tf32(enabled):
    """TF32 for cuDNN convolutions and CUDA matmuls on (PyTorch's defaults: convolutions on, matmuls off) or off;
    ``None`` leaves PyTorch's settings as they are."""
    if enabled is None:
        yield
        return
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = bool(enabled)
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


SECTION_NAMES = ("rmi", "darts", "nb201", "final")


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_mib(device):
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1) if device.type == "cuda" else None


def images(n, root, gen):
    """``(x, y, source)``: CIFAR-10 training images when ``root`` has them, else random CIFAR-shaped tensors."""
    if root and (Path(root) / "cifar-10-batches-py").is_dir():
        from nasbench_eval.live.data import cifar10_splits

        d = cifar10_splits(root, 0)
        x = torch.cat([d["train"][0], d["valid"][0]])[:n]
        y = torch.cat([d["train"][1], d["valid"][1]])[:n]
        return x, y, f"CIFAR-10 from {root}"
    x = torch.randn(n, 3, 32, 32, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    return x, y, "CIFAR-shaped random tensors made on the fly (no CIFAR files found)"


class Bench:
    """Collects rows; every row names the device that ran it."""

    def __init__(self, cfg, accel, tiny: bool, log=print):
        self.cfg, self.accel, self.tiny, self.rows, self.log = cfg, accel, tiny, [], log
        self.role = "accelerator"  # or "cpu comparison" (a few steps of the same workloads, for the ratio)
        self.t0 = time.perf_counter()

    def left(self) -> float:
        return self.cfg["budget_s"] - (time.perf_counter() - self.t0)

    def add(self, section, variant, device, seconds, per, steps, note="", peak=None, extra=None):
        row = {"section": section, "variant": variant, "role": self.role, "device": device_name(device),
               "seconds": round(seconds, 5),
               "per": per, "steps_measured": steps, "peak_gpu_mib": peak, "note": note, **(extra or {})}
        self.rows.append(row)
        self.log(f"[{row['device']}] {section} / {variant}: {seconds:.4f} s per {per}"
                 f"{f' (peak {peak} MiB)' if peak else ''}{f' -- {note}' if note else ''}")
        return row


def device_name(device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads, {platform.processor() or platform.machine()})"


# ------------------------------------------------------------------------------------------------ 1. RMI
def bench_rmi(b: Bench, x, y, device, variants, steps=None, n_archs=None):
    base = b.cfg["rmi"] if steps is None else RMISettings(**{**b.cfg["rmi"].as_dict(), "steps": steps})
    ops = [tuple(int(v) for v in o) for o in nb201.random_ops(np.random.default_rng(0), n_archs or b.cfg["rmi_archs"])]
    teacher = build_model("resnet20", 10, seed=0, device=device)
    xb, yb = x[:base.batch_size].to(device), y[:base.batch_size].to(device)
    losses, rows = {}, {}
    for name, speed, *tf in variants:  # (name, SpeedOptions[, TF32 on/off])
        tf = tf[0] if tf else None
        s = RMISettings(**{**base.as_dict(), "amp": speed.amp, "channels_last": speed.channels_last,
                           "compile": speed.compile})
        reset_peak(device)
        with tf32(tf):
            if name == "per-step loop":
                naive_score(teacher, xb, yb, ops[0], RMISettings(**{**s.as_dict(), "steps": 1}), device)  # warm-up
                sync(device)
                t = time.perf_counter()
                out = [naive_score(teacher, xb, yb, o, s, device) for o in ops]
            else:
                scorer = RMIScorer(teacher, xb, yb, 10, RMISettings(**{**s.as_dict(), "steps": 1}), device)
                scorer.score(ops[0])  # warm-up (allocator, cuDNN algorithm choice)
                scorer = RMIScorer(teacher, xb, yb, 10, s, device)
                sync(device)
                t = time.perf_counter()
                out = [scorer.score(o) for o in ops]
            sync(device)
        sec = (time.perf_counter() - t) / len(ops)
        losses[name] = out
        per_arch = sec * b.cfg["rmi"].steps / s.steps
        rows[name] = b.add("RMI score (tiny)" if b.tiny else "RMI-NAS score (C=16, N=5, batch 512, 150 steps)",
              name, device, per_arch, "architecture", s.steps * len(ops),
              note="" if s.steps == b.cfg["rmi"].steps else f"{s.steps} steps measured, x{b.cfg['rmi'].steps / s.steps:g}",
              peak=peak_mib(device),
              extra={"speed": speed.as_dict(), "tf32": tf, "final_losses": [round(v, 6) for v in out]})
    ref = losses.get("ours, float32")
    for name, out in losses.items():  # same archs, same initial weights: how far each variant's score moved
        if ref is not None and name != "ours, float32":
            rows[name]["max_abs_loss_diff_vs_float32"] = float(max(abs(p - q) for p, q in zip(out, ref)))


# ------------------------------------------------------------------------------------------------ 2. supernet
def bench_supernet(b: Bench, space, x, y, xv, yv, device, variants, max_steps=None, share=1.0):
    c = b.cfg[space]
    sp = get_space(space)
    n_batches = -(-len(y) // c["batch"])
    hats = sp.alpha_hat(sp.random(np.random.default_rng(1), 50))  # EvNAS population of 50 (mode A round-robin)
    for name, speed in variants:
        rng = np.random.default_rng(0)
        net = reset_parameters(make_supernet(space, C=c["C"], cells=c["cells"]), rng)
        warm, probe = b.cfg["warm_steps"], b.cfg["probe_steps"]
        if max_steps is not None:  # a CPU comparison: as few steps as asked
            warm, probe = 1, min(probe, max_steps)
        tr = SupernetTrainer(net, (x, y), rng, epochs=50, batch_size=c["batch"], device=device, max_batches=warm,
                             **speed.as_dict())
        tr.train_epoch("A", hats)  # warm-up
        sync(device)
        reset_peak(device)
        t = time.perf_counter()
        tr.hparams["max_batches"] = probe
        tr.train_epoch("A", hats)
        sync(device)
        per_step = (time.perf_counter() - t) / probe
        budget = max(share * max(b.left(), 0.0), 0.0)
        k = n_batches if max_steps is None else min(n_batches, max_steps)
        k = max(1, min(k, int(budget / max(per_step, 1e-9))))
        if k > probe:
            tr.hparams["max_batches"] = k
            t = time.perf_counter()
            tr.train_epoch("A", hats)
            sync(device)
            per_step = (time.perf_counter() - t) / k
        else:
            k = probe
        note = "full epoch" if k >= n_batches else f"{k} of {n_batches} batches measured, epoch extrapolated"
        label = (f"{space.upper()} supernet epoch (C={c['C']}, {c['cells']} {'cells' if space == 'darts' else 'cells/stage'}, "
                 f"batch {c['batch']}, {len(y):,} images)")
        b.add(label, name, device, per_step * n_batches, "epoch", k, note=note, peak=peak_mib(device),
              extra={"speed": speed.as_dict(), "seconds_per_step": round(per_step, 5)})
        # one fitness evaluation over the validation half (subset on a slow device, extrapolated)
        nv = len(yv) if max_steps is None else min(len(yv), max_steps * b.cfg["valid_batch"])
        reset_peak(device)
        nw = b.cfg["valid_batch"] if max_steps is None else min(64, b.cfg["valid_batch"])
        top1_accuracy(tr.net, xv[:nw], yv[:nw], hats[0], batch_size=b.cfg["valid_batch"])  # warm-up
        sync(device)
        t = time.perf_counter()
        top1_accuracy(tr.net, xv[:nv], yv[:nv], hats[0], batch_size=b.cfg["valid_batch"])
        sync(device)
        sec = (time.perf_counter() - t) * len(yv) / nv
        b.add(f"{space.upper()} supernet fitness ({len(yv):,} valid images, batch {b.cfg['valid_batch']})", name,
              device, sec, "architecture", -(-nv // b.cfg["valid_batch"]),
              note="" if nv == len(yv) else f"{nv:,} images measured, extrapolated", peak=peak_mib(device),
              extra={"speed": speed.as_dict()})


# ------------------------------------------------------------------------------------------------ 3. final training
def bench_final(b: Bench, x, y, device, variants, steps):
    c = b.cfg["final"]
    arch = D.parse_genotype(DARTS_V2)
    test = (x[:c["batch"]], y[:c["batch"]])
    for name, speed in variants:
        if speed.compile and b.left() < 200:  # two compilations of a 20-cell network
            b.log(f"[{device_name(device)}] final training / {name}: skipped (under 200 s of the budget left)")
            continue

        def run(k):
            reset_peak(device)
            sync(device)
            t = time.perf_counter()
            train_final(arch, (x, y), test, np.random.default_rng(0), C=c["C"], layers=c["layers"], epochs=1,
                        batch_size=c["batch"], max_batches=k, device=device, speed=speed)
            sync(device)
            return time.perf_counter() - t

        run(2)  # discarded: the first run of a variant pays cuDNN's algorithm search (cudnn.benchmark) for its shapes
        short = run(2)  # build + warm-up + evaluation on one batch
        long = run(2 + steps)
        if long > short:
            per_step = (long - short) / steps
            note = f"difference of a 2-step and a {2 + steps}-step run (build, warm-up and evaluation cancel)"
        else:  # timing noise larger than the steps (tiny sizes): the whole run's average, an upper bound
            per_step = long / (2 + steps)
            note = f"whole {2 + steps}-step run averaged (the 2-step difference was lost in noise)"
        b.add(f"DARTS final training step (C={c['C']}, {c['layers']} cells, batch {c['batch']}, aux + drop-path)",
              name, device, per_step, "step", steps, note=note, peak=peak_mib(device), extra={"speed": speed.as_dict()})


# ------------------------------------------------------------------------------------------------ report
def ratios(rows):
    """Per section and variant: CPU seconds / accelerator seconds."""
    out = []
    by = {}
    for r in rows:
        by.setdefault((r["section"], r["variant"]), {})["accel" if r["role"] == "accelerator" else "cpu"] = r
    for (sec, var), d in by.items():
        if "cpu" in d and "accel" in d and d["accel"]["seconds"] > 0:
            out.append({"section": sec, "variant": var, "cpu_s": d["cpu"]["seconds"], "accel_s": d["accel"]["seconds"],
                        "cpu_over_accel": round(d["cpu"]["seconds"] / d["accel"]["seconds"], 2)})
    return out


def markdown(result) -> str:
    env = result["environment"]
    lines = [f"# gpu_check ({'tiny' if result['tiny'] else 'paper settings'})", "",
             f"- accelerator: **{env['accelerator']}**; CPU rows: {env['cpu']}",
             f"- torch {env['torch']}, CUDA {env['cuda']}, bf16 supported: {env['bf16_supported']}",
             f"- images: {result['images']}", f"- wall time: {result['wall_seconds']:.1f} s", "",
             "| measurement | variant | role | device | seconds | per | measured | peak GPU MiB | note |",
             "|---|---|---|---|---:|---|---:|---:|---|"]
    for r in result["rows"]:
        diff = r.get("max_abs_loss_diff_vs_float32")
        note = "; ".join(t for t in (r["note"], f"max loss diff vs float32 {diff:.2e}" if diff is not None else "")
                         if t)
        lines.append(f"| {r['section']} | {r['variant']} | {r['role']} | {r['device']} | {r['seconds']:.4g} | {r['per']} | "
                     f"{r['steps_measured']} | {r['peak_gpu_mib'] if r['peak_gpu_mib'] is not None else '-'} | {note} |")
    if result["ratios"]:
        lines += ["", "| measurement | variant | CPU s | accelerator s | CPU / accelerator |", "|---|---|---:|---:|---:|"]
        lines += [f"| {r['section']} | {r['variant']} | {r['cpu_s']:.4g} | {r['accel_s']:.4g} | {r['cpu_over_accel']} |"
                  for r in result["ratios"]]
    if not result["environment"]["accelerator"].startswith("cuda"):
        lines += ["", "No GPU ran here: every row ran on the CPU, so no ratio above is a CPU / GPU ratio."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="tiny sizes in seconds, on the CPU unless --device names "
                    "another (the test suite runs this; --tiny --device cuda smoke-tests the CUDA paths)")
    ap.add_argument("--out", default=os.environ.get("OUT") or "gpu_check_out", help="folder for gpu_check.json/.md")
    ap.add_argument("--device", default="auto", help="auto (CUDA when available), cuda, cuda:1, cpu")
    ap.add_argument("--data-root", default="data/cifar10", help="folder holding cifar-10-batches-py/ (optional)")
    ap.add_argument("--budget-s", type=float, default=None, help="seconds the budgeted parts aim at (default 420; "
                    "tiny 60); gpu_check.sh kills the run at 470 s, keeping the table written so far")
    ap.add_argument("--cpu-steps", type=int, default=None, help="steps per CPU measurement (default 3; tiny 1)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--ablate", action="store_true", help="one speed option at a time: training float32 / "
                    "pinned / channels-last / bf16 / bf16 + channels-last; RMI float32 twice (repeatability), "
                    "TF32 off, channels-last with and without TF32")
    ap.add_argument("--sections", default=",".join(SECTION_NAMES),
                    help=f"comma-separated subset of {', '.join(SECTION_NAMES)} (default all)")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU comparison rows (and so the ratios)")
    a = ap.parse_args(argv)
    sections = [t.strip() for t in a.sections.split(",") if t.strip()]
    if not sections or set(sections) - set(SECTION_NAMES):
        ap.error(f"--sections takes a comma-separated subset of {', '.join(SECTION_NAMES)}; got {a.sections!r}")
    cfg = dict(TINY_CFG if a.tiny else PAPER_CFG)
    if a.budget_s is not None:
        cfg["budget_s"] = a.budget_s
    if a.cpu_steps is not None:
        cfg["cpu_steps"] = a.cpu_steps
    if a.threads:
        torch.set_num_threads(a.threads)
    cpu = torch.device("cpu")
    if a.device == "auto":  # --tiny stays on the CPU unless a device is named (--tiny --device cuda: a smoke test)
        accel = torch.device("cuda" if torch.cuda.is_available() and not a.tiny else "cpu")
    else:
        accel = torch.device(a.device)
    if accel.type == "cuda":
        torch.backends.cudnn.benchmark = True
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    b = Bench(cfg, accel, a.tiny)
    print(f"gpu_check: accelerator = {device_name(accel)}; CPU comparison = {device_name(cpu)}; "
          f"{'TINY' if a.tiny else 'paper'} settings; budget {cfg['budget_s']:.0f} s", flush=True)
    if accel.type == "cpu" and not a.tiny:
        print("gpu_check: no CUDA device -- every measurement runs on the CPU and there is no ratio", flush=True)
    gen = torch.Generator().manual_seed(0)
    x, y, source = images(cfg["train_images"] + cfg["valid_images"], a.data_root, gen)
    if a.tiny:  # CIFAR-shaped but small: the tiny check only proves that every code path still runs
        x = x[:, :, :16, :16].contiguous()
        source += ", cropped to 16x16 for --tiny"
    xt, yt = x[: cfg["train_images"]], y[: cfg["train_images"]]
    xv, yv = x[cfg["train_images"]:], y[cfg["train_images"]:]
    print(f"gpu_check: images = {source}", flush=True)

    auto_train, auto_rmi = resolve(accel, workload="train"), resolve(accel, workload="rmi")
    on_accel = accel.type == "cuda"
    fast = SpeedOptions(amp="bf16", channels_last=True)
    # float32 (what ``auto`` resolves to: docs/gpu.md), a repeat of it (is the device deterministic?), and
    # bf16 + channels-last (the fastest-looking option; exercised on the CPU by --tiny)
    rmi_variants = [("ours, float32", EXACT)] + _auto_row(auto_rmi, "ours, ")
    train_variants = [("float32", EXACT)] + _auto_row(auto_train)
    if on_accel:
        rmi_variants.append(("ours, float32, again", EXACT))
    if on_accel or a.tiny:
        rmi_variants.append(("ours, bf16 + channels-last", fast))
        train_variants.append(("bf16 + channels-last", fast))
    rmi_variants.append(("per-step loop", EXACT))
    if a.ablate and (on_accel or a.tiny):  # which option costs or moves what, one at a time
        cl, bf = SpeedOptions(channels_last=True), SpeedOptions(amp="bf16")
        rmi_variants = [("ours, float32", EXACT), ("ours, float32, again", EXACT),
                        ("ours, float32, TF32 off", EXACT, False), ("ours, channels-last", cl),
                        ("ours, channels-last, TF32 off", cl, False)]
        train_variants = [("float32", EXACT), ("float32, pinned batches", SpeedOptions(pin_memory=True)),
                          ("channels-last", cl), ("bf16", bf), ("bf16 + channels-last", fast)] + _auto_row(auto_train)
    steps = cfg["cpu_steps"]

    def save(done: bool) -> dict:
        """Write the JSON + Markdown now (after every measurement: a run cut short still leaves its table)."""
        result = {"tiny": a.tiny, "complete": done, "images": source, "wall_seconds": time.perf_counter() - b.t0,
                  "environment": {"accelerator": device_name(accel), "cpu": device_name(cpu),
                                  "torch": torch.__version__, "cuda": torch.version.cuda,
                                  "python": platform.python_version(),
                                  "bf16_supported": bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported()),
                                  "auto_train": auto_train.as_dict(), "auto_rmi": auto_rmi.as_dict(),
                                  "tf32_default": {"cudnn_conv": torch.backends.cudnn.allow_tf32,
                                                   "cuda_matmul": torch.backends.cuda.matmul.allow_tf32}},
                  "ablate": a.ablate, "sections": sections,
                  "config": {k: (v.as_dict() if hasattr(v, "as_dict") else v) for k, v in cfg.items()},
                  "rows": b.rows, "ratios": ratios(b.rows)}
        (out_dir / "gpu_check.json").write_text(json.dumps(result, indent=1))
        (out_dir / "gpu_check.md").write_text(markdown(result))
        return result

    if on_accel or a.tiny:  # the accelerator at the papers' sizes, or everything tiny
        share = 0.2 * 5 / max(len(train_variants), 5)  # of the budget left, per supernet variant
        plan = {"rmi": lambda: bench_rmi(b, x, y, accel, rmi_variants),
                "darts": lambda: bench_supernet(b, "darts", xt, yt, xv, yv, accel, train_variants, share=share),
                "nb201": lambda: bench_supernet(b, "nb201", xt, yt, xv, yv, accel, train_variants, share=share),
                "final": lambda: bench_final(b, xt, yt, accel, train_variants, cfg["final_steps"])}
        cpu_plan = {"rmi": lambda: bench_rmi(b, x, y, cpu, [("ours, float32", EXACT), ("per-step loop", EXACT)],
                                             steps=steps, n_archs=1),
                    "darts": lambda: bench_supernet(b, "darts", xt, yt, xv, yv, cpu, [("float32", EXACT)],
                                                    max_steps=steps),
                    "nb201": lambda: bench_supernet(b, "nb201", xt, yt, xv, yv, cpu, [("float32", EXACT)],
                                                    max_steps=steps),
                    "final": lambda: bench_final(b, xt, yt, cpu, [("float32", EXACT)], steps)}
    else:  # no GPU: the papers' sizes on the CPU for a few steps only (a full run would take hours)
        plan = {"rmi": lambda: bench_rmi(b, x, y, cpu, rmi_variants, steps=steps, n_archs=1),
                "darts": lambda: bench_supernet(b, "darts", xt, yt, xv, yv, cpu, train_variants, max_steps=steps),
                "nb201": lambda: bench_supernet(b, "nb201", xt, yt, xv, yv, cpu, train_variants, max_steps=steps),
                "final": lambda: bench_final(b, xt, yt, cpu, train_variants, steps)}
        cpu_plan = {}
    plan = [plan[k] for k in SECTION_NAMES if k in sections]
    cpu_plan = [] if a.no_cpu else [cpu_plan[k] for k in SECTION_NAMES if k in sections and k in cpu_plan]
    for step in plan:
        step()
        save(False)
    b.role = "cpu comparison"  # the same workloads for a few steps on the CPU, for the ratio
    for step in cpu_plan:
        step()
        save(False)
    b.role = "accelerator"
    if on_accel and not a.tiny and "final" in sections:  # optional, last: torch.compile (compiles take minutes)
        bench_final(b, xt, yt, accel, [("auto + torch.compile", SpeedOptions(**{**auto_train.as_dict(),
                                                                                "compile": True}))], cfg["final_steps"])
    result = save(True)
    print(markdown(result))
    print(f"gpu_check: wrote {out_dir / 'gpu_check.json'} and {out_dir / 'gpu_check.md'} in "
          f"{result['wall_seconds']:.1f} s", flush=True)
    return 0


def _auto_row(auto: SpeedOptions, prefix: str = "") -> list:
    """A variant for the ``auto`` options, or none where they are plain float32 (already measured)."""
    return [] if auto == EXACT else [(f"{prefix}auto {_short(auto)}", auto)]


def _short(s: SpeedOptions) -> str:
    parts = [s.amp] + (["channels-last"] if s.channels_last else []) + (["compile"] if s.compile else [])
    return "(" + ", ".join(parts) + ")"


if __name__ == "__main__":
    raise SystemExit(main())
