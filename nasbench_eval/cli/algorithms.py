"""``nasbench-eval algorithms``: the registered algorithms with one-line descriptions and default parameters."""
from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("algorithms", help="list the registered search algorithms")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)


def _list(args) -> int:
    from ..search import available, get_algorithm

    rows = []
    for name in available():
        cls = get_algorithm(name)
        rows.append({"name": name, "summary": cls.summary, "paper": cls.paper, "multi_objective": cls.multi_objective,
                     "spaces": list(cls.spaces), "defaults": {k: repr(v) for k, v in cls.defaults().items()}})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['name']:<18} {r['summary']}")
        print(f"{'':<18} defaults: {', '.join(f'{k}={v}' for k, v in r['defaults'].items()) or '(none)'}")
        if r["paper"]:
            print(f"{'':<18} paper: {r['paper']}")
    return 0
