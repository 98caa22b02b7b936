"""Command-line entry point ``nasbench-eval``.

Each sub-command lives in its own module ``nasbench_eval.cli.<name>`` exposing ``register(subparsers)``; that
function adds its parser and sets ``func`` (called with the parsed ``argparse.Namespace``; returns an exit code).
Modules are imported only when listed here, so ``nasbench-eval --help`` stays fast (torch loads lazily inside the
live-path commands).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import NasbenchEvalError

COMMAND_MODULES = ("data", "query", "search", "algorithms", "run", "report", "reproduce", "rmi", "supernet",
                   "betavae", "hw")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nasbench-eval",
        description="Hardware-aware NAS on tabular benchmarks (NB201, HW-NAS-Bench) with live RMI / supernet paths.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a sub-command not written yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NasbenchEvalError as exc:
        print(f"nasbench-eval: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("nasbench-eval: interrupted (finished work is saved; rerun to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
