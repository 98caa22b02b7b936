"""``nasbench-eval data build|info``: build the benchmark store, show its coverage and provenance."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("data", help="build / inspect the benchmark store")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    b = dsub.add_parser("build", help="build the store from the bundled source tables (verifies them first)")
    b.add_argument("--source", type=Path, help="source data folder (default: $NASBENCH_EVAL_DATA or ../shared/data)")
    b.add_argument("--store", type=Path, help="where to write the store (default: $NASBENCH_EVAL_STORE or data/store)")
    b.set_defaults(func=_build)
    imp = dsub.add_parser("import", help="merge an official benchmark file (HW-NAS-Bench pickle, NB201 .pth)")
    imp.add_argument("kind", choices=["hwnasbench", "nb201"])
    imp.add_argument("path", type=Path)
    imp.add_argument("--trust-pickle", action="store_true",
                     help="nb201: allow unpickling the .pth (runs code from the file; only for official files); "
                          "hwnasbench: also decode numeric numpy scalars (still no code runs)")
    imp.add_argument("--store", type=Path)
    imp.add_argument("--source-name", help="source label for the columns (default: from the file name)")
    imp.set_defaults(func=_import)
    i = dsub.add_parser("info", help="columns with coverage, unit and source")
    i.add_argument("--store", type=Path)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_info)


def _build(args) -> int:
    from ..spaces import nb201
    from ..tables.build import build_store
    from ..tables.store import default_store_dir, load_store

    old = (args.store or default_store_dir()) / "meta.json"
    try:
        imported = old.is_file() and bool(json.loads(old.read_text()).get("imports"))
    except (OSError, ValueError, AttributeError):  # an unreadable old store is replaced (if ours) or refused below
        imported = False
    if imported:
        print("nasbench-eval: note: the rebuilt store drops imported official columns; re-run `data import`",
              file=sys.stderr)
    out = build_store(args.source, args.store)
    s = load_store(out, verify=True)
    print(f"built {out}: {len(s.columns)} columns x {nb201.N_ARCHS} archs in {s.meta['build_seconds']} s "
          f"(verified: sha256 of {len(s.meta['source_files'])} source files, index order, NATS isomorphism classes, "
          f"{s.meta['anchors_checked']} HW-NAS-Bench golden values, published optima)")
    return 0


def _import(args) -> int:
    from ..tables.official import import_official

    r = import_official(args.kind, args.path, trust_pickle=args.trust_pickle, store_dir=args.store,
                        source=args.source_name)
    print(f"imported {r['source_file']} (sha256 {r['sha256'][:12]}...) into {r['store']}: "
          f"{len(r['added'])} columns added, {len(r['updated'])} updated"
          + (f", derived rows replaced: {r['derived_replaced']}" if r["derived_replaced"] else ""))
    return 0


def _info(args) -> int:
    from ..tables.store import get_store

    s = get_store(args.store)
    rows = [{"column": c, "coverage": int(s.coverage(c).sum()), "unit": s.column_meta(c)["unit"],
             "source": s.column_meta(c)["source_file"],
             "derived": s.column_meta(c).get("derived_rows", 0),
             "user_device": s.column_meta(c).get("user_device")} for c in s.columns]
    if args.json:
        print(json.dumps({"store": str(s.path), "built_at": s.meta["built_at"], "columns": rows}, indent=1))
        return 0
    print(f"store {s.path} (built {s.meta['built_at']}, {len(rows)} columns, 15,625 archs)")
    w = max(len(r["column"]) for r in rows)
    print(f"{'column':<{w}}  {'coverage':>15}  {'unit':<6}  source")
    for r in rows:
        cov = f"{r['coverage']:,} ({100 * r['coverage'] / 15625:.1f}%)"
        note = f"  [{r['derived']:,} derived]" if r["derived"] else ""
        if r["user_device"]:  # nasbench-eval hw measure: an overlay, not part of the verified store
            note = (f"  [user device; {15625 - r['derived']:,} measured, {r['derived']:,} predicted]"
                    if r["unit"] != "flag" else "  [user device; 1 = predicted]")
        print(f"{r['column']:<{w}}  {cov:>15}  {r['unit']:<6}  {r['source']}{note}")
    return 0
