"""``nasbench-eval hw measure|list|remove``: your own device as a latency column, used like any HW-NAS-Bench device."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ._types import nonneg_int, positive_int, seed_int


def register(sub) -> None:
    p = sub.add_parser("hw", help="measure NB201 latency on your own hardware (a user device)")
    hsub = p.add_subparsers(dest="hw_command", metavar="ACTION")
    hsub.required = True
    m = hsub.add_parser("measure", help="time a stratified sample of NB201 networks here, predict the rest, and "
                        "add the column {input}/NAME_latency_ms/user-measured (resumable)")
    m.add_argument("--device-name", required=True, help="name of the device (lower-case letters, digits, '_')")
    m.add_argument("--sample", type=positive_int, default=60, help="isomorphism classes timed to fit the predictor "
                   "(stratified by FLOPs deciles; default 60)")
    m.add_argument("--holdout", type=nonneg_int, default=0, help="further archs timed but kept out of the fit, to "
                   "check the predictor on unseen measurements (default 0)")
    m.add_argument("--batch-size", type=positive_int, default=1)
    m.add_argument("--input", default="cifar10", choices=["cifar10"], help="network input (cifar10: 32x32, 10 "
                   "classes, the input HW-NAS-Bench measured)")
    m.add_argument("--torch-device", default="cpu", help="cpu | cuda | cuda:N")
    m.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's; use 1 "
                   "on a shared machine)")
    m.add_argument("--warmup", type=nonneg_int, default=3, help="untimed forward passes per arch (default 3)")
    m.add_argument("--repeats", type=positive_int, default=10, help="timed forward passes per arch; the median is "
                   "kept (default 10)")
    m.add_argument("--predictor", default="gbr", choices=["gbr", "rf", "ridge"],
                   help="model filling the unmeasured archs (default gbr: gradient boosting)")
    m.add_argument("--seed", type=seed_int, default=0, help="seed of the sample, the weights/input and the fit")
    m.add_argument("--user-devices", type=Path, help="user-devices folder (default: $NASBENCH_EVAL_USER_DEVICES "
                   "or ~/.cache/nasbench-eval/user_devices)")
    m.add_argument("--store", type=Path, help="benchmark store (FLOPs/params features, agreement with its devices)")
    m.add_argument("--json", action="store_true", help="print device.json")
    m.add_argument("--no-progress", action="store_true")
    m.set_defaults(func=_measure)
    ls = hsub.add_parser("list", help="user devices (finished ones are usable as --device NAME)")
    ls.add_argument("--user-devices", type=Path)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    rm = hsub.add_parser("remove", help="delete a user device (its measurements too)")
    rm.add_argument("name")
    rm.add_argument("--user-devices", type=Path)
    rm.set_defaults(func=_remove)


def _measure(args) -> int:
    from ..live.latency import TimingSettings, measure_device
    from ..tables.locate import get_store

    settings = TimingSettings(batch_size=args.batch_size, input=args.input, torch_device=args.torch_device,
                              threads=args.threads, warmup=args.warmup, repeats=args.repeats, seed=args.seed)
    meta = measure_device(args.device_name, sample=args.sample, holdout=args.holdout, settings=settings,
                          predictor=args.predictor, store=get_store(args.store) if args.store else None,
                          root=args.user_devices, progress=not args.no_progress)
    if args.json:
        print(json.dumps(meta, indent=1))
    else:
        print(summary(meta))
    if args.user_devices and Path(os.environ.get("NASBENCH_EVAL_USER_DEVICES", "")) != args.user_devices:
        print(f"note: other commands see this device with NASBENCH_EVAL_USER_DEVICES={args.user_devices}",
              file=sys.stderr)
    return 0


def summary(meta: dict) -> str:
    """A few lines on a finished user device: column, counts, time, predictor quality, agreement."""
    c, t, pr = meta["counts"], meta["timing"], meta["predictor"]
    cv = pr["cross_validated"]
    lines = [f"user device {meta['name']!r}: {meta['columns'][0]} (+ flag {meta['columns'][1]})",
             f"  measured {c['measured']:,} archs, predicted {c['predicted']:,}; timing this run "
             f"{t['measure_seconds']:g} s (all archs {t['wall_seconds_all_archs']:g} s); median relative IQR "
             f"{t['median_relative_iqr']:.3f}",
             f"  on {meta['machine']['summary']}; batch {meta['settings']['batch_size']}, "
             f"{meta['settings']['warmup']} warm-up + {meta['settings']['repeats']} timed passes; {meta['timer']}",
             f"  predictor {pr['kind']} ({cv['method']}, n={cv['n']}): Kendall tau {cv['kendall_tau']:.3f}, "
             f"MAPE {100 * cv['mape']:.1f} % (FLOPs alone: tau {cv['flops_only_tau']:.3f})"]
    if pr.get("holdout"):
        h = pr["holdout"]
        lines.append(f"  held-out measured archs (n={h['n']}): Kendall tau {h['kendall_tau']:.3f}, "
                     f"MAPE {100 * h['mape']:.1f} %")
    ag = meta["agreement_measured"]
    show = [d for d in ("raspi4", "pixel3", "edgegpu", "gold_6226", "gold_6240", "silver_4114", "silver_4210r")
            if d in ag]
    lines.append("  rank agreement of the measured archs (Kendall tau): "
                 + ", ".join(f"{d} {ag[d]['kendall_tau']:.3f}" for d in show))
    lines.append(f"  use it: nasbench-eval search mo-hdnas --device {meta['name']}")
    return "\n".join(lines)


def _list(args) -> int:
    from ..tables.user_devices import list_devices, user_devices_dir

    rows = list_devices(args.user_devices)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    root = args.user_devices or user_devices_dir()
    if not rows:
        print(f"no user devices in {root} (add one with `nasbench-eval hw measure --device-name NAME`)")
    for r in rows:
        if r["complete"]:
            s, cv = r["settings"], r["predictor"] or {}
            print(f"{r['name']}: {r['counts']['measured']} measured + {r['counts']['predicted']} predicted, batch "
                  f"{s['batch_size']} on {s['torch_device']}, predictor CV tau {cv.get('kendall_tau')} "
                  f"({r['path']})")
        else:
            print(f"{r['name']}: incomplete ({r['measurements']} archs timed; rerun `hw measure` to resume)")
    return 0


def _remove(args) -> int:
    from ..tables.user_devices import remove_device

    print(f"removed {remove_device(args.name, args.user_devices)}")
    return 0
