"""Supernet training-step time: our mixed op vs the straightforward reference, side by side, both spaces.

Reference (``MixedOp.forward_reference``): the spec formula written plainly -- ``sum(w_o * op_o(x))`` over every op
of the edge, ``none`` included (a zero tensor allocated), each op applying its own ReLU. Ours skips ``none`` (an
exact zero) and shares one ``relu(x)`` between the convolutions of an edge; outputs are identical (checked here).
One step = forward with the decoded alpha-hat of a random arch (mode A) + cross-entropy + backward + clip + SGD.

    PYTHONPATH=. python benchmarks/bench_supernet.py            # CPU, medium configs
    PYTHONPATH=. python benchmarks/bench_supernet.py --tiny     # C=4, 16x16: for a slow / shared CPU
    PYTHONPATH=. python benchmarks/bench_supernet.py --paper    # C=16: DARTS 8 cells, NB201 N=5 (slow on CPU)
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from nasbench_eval.spaces import get_space
from nasbench_eval.supernet import SupernetTrainer, reset_parameters
from nasbench_eval.supernet.driver import make_supernet


def time_steps(trainer, x, y, alphas, reference: bool, repeats: int) -> list[float]:
    trainer.net.use_reference = reference
    out = []
    for a in alphas[:repeats]:
        t0 = time.perf_counter()
        trainer.step(x, y, a)
        if x.is_cuda:
            torch.cuda.synchronize()
        out.append(time.perf_counter() - t0)
    trainer.net.use_reference = False
    return out


def bench(space_name, C, cells, batch, size, repeats, device):
    sp = get_space(space_name)
    rng = np.random.default_rng(0)
    net = reset_parameters(make_supernet(space_name, C=C, cells=cells), rng)
    tr = SupernetTrainer(net, None, rng, device=device)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=g).to(tr.device)
    y = torch.randint(0, 10, (batch,), generator=g).to(tr.device)
    alphas = list(sp.alpha_hat(sp.random(rng, repeats + 2)))
    with torch.no_grad():  # identical outputs
        net.eval()
        a = net(x, alphas[0])
        net.use_reference = True
        b = net(x, alphas[0])
        net.use_reference = False
        net.train()
    assert torch.allclose(a, b, atol=1e-5), "fast and reference mixed ops disagree"
    time_steps(tr, x, y, alphas, False, 1)  # warm-up both paths
    time_steps(tr, x, y, alphas, True, 1)
    fast, ref = [], []
    for r in range(repeats):  # interleave so load changes hit both alike
        fast += time_steps(tr, x, y, alphas[r:], False, 1)
        ref += time_steps(tr, x, y, alphas[r:], True, 1)
    mf, mr = statistics.median(fast), statistics.median(ref)
    return {"space": space_name, "C": C, "cells": cells, "batch": batch, "size": size, "device": str(tr.device),
            "params_M": net.num_parameters() / 1e6, "ours_ms": 1e3 * mf, "reference_ms": 1e3 * mr,
            "speedup": mr / mf}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper", action="store_true", help="paper-size supernets (C=16; DARTS 8 cells; NB201 N=5)")
    ap.add_argument("--tiny", action="store_true", help="tiny supernets for a loaded / slow CPU")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.paper:
        cfgs = [("darts", 16, 8, 64, 32), ("nb201", 16, 5, 64, 32)]
    elif args.tiny:
        cfgs = [("darts", 4, 5, 16, 16), ("nb201", 4, 1, 32, 16)]
    else:
        cfgs = [("darts", 8, 5, 32, 32), ("nb201", 8, 2, 64, 32)]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {args.device}")
    print(f"{'space':6} {'C':>3} {'cells':>5} {'batch':>5} {'size':>4} {'params M':>8} {'ours ms':>9} "
          f"{'ref ms':>9} {'ratio':>6}")
    for cfg in cfgs:
        r = bench(*cfg, args.repeats, args.device)
        print(f"{r['space']:6} {r['C']:>3} {r['cells']:>5} {r['batch']:>5} {r['size']:>4} {r['params_M']:>8.3f} "
              f"{r['ours_ms']:>9.1f} {r['reference_ms']:>9.1f} {r['speedup']:>5.2f}x", flush=True)


if __name__ == "__main__":
    main()
