"""``nasbench-eval supernet``: weight-sharing searches and from-scratch training of found DARTS cells.

Sub-commands: ``search`` (a supernet search with any registered ask/tell algorithm, resumable) and
``train-final GENOTYPE`` (the DARTS evaluation protocol; tiny settings via flags). torch loads only inside the
command functions.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ..errors import ConfigError
from ._presets import add_preset_arguments
from ._speed import add_speed_arguments, speed_options
from ._types import nonneg_float, nonneg_int, positive_float, positive_int, probability, seed_int


def register(subparsers) -> None:
    p = subparsers.add_parser("supernet", help="weight-sharing supernet search / final training (live, torch)",
                              description=__doc__)
    sub = p.add_subparsers(dest="supernet_command", metavar="SUBCOMMAND")
    sub.required = True
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dataset", choices=("digits", "mnist-5k", "cifar10"), default="digits",
                        help="digits: scikit-learn's bundled digits, offline (default); mnist-5k: 5,000 real MNIST "
                             "images, offline (pip install 'nasbench-eval[mnist]'; fixed stratified 3,500 train / "
                             "500 valid / 1,000 test); cifar10: needs --data-root")
    common.add_argument("--data-root", default="data/cifar10", help="folder holding cifar-10-batches-py/")
    common.add_argument("--image-size", type=positive_int, default=None,
                        help="digits are upscaled to this size (default 32); mnist-5k is resized to it (default 28, "
                             "its own size); cifar10 ignores it")
    common.add_argument("--seed", type=seed_int, default=0, help="seed of the search and the supernet")
    common.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, ...")
    common.add_argument("--channels", "-C", type=positive_int, default=None, help="initial channels C")
    common.add_argument("--batch-size", type=positive_int, default=None)
    common.add_argument("--max-batches", type=positive_int, default=None, help="cap batches per epoch (smoke tests)")
    common.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (1 is fastest on a busy box)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    add_speed_arguments(common)

    s = sub.add_parser("search", parents=[common], help="supernet search with an ask/tell algorithm")
    s.add_argument("--space", choices=("darts", "nb201"), default="nb201")
    s.add_argument("--algorithm", default="evnas",
                   help="registered algorithm name (entry point group nasbench_eval.algorithms) or module:Class")
    s.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="algorithm hyper-parameter (JSON value), repeatable, e.g. --param population_size=8")
    s.add_argument("--generations", type=positive_int, default=50, help="generations (= supernet epochs in mode A)")
    s.add_argument("--cells", type=positive_int, default=None, help="DARTS: cells (default 8); NB201: cells per stage (5)")
    s.add_argument("--train-mode", choices=("A", "B", "C"), default="A",
                   help="A: train on each asked batch before scoring (EvNAS/NEvoNAS); B/C: --pretrain-epochs only")
    s.add_argument("--pretrain-epochs", type=nonneg_int, default=0, help="mode B/C epochs before the search (CMANAS)")
    s.add_argument("--stage-epochs", type=nonneg_int, default=0,
                   help="pEvoNAS: mode B/C epochs after each search-space reduction (paper: 50)")
    s.add_argument("--no-inherit", action="store_true", help="pEvoNAS: fresh weights at each stage (ablation)")
    s.add_argument("--bn-mode", choices=("eval", "train"), default="eval", help="BN statistics at fitness time")
    s.add_argument("--no-track-running-stats", action="store_true")
    s.add_argument("--hard", action="store_true", help="hard sub-network decoding (EvNAS-ND ablation)")
    s.add_argument("--nesterov", action="store_true", help="Nesterov SGD (EvNAS / NEvoNAS S2)")
    s.add_argument("--checkpoint-dir", default=None, help="checkpoint after every generation; resume from it")
    s.add_argument("--valid-batch-size", type=positive_int, default=1024, help="fitness batch size (default 1024)")
    s.add_argument("--cutout", type=nonneg_int, default=0, help="cutout length during supernet training (0 = off)")
    s.set_defaults(func=cmd_search)
    add_preset_arguments(s, "supernet search")

    f = sub.add_parser("train-final", parents=[common], help="train a DARTS genotype from scratch")
    f.add_argument("genotype", help="DARTS genotype text, or a file containing it")
    f.add_argument("--epochs", type=positive_int, default=600)
    f.add_argument("--layers", type=positive_int, default=20)
    f.add_argument("--lr", type=positive_float, default=0.025)
    f.add_argument("--auxiliary-weight", type=nonneg_float, default=0.4, help="0 disables the auxiliary head")
    f.add_argument("--drop-path", type=probability, default=0.2)
    f.add_argument("--cutout", type=nonneg_int, default=16, help="cutout length (0 = off)")
    f.add_argument("--save", default=None, help="write weights (state_dict) + result JSON to this folder")
    f.set_defaults(func=cmd_train_final)
    add_preset_arguments(f, "supernet train-final")


def _data(args, final: bool):
    from ..live.data import cifar10_splits, digits_splits, mnist5k_splits

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.dataset == "digits":
        d = digits_splits(args.seed, _or(args.image_size, 32))
    elif args.dataset == "mnist-5k":  # one fixed split (seed 0), whatever --seed says
        d = mnist5k_splits(_or(args.image_size, 28))
    else:
        d = cifar10_splits(args.data_root, args.seed)
    if final:  # from-scratch training uses train + valid, scores the test split
        import torch

        d = dict(d, train=(torch.cat([d["train"][0], d["valid"][0]]), torch.cat([d["train"][1], d["valid"][1]])))
    return d


def _algorithm(name: str, params: list[str]):
    from ..search import get_algorithm

    algo_cls = get_algorithm(name)  # a registered name or module:Class
    kw = {}
    for p in params:
        if "=" not in p:
            raise ConfigError(f"--param takes KEY=VALUE; got {p!r}")
        k, v = p.split("=", 1)
        try:
            kw[k] = json.loads(v)
        except json.JSONDecodeError:
            kw[k] = v
    return algo_cls.from_params(kw)  # get_algorithm returns only Algorithm subclasses: nothing else is called


def cmd_search(args) -> int:
    from ..supernet.driver import run_supernet_search, supernet_problem

    algo = _algorithm(args.algorithm, args.param)
    data = _data(args, final=False)
    algo_seed, net_seed = np.random.SeedSequence(args.seed).spawn(2)
    kw = {"batch_size": args.batch_size} if args.batch_size is not None else {}
    kw.update(speed_options(args, args.device).as_dict(), cutout=args.cutout)
    problem = supernet_problem(
        args.space, data, np.random.default_rng(net_seed), C=args.channels, cells=args.cells,
        epochs=max(args.generations if args.train_mode == "A" else args.pretrain_epochs, 1), bn_mode=args.bn_mode,
        train_mode=args.train_mode, train_on_evaluate=args.train_mode == "A",
        track_running_stats=not args.no_track_running_stats, hard=args.hard, device=args.device,
        nesterov=args.nesterov, max_batches=args.max_batches, valid_batch_size=args.valid_batch_size, **kw)
    log = None if args.json else print
    from pathlib import Path

    from .._io import claim_dir

    if args.checkpoint_dir is not None:  # only an empty folder or our own checkpoint folder is written into
        claim_dir(args.checkpoint_dir, "supernet search checkpoint", _legacy_checkpoint)
    resuming = args.checkpoint_dir is not None and (Path(args.checkpoint_dir) / "meta.json").exists()
    if args.pretrain_epochs and not resuming:
        problem.evaluator.pretrain(args.pretrain_epochs, "B" if args.train_mode == "A" else args.train_mode)
    out = run_supernet_search(algo, problem, np.random.default_rng(algo_seed), args.generations,
                              checkpoint_dir=args.checkpoint_dir, log=log, stage_epochs=args.stage_epochs,
                              stage_mode="B" if args.train_mode == "A" else args.train_mode,
                              inherit=not args.no_inherit)
    result = {"space": args.space, "algorithm": args.algorithm, "seed": args.seed, "generations": out.generations,
              "resumed_from": out.resumed_from, "wall_seconds": round(out.wall_seconds, 3),
              "preset": getattr(args, "preset", None), "speed": problem.evaluator.trainer.speed.as_dict(),
              "chosen": [{"genotype": s, "supernet_valid_acc": f}
                         for s, f in zip(out.chosen_strings, out.chosen_fitness)]}
    if args.space == "nb201":
        result["benchmark"] = _nb201_lookup(out.chosen)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for c, bench in zip(result["chosen"], result.get("benchmark") or [None] * len(result["chosen"])):
            print(f"found: {c['genotype']}  (supernet valid top-1 {c['supernet_valid_acc']:.2f}%)")
            if bench:
                print("  NB201 benchmark: " + ", ".join(f"{k} {v:.2f}" for k, v in bench.items() if v is not None))
        print(f"search wall time {out.wall_seconds:.1f}s over {out.generations} generation(s)")
    return 0


def _legacy_checkpoint(path) -> bool:
    """A checkpoint folder written before the ownership marker: the run record and trainer-NNNNNN/ folders only."""
    import re

    names = [p.name for p in path.iterdir()]
    return "run.npz" in names and all(n.startswith("run.npz") or re.fullmatch(r"trainer-\d{6}(\.tmp|\.old)?", n)
                                      for n in names)


def _nb201_lookup(archs):
    """NB201 200-epoch accuracies of the found archs (read after the search), or None without a built store."""
    try:
        from ..problems.nb201 import nb201_problem

        rep = nb201_problem("cifar10").report(archs)
    except Exception as exc:  # noqa: BLE001 - the store is optional for a supernet search
        print(f"(NB201 benchmark accuracies unavailable: {exc})")
        return None
    return [{k: (None if not np.isfinite(v[i]) else float(v[i])) for k, v in rep.items()} for i in range(len(archs))]


def cmd_train_final(args) -> int:
    from pathlib import Path

    from ..spaces.darts import format_genotype, parse_genotype
    from ..supernet.final import train_final

    from .._io import check_target, claim_dir

    text = args.genotype
    if not text.lstrip().startswith("Genotype") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    arch = parse_genotype(text)
    if args.save:
        check_target(args.save, "trained network")  # before training: never overwrite a user's folder
    data = _data(args, final=True)
    t0 = time.perf_counter()
    res = train_final(arch, data["train"], data["test"], np.random.default_rng(args.seed),
                      num_classes=data["num_classes"], C=_or(args.channels, 36), layers=args.layers,
                      epochs=args.epochs, batch_size=_or(args.batch_size, 96), lr=args.lr,
                      auxiliary_weight=args.auxiliary_weight, drop_path=args.drop_path, cutout=args.cutout,
                      max_batches=args.max_batches, device=args.device, log=None if args.json else print,
                      speed=speed_options(args, args.device))
    net = res.pop("net")
    out = {"genotype": format_genotype(arch), "dataset": args.dataset, "C": _or(args.channels, 36),
           "layers": args.layers, "epochs": args.epochs, "test_acc": res["test_acc"],
           "params_M": round(res["params_M"], 4), "wall_seconds": round(time.perf_counter() - t0, 3)}
    if args.save:
        import torch

        d = claim_dir(args.save, "trained network")
        torch.save(net.state_dict(), d / "weights.pt")
        (d / "result.json").write_text(json.dumps({**out, "history": res["history"]}, indent=1))
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"{out['genotype']}\ntest top-1 {out['test_acc']:.2f}% | {out['params_M']:.3f} M params | "
              f"{out['wall_seconds']:.1f}s")
    return 0


def _or(value, default):
    """``default`` only when the option was not given (``0`` is refused by argparse, never replaced)."""
    return default if value is None else value
