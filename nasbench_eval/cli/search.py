"""``nasbench-eval search ALGORITHM``: one seeded search on a tabular (or live) problem."""
from __future__ import annotations

import json

from ..errors import ConfigError
from ._presets import add_preset_arguments
from ._speed import add_speed_arguments, speed_options
from ._types import budget_int, finite_float, key_value, open_unit, positive_int, seed_int


def register(sub) -> None:
    p = sub.add_parser("search", help="run one search algorithm on one problem")
    p.add_argument("algorithm", help="algorithm name (see `nasbench-eval algorithms`) or package.module:Class")
    p.add_argument("--dataset", default="cifar10", help="cifar10 | cifar100 | ImageNet16-120")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the run (every random choice derives from it)")
    p.add_argument("--budget", type=budget_int, default=None, help="evaluations (default 500; 1000 for HW problems)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="algorithm hyper-parameter (repeatable); values are parsed as YAML scalars")
    p.add_argument("--device", help="HW-NAS-Bench / HELP device: makes it a hardware-aware problem")
    p.add_argument("--metric", default="latency", help="device cost: latency | energy (default latency)")
    p.add_argument("--kind", help="hardware-aware kind: constrained | bi-objective (default: constrained with "
                   "--threshold/--quantile, bi-objective without)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--threshold", type=finite_float, help="cost constraint T (device units)")
    g.add_argument("--quantile", type=open_unit, help="cost constraint as a quantile (0, 1) of the device's costs")
    p.add_argument("--allow-cifar10-costs", action="store_true",
                   help="use the cifar10-input HW costs with cifar100 / ImageNet16-120 accuracy (recorded)")
    p.add_argument("--proxy", default="valid", help="valid (tabular validation accuracy), rmi, or a store column")
    p.add_argument("--reference", help="RMI reference checkpoint (with --proxy rmi)")
    p.add_argument("--rmi-config", choices=("paper", "small"), default="paper",
                   help="RMI settings: paper (C 16, N 5, batch 512, 150 steps; GPU advised) or small (CPU demo)")
    p.add_argument("--rmi-cache", help="persistent RMI score cache (JSON lines); reused across runs")
    p.add_argument("--threads", type=positive_int, help="torch CPU threads for live proxies (1 is fastest on a busy box)")
    p.add_argument("--proxy-noise-tau", type=finite_float, default=None,
                   help="degrade the tabular fitness to this Kendall tau with the truth (ProxyNoiseEvaluator)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    add_speed_arguments(p)  # --proxy rmi only
    p.set_defaults(func=_search)
    add_preset_arguments(p, "search")


def parse_params(items: list[str]) -> dict:
    from .._yaml import load_yaml

    out = {}
    for item in items:
        k, v = key_value(item, "KEY=VALUE")
        out[k] = load_yaml(v, f"--param {k}")
    return out


def problem_spec(args):
    """The :class:`ProblemSpec` a `search` command line describes: NB201 accuracy, or hardware-aware with --device.

    The hardware-aware kind follows the one rule of ProblemSpec: ``--kind`` if given, else ``constrained`` with
    ``--threshold`` / ``--quantile`` and ``bi-objective`` without.
    """
    from ..problems.spec import ProblemSpec

    proxy = "valid" if args.proxy == "rmi" else args.proxy
    noise = {} if args.proxy_noise_tau is None else {"proxy_noise_tau": args.proxy_noise_tau, "noise_seed": args.seed}
    if args.device is None:
        given = [f for f, v in (("--threshold", args.threshold), ("--quantile", args.quantile), ("--kind", args.kind),
                                ("--allow-cifar10-costs", args.allow_cifar10_costs or None)) if v is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} need --device (a hardware-aware problem)")
        return ProblemSpec.from_mapping({"type": "nb201", "dataset": args.dataset, "fitness": proxy, **noise},
                                        where="the command line")
    entry = {"type": "hw", "dataset": args.dataset, "device": args.device, "metric": args.metric,
             "threshold": args.threshold, "quantile": args.quantile, "kind": args.kind, "proxy": proxy,
             "allow_cifar10_costs": args.allow_cifar10_costs or None, **noise}
    return ProblemSpec.from_mapping({k: v for k, v in entry.items() if v is not None}, where="the command line")


def build_problem(args, algo_cls):
    """The problem of a `search` command line (see :func:`problem_spec`), with a live proxy where asked."""
    spec = problem_spec(args)
    if spec.type == "hw" and spec.get("kind") == "bi-objective" and not algo_cls.multi_objective:
        raise ConfigError(f"{algo_cls.name} is single-objective: give a cost constraint with --quantile Q or "
                          "--threshold T (a constrained problem), or pick a multi-objective algorithm for the "
                          "bi-objective problem")
    return spec.build(evaluator=_proxy_evaluator(args) if args.proxy == "rmi" else None)


def _proxy_evaluator(args):
    """The live RMI evaluator of ``--proxy rmi``."""
    if args.proxy == "rmi":
        if not args.reference:
            raise ConfigError("--proxy rmi needs --reference CHECKPOINT (see `nasbench-eval rmi train-reference`)")
        from ..evaluators.rmi import (
            RMIEvaluator,  # the live path: torch is imported only here
        )
        from ..live.rmi import PAPER, SMALL

        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        speed = speed_options(args, None, "rmi")  # the RMI scorer's torch device: CUDA when available
        return RMIEvaluator.from_checkpoint(args.reference, cache=args.rmi_cache, seed=args.seed,
                                            settings=SMALL if args.rmi_config == "small" else PAPER,
                                            amp=speed.amp, channels_last=speed.channels_last, compile=speed.compile)


def _search(args) -> int:
    from ._format import num, rounded
    from ..search import Budget, get_algorithm, run

    cls = get_algorithm(args.algorithm)
    algo = cls.from_params(parse_params(args.param))
    problem = build_problem(args, cls)
    budget = args.budget if args.budget is not None else (1000 if args.device else 500)
    res = run(algo, problem, Budget(evaluations=budget), seed=args.seed, progress=args.progress)
    out = res.to_json()
    out["dataset"] = args.dataset
    if hasattr(problem, "ground_truth"):  # HW problems add per-threshold picks, the front and indicators
        from ..judge import finalise_result

        out.update(finalise_result(problem, res))
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{res.algorithm} on {problem.name} (seed {args.seed}): {res.evaluations} evaluations, "
          f"cost {res.total_cost:g} {problem.evaluator.cost_unit}, {res.wall_seconds:.2f} s, stopped by {res.stopped_by}")
    for c in res.chosen[:20]:
        m = ", ".join(f"{k}={num(v)}" for k, v in c["metrics"].items() if v is not None)
        print(f"  #{c['index']:<5} {c['arch']}\n         {m}")
    if len(res.chosen) > 20:
        print(f"  ... {len(res.chosen) - 20} more (use --json)")
    for k, v in out.items():
        if k in ("front", "indicators", "per_threshold"):
            print(f"{k}: {json.dumps(rounded(v))[:2000]}")  # 6 significant digits; --json keeps all
    print("sources: " + ", ".join(f"{k} <- {v}" for k, v in problem.describe()["sources"].items()))
    return 0
