"""``nasbench-eval data build|info``: build the benchmark store, show its coverage and provenance."""
from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("data", help="build / inspect the benchmark store")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    b = dsub.add_parser("build", help="build the store from the bundled source tables (verifies them first)")
    b.add_argument("--source", type=Path, help="source data folder (default: $NASBENCH_EVAL_DATA or ../shared/data)")
    b.add_argument("--store", type=Path, help="where to write the store (default: $NASBENCH_EVAL_STORE or data/store)")
    b.set_defaults(func=_build)
    i = dsub.add_parser("info", help="columns with coverage, unit and source")
    i.add_argument("--store", type=Path)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_info)


def _build(args) -> int:
    from ..tables.build import build_store
    from ..tables.store import load_store

    out = build_store(args.source, args.store)
    s = load_store(out, verify=True)
    print(f"built {out}: {len(s.columns)} columns x {s.values.shape[1]} archs in {s.meta['build_seconds']} s "
          f"(verified: sha256 of {len(s.meta['source_files'])} source files, index order, NATS isomorphism classes, "
          f"{s.meta['anchors_checked']} HW-NAS-Bench golden values, published optima)")
    return 0


def _info(args) -> int:
    from ..tables.store import get_store

    s = get_store(args.store)
    rows = [{"column": c, "coverage": int(s.coverage(c).sum()), "unit": s.column_meta(c)["unit"],
             "source": s.column_meta(c)["source_file"],
             "derived": s.column_meta(c).get("derived_rows", 0)} for c in s.columns]
    if args.json:
        print(json.dumps({"store": str(s.path), "built_at": s.meta["built_at"], "columns": rows}, indent=1))
        return 0
    print(f"store {s.path} (built {s.meta['built_at']}, {len(rows)} columns, 15,625 archs)")
    w = max(len(r["column"]) for r in rows)
    print(f"{'column':<{w}}  {'coverage':>15}  {'unit':<6}  source")
    for r in rows:
        cov = f"{r['coverage']:,} ({100 * r['coverage'] / 15625:.1f}%)"
        note = f"  [{r['derived']:,} derived]" if r["derived"] else ""
        print(f"{r['column']:<{w}}  {cov:>15}  {r['unit']:<6}  {r['source']}{note}")
    return 0
