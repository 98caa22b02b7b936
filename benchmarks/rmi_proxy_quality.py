"""How well does the RMI score rank architectures?  Kendall tau against short real training, offline data.

RMI-NAS (Zheng et al., CVPR 2022) claims the single-batch RMI loss ranks architectures like their trained accuracy.
This script checks that claim on real, offline data (``--dataset digits``: scikit-learn's 8x8 digits upscaled to
32x32; ``--dataset mnist-5k``: 5,000 real MNIST images at 28x28, the ``mnist`` extra, trained on its 4,000-image
train + validation part and measured on its fixed 1,000-image test part): it trains (or loads) a reference model,
samples ``--archs`` NB201 architectures with a seeded ``numpy.random.Generator``, scores each with RMI, trains the
same architecture for real for ``--epochs`` epochs and measures its valid accuracy, then reports Kendall's tau and
Spearman's rho between ``-rmi_loss`` and accuracy (positive = RMI ranks like accuracy). The number is reported
as measured, whatever it is.

    python benchmarks/rmi_proxy_quality.py --archs 50 --out rmi_proxy_digits.json
    python benchmarks/rmi_proxy_quality.py --dataset mnist-5k --archs 50 --out rmi_proxy_mnist5k.json
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from nasbench_eval.evaluators.rmi import RMIEvaluator
from nasbench_eval.live.data import load_data
from nasbench_eval.live.models import build_model
from nasbench_eval.live.rmi import arch_seed
from nasbench_eval.live.train import accuracy, train_model, train_reference
from nasbench_eval.spaces import nb201


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=("digits", "mnist-5k"), default="digits")
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reference", default=None, help="checkpoint for --dataset; trained (ResNet-20) when absent")
    ap.add_argument("--reference-epochs", type=int, default=10)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--N", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64, help="RMI batch")
    ap.add_argument("--steps", type=int, default=20, help="RMI steps")
    ap.add_argument("--epochs", type=int, default=2, help="short real training per architecture")
    ap.add_argument("--train-batch-size", type=int, default=32, help="short real training batch")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None, help="default: rmi_proxy_<dataset>.json")
    a = ap.parse_args(argv)
    a.out = a.out or f"rmi_proxy_{a.dataset.replace('-', '')}.json"
    if a.threads:
        torch.set_num_threads(a.threads)
    t_start = time.perf_counter()
    data = load_data(a.dataset)
    ref = Path(a.reference or Path(a.out).with_suffix(".ref.pt"))
    if not ref.is_file():
        meta = train_reference(a.dataset, ref, arch="resnet20", epochs=a.reference_epochs, seed=a.seed, data=data)
        print(f"reference ResNet-20: {meta['valid_accuracy']:.2f}% valid in {meta['train_seconds']:.0f} s", flush=True)
    ev = RMIEvaluator.from_checkpoint(ref, data=data, C=a.C, N=a.N, batch_size=a.batch_size, steps=a.steps,
                                      seed=a.seed)
    rng = np.random.default_rng(a.seed)
    ops = np.unique(nb201.random_ops(rng, 4 * a.archs), axis=0)
    ops = ops[rng.permutation(len(ops))[: a.archs]]
    rows = []
    for i, o in enumerate(ops):
        res = ev.evaluate(o[None])
        t0 = time.perf_counter()
        model = build_model(o, data.num_classes, C=a.C, N=a.N, seed=arch_seed(a.seed + 1, o))
        train_model(model, data, epochs=a.epochs, seed=a.seed, batch_size=a.train_batch_size, lr=0.05)
        acc = accuracy(model, data, "valid")
        rows.append({"arch": nb201.format_arch(o), "rmi_loss": float(res.values["rmi_loss"][0]),
                     "rmi_seconds": float(res.cost[0]), "valid_accuracy": acc,
                     "train_seconds": time.perf_counter() - t0})
        Path(a.out).with_suffix(".rows.json").write_text(json.dumps(rows) + "\n")  # progress survives a crash
        print(f"{i + 1:3d}/{len(ops)} rmi {rows[-1]['rmi_loss']:.4f} ({rows[-1]['rmi_seconds']:.1f} s)  "
              f"acc {acc:6.2f}% ({rows[-1]['train_seconds']:.1f} s)  {rows[-1]['arch']}", flush=True)
    rmi = np.array([r["rmi_loss"] for r in rows])
    acc = np.array([r["valid_accuracy"] for r in rows])
    finite = np.isfinite(rmi)
    tau = stats.kendalltau(-rmi[finite], acc[finite])
    rho = stats.spearmanr(-rmi[finite], acc[finite])
    summary = {"kendall_tau": float(tau.statistic), "kendall_p": float(tau.pvalue),
               "spearman_rho": float(rho.statistic), "n_archs": int(finite.sum()), "n_diverged": int((~finite).sum()),
               "settings": vars(a), "reference": str(ref), "rmi_fingerprint": ev.fingerprint(),
               "wall_seconds": time.perf_counter() - t_start, "torch_threads": torch.get_num_threads()}
    Path(a.out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1) + "\n")
    print(f"Kendall tau(-rmi_loss, accuracy) = {summary['kendall_tau']:.3f} (p = {summary['kendall_p']:.2g}), "
          f"Spearman rho = {summary['spearman_rho']:.3f}, n = {summary['n_archs']}; "
          f"{summary['wall_seconds']:.0f} s; written to {a.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
