"""RMI scoring throughput: this package's scorer vs a straightforward per-step loop written from the spec.

RMI-NAS (Zheng et al., CVPR 2022), algorithms spec section 6. The baseline follows the spec literally: every step
it runs the teacher again on the batch, builds the linear Gram matrices in float32, centres them with an explicit
``H = I - 11^T/n`` (``H K H``) and sums the HSIC products, as common CKA code does. Ours computes the teacher's
centred, unit-norm Grams once per batch, centres features before the product and accumulates in float64. Both train the same candidate
from the same initial weights, so their final losses are also compared (they agree to float32 accuracy).

    python benchmarks/bench_rmi.py                      # small config, 6 archs; paper config, 1 arch
    python benchmarks/bench_rmi.py --paper-archs 2 --threads 2 --out bench_rmi.json

Prints architectures scored per second for each (config, implementation) and the ratio; on a CUDA machine the
same runs on the GPU (``--device cuda``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F

from nasbench_eval.live.data import fixed_batch, load_digits
from nasbench_eval.live.models import build_model
from nasbench_eval.live.rmi import PAPER, SMALL, RMIScorer, RMISettings, arch_seed
from nasbench_eval.spaces import nb201


def naive_score(teacher, x, y, ops, s: RMISettings, device) -> float:
    """The spec, step by step: teacher forward every step, float32 Grams, explicit centring matrix."""
    model = build_model(ops, 10, C=s.C, N=s.N, seed=arch_seed(s.seed, ops), device=device).train()
    teacher = teacher.to(device).eval()
    opt = torch.optim.SGD(model.parameters(), lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
    n = x.shape[0]
    h = torch.eye(n, device=device) - torch.ones(n, n, device=device) / n

    def cka(a, b):
        a, b = a.reshape(n, -1), b.reshape(n, -1)
        k, l = h @ (a @ a.T) @ h, h @ (b @ b.T) @ h
        return (k * l).sum() / torch.sqrt((k * k).sum() * (l * l).sum())  # as in common CKA code (HSIC sums)

    loss = None
    for _ in range(s.steps):
        with torch.no_grad():
            _, tf = teacher(x, with_features=True)
        logits, sf = model(x, with_features=True)
        rmi = sum(1 - cka(a, b) for a, b in zip(sf, tf))
        loss = s.beta * rmi + (1 - s.beta) * F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    v = float(loss.detach())
    return v if math.isfinite(v) else math.inf


def measure(name, settings, archs, teacher, data, device):
    x, y = fixed_batch(data, settings.batch_size, settings.batch_seed)
    x, y = x.to(device), y.to(device)
    out = {}
    for impl in ("ours", "naive"):
        # warm-up on the first arch (allocator / oneDNN primitive caches), excluded from the timing
        warm = RMISettings(**{**settings.as_dict(), "steps": 1})
        RMIScorer(teacher, x, y, 10, warm, device).score(archs[0]) if impl == "ours" else \
            naive_score(teacher, x, y, archs[0], warm, device)
        t0, c0 = time.perf_counter(), time.process_time()
        if impl == "ours":
            scorer = RMIScorer(teacher, x, y, 10, settings, device)  # includes the once-per-batch teacher pass
            losses = [scorer.score(a) for a in archs]
        else:
            losses = [naive_score(teacher, x, y, a, settings, device) for a in archs]
        if device.type == "cuda":
            torch.cuda.synchronize()
        sec, cpu = time.perf_counter() - t0, time.process_time() - c0
        out[impl] = {"archs": len(archs), "steps": settings.steps, "seconds": sec, "cpu_seconds": cpu,
                     "archs_per_s": len(archs) / sec, "losses": losses}
        print(f"{name:6s} {impl:5s}: {len(archs)} archs x {settings.steps} steps in {sec:8.2f} s wall "
              f"({cpu:.2f} s CPU) -> {len(archs) / sec:.4f} archs/s", flush=True)
    diff = max(abs(a - b) for a, b in zip(out["ours"]["losses"], out["naive"]["losses"]))
    out["speedup"] = out["ours"]["archs_per_s"] / out["naive"]["archs_per_s"]
    out["speedup_cpu_time"] = out["naive"]["cpu_seconds"] / out["ours"]["cpu_seconds"]
    out["max_abs_loss_difference"] = diff
    print(f"{name:6s} speed-up ours/naive = {out['speedup']:.2f}x wall, {out['speedup_cpu_time']:.2f}x CPU time; "
          f"max |loss difference| = {diff:.2e}", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-archs", type=int, default=6)
    ap.add_argument("--paper-archs", type=int, default=1)
    ap.add_argument("--paper-steps", type=int, default=PAPER.steps, help="fewer steps = a per-step estimate")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    data = load_digits()  # real images; the timing does not depend on which 32x32 images they are
    teacher = build_model("resnet20", 10, seed=a.seed, device=device)  # timing needs no trained weights
    rng = np.random.default_rng(a.seed)
    archs = [tuple(int(v) for v in o) for o in nb201.random_ops(rng, max(a.small_archs, a.paper_archs))]
    paper = RMISettings(**{**PAPER.as_dict(), "steps": a.paper_steps})
    result = {"device": str(device), "threads": torch.get_num_threads(), "torch": str(torch.__version__),
              "load_average_at_start": list(os.getloadavg()),
              "cpu": platform.processor() or platform.machine(),
              "small": {"settings": SMALL.as_dict(), **measure("small", SMALL, archs[: a.small_archs], teacher, data,
                                                               device)}}
    if a.paper_archs > 0:
        result["paper"] = {"settings": paper.as_dict(),
                           **measure("paper", paper, archs[: a.paper_archs], teacher, data, device)}
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(result, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
