"""``nasbench-eval report DIR``: tables, statistics, plots and an IOHanalyzer export of a result folder."""
from __future__ import annotations

from ._types import open_unit


def register(sub) -> None:
    p = sub.add_parser("report", help="tables, tests, plots and an IOHanalyzer CSV of a result folder",
                       description="Reads only the result store in DIR (written by `nasbench-eval run`), or a "
                                   "Beta-VAE study folder (results.parquet with study='betavae').")
    p.add_argument("dir", help="result folder")
    p.add_argument("--format", default="md", choices=("md", "html"), help="report format (default md)")
    p.add_argument("--baseline", help="algorithm label to test the others against (default: the first)")
    p.add_argument("--metric", default="test_acc",
                   help="metric of the chosen architecture to compare (default test_acc; e.g. valid_acc, hv_norm)")
    p.add_argument("--sense", choices=("max", "min"),
                   help="whether larger or smaller values of --metric are better (default: from the metric's name, "
                        "e.g. latency/cost/loss/gap/igd -> min, acc/hv/fitness -> max)")
    p.add_argument("--alpha", type=open_unit, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--out", help="where to write (default DIR/report)")
    p.set_defaults(func=_report)


def _report(args) -> int:
    from ..report import make_report

    path = make_report(args.dir, fmt=args.format, baseline=args.baseline, metric=args.metric, out=args.out,
                       alpha=args.alpha, sense=args.sense)
    print(f"report written to {path} (plots and ioh.csv next to it)")
    return 0
