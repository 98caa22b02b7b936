"""``nasbench-eval data build|verify|import|info``: build the benchmark store (or the packaged copy), verify it
against the source tables, merge official files, show coverage and provenance."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("data", help="build / inspect the benchmark store")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    b = dsub.add_parser("build", help="build the store from the bundled source tables (verifies them first)")
    b.add_argument("--source", type=Path, help="source data folder (default: $NASBENCH_EVAL_DATA or ../shared/data)")
    b.add_argument("--store", type=Path, help="where to write the store (default: $NASBENCH_EVAL_STORE or data/store)")
    b.add_argument("--package", action="store_true",
                   help="instead, rebuild the store shipped with the package (nasbench_eval/data/store.tar.xz and "
                        "provenance.json; deterministic, so it equals the committed file bit for bit)")
    b.add_argument("--package-dir", type=Path, help="with --package: where to write (default: nasbench_eval/data)")
    b.set_defaults(func=_build)
    v = dsub.add_parser("verify", help="rebuild from the source tables in a temporary folder and compare bit for bit "
                                       "with the packaged and the current store",
                        description="Checks the packaged store against its recorded sha256 sums and the current "
                                    "store's content hash; when the source tables are found (--source, "
                                    "$NASBENCH_EVAL_DATA or ../shared/data) also rebuilds the store from them and "
                                    "compares values, Pareto fronts and metadata bit for bit. Exit 1 on a "
                                    "difference, 2 when the sources are absent.")
    v.add_argument("--source", type=Path, help="source data folder (default: $NASBENCH_EVAL_DATA or ../shared/data)")
    v.add_argument("--store", type=Path, help="the current store (default: $NASBENCH_EVAL_STORE or the default one)")
    v.set_defaults(func=_verify)
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

    if args.package:
        from ..tables.packaged import build_package, packaged_paths

        prov = build_package(args.source, args.package_dir)
        archive, provenance = packaged_paths(args.package_dir)
        print(f"packaged {archive} ({prov['archive_bytes'] / 1e6:.2f} MB, sha256 {prov['archive_sha256'][:12]}...; "
              f"{prov['n_columns']} columns x {prov['n_archs']} archs, content {prov['content_sha256'][:12]}...) "
              f"and {provenance}")
        return 0
    if args.package_dir:
        raise ConfigError("--package-dir is only used with --package")
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


def _verify(args) -> int:
    from ..tables.build import find_source
    from ..tables.packaged import verify
    from ..tables.store import default_store_dir

    src = args.source if args.source is not None else find_source(required=False)
    ok, diffs = verify(src, args.store or default_store_dir())
    for line in ok:
        print(f"ok: {line}")
    for line in diffs:
        print(f"DIFFERS: {line}")
    if src is None:
        print("nasbench-eval: error: the source tables were not found ($NASBENCH_EVAL_DATA, ../shared/data), so "
              "nothing was rebuilt; only the hashes above were checked. Pass --source DIR to compare bit for bit",
              file=sys.stderr)
        return 2
    return 1 if diffs else 0


def _import(args) -> int:
    from ..tables.official import import_official

    r = import_official(args.kind, args.path, trust_pickle=args.trust_pickle, store_dir=args.store,
                        source=args.source_name)
    print(f"imported {r['source_file']} (sha256 {r['sha256'][:12]}...) into {r['store']}: "
          f"{len(r['added'])} columns added, {len(r['updated'])} updated"
          + (f", derived rows replaced: {r['derived_replaced']}" if r["derived_replaced"] else ""))
    return 0


def _info(args) -> int:
    from ..tables.locate import get_store

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
