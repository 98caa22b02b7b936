"""``nasbench-eval run SPEC.yaml``: run an experiment grid (algorithm x problem x seed) into a result folder."""
from __future__ import annotations

from ._types import positive_int

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("run", help="run an experiment spec (YAML) into a resumable Parquet result store",
                       description="Runs every cell (algorithm x problem x seed) of SPEC not yet in --out. "
                                   "Interrupt at any time: finished cells are kept and the next run resumes.")
    p.add_argument("spec", help="experiment spec (YAML); see docs/runner.md and examples/*.yaml")
    p.add_argument("--out", help="result folder (default results/<spec name>)")
    p.add_argument("--backend", default="serial", choices=("serial", "joblib", "ray"),
                   help="where cells run (default serial); results are bit-identical across backends")
    p.add_argument("--ray-address", metavar="auto|HOST:PORT", default=None,
                   help="with --backend ray: join this Ray cluster ('auto' = the cluster this machine is a node of) "
                        "instead of starting a private instance; default $RAY_ADDRESS. See docs/cluster.md")
    p.add_argument("--jobs", "-j", type=positive_int, default=None,
                   help="parallel workers (default 1 serial, 2 otherwise; on a Ray cluster its resources decide)")
    p.add_argument("--check", action="store_true",
                   help="only validate the spec (build every problem, set up every algorithm on it) and print the "
                        "grid size")
    p.add_argument("--allow-code-change", action="store_true",
                   help="resume --out although an algorithm's resolved parameters or code, or nasbench-eval's code, "
                        "changed since the folder was started (refused otherwise); recorded in manifest.json")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..runner import load_spec, run_experiment
    from ..runner.spec import check_problems

    spec = load_spec(args.spec)
    if args.check:
        check_problems(spec)
        print(f"{args.spec}: OK: {len(spec.algorithms)} algorithms x {len(spec.problems)} problems x "
              f"{len(spec.seeds)} seeds = {spec.n_cells} cells, budget {spec.budget}, spec hash {spec.hash[:12]}")
        return 0
    out = Path(args.out) if args.out else Path("results") / spec.name
    jobs = args.jobs if args.jobs is not None else (1 if args.backend == "serial" else 2)
    options = {"address": args.ray_address} if args.ray_address is not None else None
    s = run_experiment(spec, out, backend=args.backend, jobs=jobs, progress=not args.no_progress,
                       allow_code_change=args.allow_code_change, backend_options=options)
    state = "complete" if s["complete"] else "INCOMPLETE"
    print(f"{out}: ran {s['ran']} cells, skipped {s['skipped']} already done; store {state} "
          f"({s['cells']} cells) in {s['seconds']:.1f} s. Next: nasbench-eval report {out}")
    return 0
