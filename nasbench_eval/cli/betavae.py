"""``nasbench-eval betavae sweep``: the Beta-VAE disentanglement and pruning study (arXiv 2307.09994).

torch is imported only inside the command function, so ``nasbench-eval --help`` stays fast.
"""
from __future__ import annotations

from ._types import nonneg_float, nonneg_int, positive_float, positive_int, seed_int

import argparse
import time


def register(subparsers) -> None:
    p = subparsers.add_parser("betavae", help="Beta-VAE disentanglement vs pruning study (arXiv 2307.09994)",
                              description="Beta-VAE disentanglement vs pruning study (Shneider et al., "
                                          "arXiv 2307.09994). See docs/betavae.md.")
    sub = p.add_subparsers(dest="betavae_command", metavar="SUBCOMMAND")
    sub.required = True
    s = sub.add_parser("sweep", help="train one model per (beta, seed), prune at each sparsity, evaluate, report",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("--dataset", default="digits",
                   help="digits (offline, bundled with scikit-learn); mnist-5k (offline, 5,000 real MNIST images, "
                        "fixed stratified 3,500/500/1,000 split; pip install 'nasbench-eval[mnist]'); mnist (the "
                        "full 60k+10k set) or cifar10 from --data-root")
    s.add_argument("--betas", default="0,1,4", help="comma-separated KL weights; 0 = plain classifier baseline")
    s.add_argument("--sparsities", default="0,0.5,0.7,0.9,0.95", help="comma-separated, each in [0, 1)")
    s.add_argument("--seeds", default="0,1,2", help="comma-separated non-negative integers")
    s.add_argument("--method", default="unstructured", help="unstructured (global L1) or structured (L1 rows)")
    s.add_argument("--epochs", type=positive_int, default=25, help="training epochs (best epoch chosen on validation)")
    s.add_argument("--finetune-epochs", type=nonneg_int, default=3, help="fine-tuning epochs after pruning (0 = none)")
    s.add_argument("--batch-size", type=positive_int, default=64)
    s.add_argument("--lr", type=positive_float, default=2e-3)
    s.add_argument("--finetune-lr", type=positive_float, default=1e-3)
    s.add_argument("--latent-dim", type=positive_int, default=10)
    s.add_argument("--recon-weight", type=nonneg_float, default=1.0, help="reconstruction weight for beta > 0")
    s.add_argument("--baseline-recon-weight", type=nonneg_float, default=0.0,
                   help="reconstruction weight for beta = 0 (0: pure classifier)")
    s.add_argument("--ce-weight", type=nonneg_float, default=10.0, help="cross-entropy weight")
    s.add_argument("--train-limit", type=positive_int, default=None, help="keep only the first N training images")
    s.add_argument("--split-seed", type=seed_int, default=0, help="seed of the train/val(/test) split")
    s.add_argument("--data-root", default=None, help="folder with torchvision MNIST/CIFAR-10 files (no download)")
    s.add_argument("--threads", type=nonneg_int, default=1,
                   help="torch CPU threads while training (0 = torch's default); 1 is fastest for digits")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    s.add_argument("--out", required=True, help="output folder (resumable: finished cells are skipped)")
    s.set_defaults(func=run_sweep_command)


def config_from_args(args):
    """Build a validated SweepConfig from parsed arguments (raises ConfigError naming the bad option)."""
    from ..studies.betavae.config import SweepConfig, parse_list, validate

    cfg = SweepConfig(dataset=args.dataset, betas=parse_list("--betas", args.betas),
                      sparsities=parse_list("--sparsities", args.sparsities),
                      seeds=parse_list("--seeds", args.seeds, int), method=args.method, epochs=args.epochs,
                      finetune_epochs=args.finetune_epochs, batch_size=args.batch_size, lr=args.lr,
                      finetune_lr=args.finetune_lr, latent_dim=args.latent_dim, recon_weight=args.recon_weight,
                      baseline_recon_weight=args.baseline_recon_weight, ce_weight=args.ce_weight,
                      data_root=args.data_root, train_limit=args.train_limit, split_seed=args.split_seed)
    return validate(cfg)


def run_sweep_command(args) -> int:
    from ..errors import ConfigError

    cfg = config_from_args(args)  # validated before torch loads
    if args.threads < 0:
        raise ConfigError(f"--threads must be 0 (torch's default) or a positive integer; got {args.threads!r}")
    from ..studies.betavae.sweep import run_sweep

    t0 = time.perf_counter()
    df = run_sweep(cfg, args.out, progress=not args.no_progress, threads=args.threads or None)
    wall = time.perf_counter() - t0
    n_cells = df[["beta", "seed"]].drop_duplicates().shape[0] if len(df) else 0
    print(f"betavae sweep: {n_cells} cells, {len(df)} rows -> {args.out}/results.parquet, report.md, "
          f"accuracy_vs_sparsity.png ({wall:.1f} s)")
    return 0
