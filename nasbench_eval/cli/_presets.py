"""``--preset NAME`` / ``--print`` for the live sub-commands (the table: :mod:`nasbench_eval.live.presets`).

:func:`add_preset_arguments` is called at the end of a sub-command's ``register`` (after ``set_defaults(func=...)``).
It adds ``--preset`` and ``--print``, records which flags the user typed, and wraps ``func`` so that the preset's
values are filled in before the command runs -- every value the user did not give explicitly. An explicit flag wins
(stderr says so); a repeatable ``--param`` merges, the user's entries last (so they win). ``--preset NAME --print``
prints the expanded flags with their source and exits, before any required argument is checked.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import ConfigError
from ..live.presets import PRESETS, get_preset, preset_names

EXPLICIT = "explicit_flags"  # namespace attribute: the dests the user set on the command line


def add_preset_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    names = preset_names(command)
    values = {n: _interpret(parser, PRESETS[n].tokens(command), n) for n in names}
    for n in names:  # the tiny form must parse too (it is run by the tests)
        _interpret(parser, PRESETS[n].tiny.get(command, ()), n)
    parser.add_argument("--preset", metavar="NAME", action=_PresetAction, choices=names, command=command,
                        help=f"a paper's configuration ({', '.join(names)}); explicit flags override its values; "
                             "see docs/gpu.md")
    parser.add_argument("--print", dest="print_preset", action=_PrintAction, command=command,
                        help="with --preset: print the flags it expands to and their source, then exit")
    for action in parser._actions:  # argparse has no public accessor for a parser's actions
        if action.dest not in ("help", "preset", "print_preset") and not isinstance(action, _Recording):
            action.__class__ = _recording(type(action))
    func = parser.get_default("func")
    if func is not None:
        parser.set_defaults(func=_Applied(func, command, values))


def describe(name: str, command: str) -> str:
    """What ``--preset NAME --print`` shows: title, the command line, source table, settings, notes, tiny form."""
    p = get_preset(name, command)
    lines = [f"preset {p.name}: {p.title}", "  nasbench-eval " + command + " " + " ".join(p.tokens(command)),
             f"source table: {p.table}", f"settings: {p.settings_source}"]
    lines += [f"note: {n}" for n in p.notes]
    if command in p.tiny:
        lines.append("tiny CPU form (run by the tests): append " + " ".join(p.tiny[command]))
    lines.append("flags given explicitly on the command line override these values")
    return "\n".join(lines)


class _Recording(argparse.Action):
    pass


_CLASSES: dict = {}


def _recording(cls):
    """A subclass of ``cls`` that notes its dest in the namespace whenever the user's command line sets it."""
    if cls not in _CLASSES:
        def __call__(self, parser, namespace, values, option_string=None):
            vars(namespace).setdefault(EXPLICIT, set()).add(self.dest)
            return cls.__call__(self, parser, namespace, values, option_string)

        _CLASSES[cls] = type(f"Recording{cls.__name__}", (_Recording, cls), {"__call__": __call__})
    return _CLASSES[cls]


class _PresetAction(argparse.Action):
    def __init__(self, option_strings, dest, command=None, **kw):
        self.command = command
        super().__init__(option_strings, dest, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        if getattr(namespace, "print_preset", False):
            _print_and_exit(parser, values, self.command)


class _PrintAction(argparse.Action):
    def __init__(self, option_strings, dest, command=None, **kw):
        self.command = command
        super().__init__(option_strings, dest, nargs=0, default=False, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, True)
        if getattr(namespace, "preset", None):
            _print_and_exit(parser, namespace.preset, self.command)


def _print_and_exit(parser, name, command):
    try:
        print(describe(name, command), flush=True)
    except BrokenPipeError:  # piped into head & co.: nothing is left to flush at exit
        sys.stdout = None
    parser.exit(0)


def _interpret(parser, tokens, name) -> dict:
    """``{dest: value}`` of a preset's tokens, converted by the parser's own actions (types, choices, consts)."""
    by_option = {o: a for a in parser._actions for o in a.option_strings}
    out, i = {}, 0
    tokens = list(tokens)
    while i < len(tokens):
        action = by_option.get(tokens[i])
        if action is None:
            raise ConfigError(f"preset {name!r}: {tokens[i]!r} is not an option of `{parser.prog}`")
        if action.nargs == 0:
            out[action.dest] = (not tokens[i].startswith("--no-") if isinstance(action, argparse.BooleanOptionalAction)
                                else action.const)
            i += 1
            continue
        if i + 1 >= len(tokens):
            raise ConfigError(f"preset {name!r}: {tokens[i]} needs a value")
        raw = tokens[i + 1]
        value = action.type(raw) if action.type is not None else raw
        if action.choices is not None and value not in action.choices:
            raise ConfigError(f"preset {name!r}: {tokens[i]} {raw!r} is not one of {list(action.choices)}")
        if isinstance(action, argparse._AppendAction):
            out.setdefault(action.dest, []).append(value)
        else:
            out[action.dest] = value
        i += 2
    return out


class _Applied:
    """The command function, run with the preset's values filled in where the user gave none."""

    def __init__(self, func, command, values):
        self.func, self.command, self.values = func, command, values

    def __call__(self, args):
        if getattr(args, "print_preset", False) and not getattr(args, "preset", None):
            raise ConfigError(f"--print needs --preset NAME; presets of `{self.command}`: "
                              f"{', '.join(preset_names(self.command))}")
        if getattr(args, "preset", None):
            apply(args, self.values[args.preset], args.preset)
        return self.func(args)


def apply(args, values: dict, name: str) -> list[str]:
    """Fill ``values`` into ``args`` except where the user was explicit; returns (and prints) the overrides."""
    explicit = getattr(args, EXPLICIT, set())
    overridden = []
    for dest, value in values.items():
        if isinstance(value, list):  # repeatable (--param): the preset's entries first, the user's after them
            mine = list(getattr(args, dest, None) or [])
            setattr(args, dest, list(value) + mine)
            if dest in explicit:
                overridden.append(f"{dest} {' '.join(map(str, mine))} (added after the preset's)")
        elif dest in explicit:
            if getattr(args, dest) != value:
                overridden.append(f"{dest}={getattr(args, dest)!r} (preset: {value!r})")
        else:
            setattr(args, dest, value)
    if overridden:
        print(f"preset {name}: explicit flags override its values: {'; '.join(sorted(overridden))}", file=sys.stderr)
    args.preset_values = values
    return overridden
