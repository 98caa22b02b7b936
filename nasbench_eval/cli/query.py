"""``nasbench-eval query ARCH...``: look architectures up (index, arch string or op tuple like 3,3,3,1,3,2)."""
from __future__ import annotations

import json

import numpy as np

from ..errors import InvalidArchError


def register(sub) -> None:
    p = sub.add_parser("query", help="look architectures up in the benchmark tables")
    p.add_argument("archs", nargs="+", metavar="ARCH",
                   help="NB201 index, arch string '|op~0|+|...|' or op tuple '3,3,3,1,3,2'")
    p.add_argument("--dataset", default="cifar10", help="cifar10 | cifar100 | ImageNet16-120 (default cifar10)")
    p.add_argument("--device", action="append", default=None,
                   help="HW-NAS-Bench or HELP device to show (repeatable; default: the six HW-NAS-Bench devices)")
    p.add_argument("--column", action="append", default=[], help="any extra store column (repeatable)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per arch: arch, index, metrics, missing, derived (values computed by a "
                        "stated rule rather than measured for that arch), sources")
    p.set_defaults(func=_query)


def parse_arch_arg(text: str) -> int:
    from ..spaces import nb201

    t = text.strip()
    if "," in t and "|" not in t:
        try:
            ops = [int(x) for x in t.split(",")]
        except ValueError:
            raise InvalidArchError(f"op tuple {text!r} must be 6 comma-separated integers 0..4") from None
        return int(nb201.ops_to_index(ops))
    return nb201.to_index(t)


def query_columns(dataset: str, devices: list[str] | None, extra: list[str]) -> dict[str, str]:
    from ..tables import HW_DEVICES, HW_METRICS, dataset_view, hw_column

    v = dataset_view(dataset)
    cols = {"valid_acc": v.valid, "test_acc": v.test, "train_acc": v.train, "flops_M": v.flops,
            "params_M": v.params}
    for dev in devices or HW_DEVICES:
        for m in HW_METRICS.get(dev, ("latency",)):
            col = hw_column(dev, m)  # HW costs are for the cifar10 input (the only one in the bundled data)
            cols[col.split("/")[1]] = col
    cols.update({c: c for c in extra})
    return cols


def derived_flags(store, cols: dict[str, str]) -> dict[str, dict]:
    """``name -> {flag_column, rule}`` for each shown column whose values are derived for some archs.

    A column ``ds/what/source`` is derived where its flag column (named in its metadata as
    ``derived_mask_column``, or by convention ``ds/what_is_derived/source``) holds 1.
    """
    out = {}
    for name, col in cols.items():
        if col not in store.columns:
            continue
        meta = store.column_meta(col)
        flag = meta.get("derived_mask_column")
        parts = col.split("/")
        if flag is None and len(parts) == 3:
            flag = f"{parts[0]}/{parts[1]}_is_derived/{parts[2]}"
        if flag and flag != col and flag in store.columns:
            out[name] = {"flag_column": flag, "rule": meta.get("derived_rule", f"flagged in {flag}")}
    return out


def _query(args) -> int:
    from ..spaces import nb201
    from ..tables import get_store

    store = get_store()
    idx = np.array([parse_arch_arg(a) for a in args.archs])
    cols = query_columns(args.dataset, args.device, args.column)
    vals = store.lookup(list(cols.values()), idx)
    flags = derived_flags(store, cols)
    fvals = store.lookup([f["flag_column"] for f in flags.values()], idx) if flags else np.zeros((len(idx), 0))
    out = []
    for i, ix in enumerate(idx):
        metrics = {k: (None if np.isnan(vals[i, j]) else round(float(vals[i, j]), 6)) for j, k in enumerate(cols)}
        derived = {k: f for j, (k, f) in enumerate(flags.items()) if fvals[i, j] == 1 and metrics[k] is not None}
        out.append({"arch": nb201.index_to_arch(int(ix)), "index": int(ix), "dataset": args.dataset,
                    "metrics": metrics, "missing": [k for k, v in metrics.items() if v is None],
                    "derived": derived, "sources": cols})
    if args.json:
        print(json.dumps(out if len(out) > 1 else out[0], indent=1))
        return 0
    for o in out:
        print(f"#{o['index']}  {o['arch']}  ({args.dataset})")
        for k, v in o["metrics"].items():
            shown = "n/a (not in source)" if v is None else f"{v:.4f}" + (" (derived)" if k in o["derived"] else "")
            print(f"  {k:<38} {shown}  <- {cols[k]}")
        for k, f in o["derived"].items():
            print(f"  (derived) {k} is not measured for this arch: {f['rule']}; flagged in {f['flag_column']}")
    return 0
