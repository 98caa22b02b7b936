"""``nasbench-eval reproduce NAME``: a paper table, reproduced on the bundled benchmarks, next to the reported one."""
from __future__ import annotations

from ._types import positive_int

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce a paper's comparison table (see --list)")
    p.add_argument("name", nargs="?", help="reproduction name (see --list)")
    p.add_argument("--list", action="store_true",
                   help="list the reproductions with their time on 2 cores and what --quick runs")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: fewer seeds (3-5 instead of 10-30) and for some a smaller budget; --list says "
                        "how small for each (nb201: 5 seeds x 500 evaluations, about 15 s)")
    p.add_argument("--out", type=Path, help="result folder (default results/<name>)")
    p.add_argument("--backend", default="joblib", choices=("serial", "joblib", "ray"))
    p.add_argument("--jobs", "-j", type=positive_int, default=2)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_reproduce)


def _reproduce(args) -> int:
    from ..errors import ConfigError
    from ..reproduce import list_reproductions, reproduce

    if args.list or not args.name:
        for name, d in list_reproductions().items():
            print(f"{name:<22} {d.get('title', '')}")
            print(f"{'':<22} about {d.get('minutes', '?')} min on 2 cores; --quick: {_quick_size(d)}")
        return 0 if args.list else _needs_name(ConfigError)
    out = args.out or Path("results") / (args.name + ("-quick" if args.quick else ""))
    r = reproduce(args.name, out, quick=args.quick, backend=args.backend, jobs=args.jobs,
                  progress=not args.no_progress)
    print(r["report"].read_text())
    print(f"\nwritten: {r['report']} (+ report/ with statistics and plots) in {r['seconds']:.1f} s")
    return 0


def _quick_size(d: dict) -> str:
    """What --quick changes: seeds and budget of the quick run (vs the full one)."""
    quick, spec = d.get("quick") or {}, d.get("spec") or next(iter((d.get("specs") or {None: {}}).values()), {}) or {}
    parts = []
    if "seeds" in quick:
        parts.append(f"{quick['seeds']} seeds (full: {spec.get('seeds', '?')})")
    budget = quick.get("budget")
    if isinstance(budget, dict) and budget.get("evaluations"):
        full = spec.get("budget", {}).get("evaluations", "?") if isinstance(spec.get("budget"), dict) else "?"
        parts.append(f"{budget['evaluations']} evaluations per run (full: {full})")
    return ", ".join(parts) or "the same spec"


def _needs_name(err):
    raise err("give a reproduction name, or --list to see them")
