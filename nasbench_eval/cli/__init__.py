"""Command-line entry point ``nasbench-eval``.

Each sub-command lives in its own module ``nasbench_eval.cli.<name>`` exposing ``register(subparsers)``; that
function adds its parser and sets ``func`` (called with the parsed ``argparse.Namespace``; returns an exit code).
Modules are imported only when listed here, so ``nasbench-eval --help`` stays fast (torch loads lazily inside the
live-path commands).
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys

from ..errors import NasbenchEvalError

COMMAND_MODULES = ("data", "query", "search", "algorithms", "run", "report", "reproduce", "rmi", "supernet",
                   "betavae", "ablate", "hw")


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help states its default: ``(default: X)`` is appended unless the text already says it or the
    option has no default (``None``, off, empty)."""

    def _get_help_string(self, action):
        text = action.help or ""
        d = action.default
        if (not action.option_strings or d is None or d is False or d is argparse.SUPPRESS
                or (isinstance(d, (list, tuple)) and not d) or "default" in text.lower()):
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on ONE line (``--help`` still shows the usage) and every option's default in
    ``--help``; sub-parsers inherit it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    """Run one command; every failure ends as ONE line on stderr (never a traceback) and a non-zero exit code:
    2 for what the user can fix (our errors, files, permissions, hostile input), 70 for an internal error
    (``NASBENCH_EVAL_TRACEBACK=1`` shows its traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("nasbench-eval: interrupted (finished work is saved; rerun to resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 0
    except BaseException as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        if isinstance(exc, SystemExit):
            raise
        if os.environ.get("NASBENCH_EVAL_TRACEBACK") and not isinstance(exc, NasbenchEvalError):
            raise
        code, line = describe_error(exc)
        print(f"nasbench-eval: error: {line}", file=sys.stderr)
        return code


def describe_error(exc: BaseException) -> tuple[int, str]:
    """``(exit code, one line)`` for an exception that reached the command line."""
    if isinstance(exc, NasbenchEvalError):
        return 2, _one_line(str(exc))
    from ..extras import missing_extra_message  # torch / ray / optuna absent: name the extra that installs it

    if (extra := missing_extra_message(exc)) is not None:
        return 2, extra
    if isinstance(exc, OSError):
        where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        why = _OS_WHY.get(exc.errno, exc.strerror or type(exc).__name__)
        return 2, _one_line(f"{where}: {why}" if where else f"{why} ({exc})")
    if isinstance(exc, UnicodeError):
        return 2, _one_line(f"a file or value is not valid UTF-8 text ({exc})")
    if isinstance(exc, RecursionError):
        return 2, "input is nested too deeply to be read (recursion limit); refusing it"
    if isinstance(exc, (OverflowError, MemoryError)):
        return 2, _one_line(f"input asks for a number or size too large to handle ({type(exc).__name__}: {exc})")
    return 70, _one_line(f"internal error {type(exc).__name__}: {exc} (please report it; set "
                         "NASBENCH_EVAL_TRACEBACK=1 to see where)")


_OS_WHY = {errno.ENOENT: "no such file or folder", errno.ENOTDIR: "a path component is not a folder",
           errno.EISDIR: "is a folder, a file was expected", errno.EACCES: "permission denied",
           errno.EPERM: "operation not permitted", errno.EROFS: "read-only file system",
           errno.ENOSPC: "no space left on device", errno.ENOTEMPTY: "folder not empty",
           errno.EEXIST: "already exists", errno.ELOOP: "too many levels of symbolic links",
           errno.ENAMETOOLONG: "file name too long"}


def _one_line(text: str, limit: int = 2000) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit] + " ..."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
