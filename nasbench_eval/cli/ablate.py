"""``nasbench-eval ablate ALGO --param population_size=5,10,20,50 --dataset cifar10 --seeds 30``: an ablation in
one command. Writes the spec it runs (``spec.yaml``) into the result folder, runs it (resumable like ``run``) and
writes the report with its ablation section."""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ._types import budget_int, finite_float, key_value, open_unit, positive_int, seed_int


def register(sub) -> None:
    p = sub.add_parser("ablate", help="sweep an algorithm's parameters (an ablation): run, then report the effects",
                       description="Builds a spec with one swept algorithm entry (docs/ablations.md), writes it to "
                                   "OUT/spec.yaml, runs it into OUT (interrupt and rerun to resume) and writes "
                                   "OUT/report/report.md with the response plots, tests and importance ranking.")
    p.add_argument("algorithm", help="algorithm name (see `nasbench-eval algorithms`) or package.module:Class")
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2,...", required=True,
                   help="a swept parameter and its values (repeatable); values are parsed as YAML scalars "
                        "(5, 0.1, true, null, novelty)")
    p.add_argument("--fixed", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter held fixed at VALUE for every setting (repeatable)")
    p.add_argument("--design", default="cartesian", choices=("cartesian", "one-at-a-time"),
                   help="cartesian (every combination, default) or one-at-a-time (one parameter varied around the "
                        "defaults)")
    p.add_argument("--dataset", action="append", default=None,
                   help="cifar10 | cifar100 | ImageNet16-120; repeatable or comma-separated (default cifar10)")
    p.add_argument("--seeds", type=positive_int, default=30, help="runs per setting and problem (default 30)")
    p.add_argument("--root-seed", type=seed_int, default=0, help="root seed of the grid (default 0)")
    p.add_argument("--budget", type=budget_int, default=None,
                   help="evaluations per run (default 500; 1000 for hardware-aware problems)")
    p.add_argument("--device", help="HW-NAS-Bench / HELP device: a hardware-aware problem")
    p.add_argument("--metric", default="latency", help="device cost metric (default latency)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--threshold", type=finite_float, help="cost constraint T (device units)")
    g.add_argument("--quantile", type=open_unit, help="cost constraint as a quantile (0, 1) of the device's costs")
    p.add_argument("--allow-cifar10-costs", action="store_true",
                   help="HW costs of the cifar10 input with cifar100 / ImageNet16-120 accuracy (recorded)")
    p.add_argument("--proxy-noise-tau", type=finite_float, default=None,
                   help="degrade the fitness to this Kendall tau with the truth (one noise field per seed label)")
    p.add_argument("--report-metric", default="test_acc",
                   help="metric of the report and its ablation section (default test_acc; e.g. hv_norm, mean_gap)")
    p.add_argument("--out", type=Path, help="result folder (default results/ablate-<algorithm>)")
    p.add_argument("--backend", default="serial", choices=("serial", "joblib", "ray"))
    p.add_argument("--jobs", "-j", type=positive_int, default=None, help="workers (default 1 serial, 2 otherwise)")
    p.add_argument("--check", action="store_true", help="only build and check the spec and print the grid size")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_ablate)


def parse_sweep(items: list[str]) -> dict:
    """``["population_size=5,10", "objectives=both,novelty"]`` -> ``{population_size: [5, 10], ...}``."""
    from .._yaml import load_yaml

    out = {}
    for item in items:
        k, v = key_value(item, "NAME=V1,V2,... (the values to sweep)")
        if k in out:
            raise ConfigError(f"--param {k} is given twice; list all its values in one --param {k}=V1,V2,...")
        vals = [x.strip() for x in v.split(",")]
        if not k or not v.strip() or any(x == "" for x in vals):
            raise ConfigError(f"--param {item!r}: give NAME=V1,V2,... with non-empty values")
        out[k] = [load_yaml(x, f"--param {k}") for x in vals]
    return out


def build_spec(args) -> dict:
    """The spec mapping an ``ablate`` command line describes (what ``spec.yaml`` holds)."""
    from .search import parse_params

    datasets = [d.strip() for item in (args.dataset or ["cifar10"]) for d in item.split(",") if d.strip()]
    if not datasets:
        raise ConfigError("--dataset needs at least one of cifar10, cifar100, ImageNet16-120")
    entry = {"name": args.algorithm, "sweep": parse_sweep(args.param)}
    fixed = parse_params(args.fixed)
    if fixed:
        entry["params"] = fixed
    if args.design != "cartesian":
        entry["design"] = args.design
    problems = []
    for ds in dict.fromkeys(datasets):
        if args.device is None:
            given = [f for f, v in (("--threshold", args.threshold), ("--quantile", args.quantile),
                                    ("--allow-cifar10-costs", args.allow_cifar10_costs or None)) if v is not None]
            if given:
                raise ConfigError(f"{', '.join(given)} need --device (a hardware-aware problem)")
            pr = {"type": "nb201", "dataset": ds}
        else:
            pr = {"type": "hw", "dataset": ds, "device": args.device, "metric": args.metric}
            pr.update({k: v for k, v in (("threshold", args.threshold), ("quantile", args.quantile),
                                         ("allow_cifar10_costs", args.allow_cifar10_costs or None)) if v is not None})
        if args.proxy_noise_tau is not None:
            pr["proxy_noise_tau"] = args.proxy_noise_tau
        problems.append(pr)
    budget = args.budget if args.budget is not None else (1000 if args.device else 500)
    name = "ablate-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in args.algorithm)
    return {"name": name, "description": "nasbench-eval ablate " + " ".join(f"--param {x}" for x in args.param),
            "root_seed": args.root_seed, "seeds": args.seeds, "budget": {"evaluations": budget},
            "algorithms": [entry], "problems": problems}


def _ablate(args) -> int:
    import yaml

    from ..report import make_report
    from ..runner import parse_spec, run_experiment
    from ..runner.spec import check_problems

    raw = build_spec(args)
    spec = parse_spec(raw)
    grid = (f"{len(spec.algorithms)} settings x {len(spec.problems)} problems x {len(spec.seeds)} seeds = "
            f"{spec.n_cells} runs, budget {spec.budget['evaluations']} evaluations")
    if args.check:
        check_problems(spec)
        print(f"OK: {grid}; settings: {', '.join(a['label'] for a in spec.algorithms)}")
        return 0
    out = args.out or Path("results") / spec.name
    path = out / "spec.yaml"
    if path.exists():
        from ..runner import load_spec

        if load_spec(path).hash != spec.hash:
            raise ConfigError(f"{out} holds another ablation (its spec.yaml differs from this command line); use a "
                              "new --out")
    print(f"ablation: {grid} -> {out}")
    jobs = args.jobs if args.jobs is not None else (1 if args.backend == "serial" else 2)
    text = ("# written by nasbench-eval ablate; rerun the command, or: nasbench-eval run spec.yaml --out <this folder>\n"
            + yaml.safe_dump(raw, sort_keys=False))

    def save(_cell=None):  # once the result folder exists (the store refuses a non-empty folder it did not create)
        if not path.exists():
            path.write_text(text)

    s = run_experiment(spec, out, backend=args.backend, jobs=jobs, progress=not args.no_progress, on_cell=save)
    save()
    rep = make_report(out, "md", metric=args.report_metric)
    print(f"{out}: ran {s['ran']} runs, {s['skipped']} resumed, in {s['seconds']:.1f} s; spec: {path}; "
          f"report: {rep}")
    return 0
