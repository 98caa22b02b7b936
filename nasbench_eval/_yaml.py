"""The one YAML reader for everything we load (experiment specs, reproductions, Beta-VAE configs, ``--param``).

``yaml.SafeLoader`` (no Python objects) plus three refusals, each a :class:`ConfigError` naming the file:

- a key given twice in one mapping (plain PyYAML silently keeps the last one);
- a document whose aliases (``*name``) would expand to more than :data:`MAX_NODES` values, or that uses more
  than :data:`MAX_ALIASES` aliases: a 1 KB "billion laughs" document expands to gigabytes as soon as it is
  walked, hashed or printed;
- nesting deeper than :data:`MAX_DEPTH` or a document larger than :data:`MAX_BYTES`.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ConfigError

MAX_ALIASES = 1000
MAX_NODES = 200_000
MAX_DEPTH = 50
MAX_BYTES = 5_000_000


class _Loader(yaml.SafeLoader):
    def __init__(self, stream, where: str):
        super().__init__(stream)
        self.where = where
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ConfigError(f"{self.where}: more than {MAX_ALIASES} YAML aliases (*name); refusing a document "
                                  "that may expand without bound")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConfigError(f"{self.where}: YAML nested deeper than {MAX_DEPTH} levels; refusing it")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if dup:
                    raise ConfigError(f"{self.where}: key {key!r} is given twice (line {key_node.start_mark.line + 1})"
                                      "; remove one of them")
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node, memo: dict) -> int:
    """How many values ``node`` stands for once every alias is copied out (memoised: never expands anything)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a cycle (not possible in YAML 1.1 composition, but cheap to guard) counts once
        if isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(c, memo) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    return memo[key]


def load_yaml(text: str | bytes, where: str = "YAML") -> object:
    """Parse one YAML document with the refusals above; syntax errors become one-line :class:`ConfigError`."""
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{where}: larger than {MAX_BYTES:,} bytes; refusing it")
    loader = _Loader(text, where)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        n = _expanded_size(node, {})
        if n > MAX_NODES:
            raise ConfigError(f"{where}: its aliases expand to {n:,} values (more than {MAX_NODES:,}); refusing it")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{where}: YAML nested too deeply; refusing it") from None
    finally:
        loader.dispose()


def read_yaml(path) -> object:
    """:func:`load_yaml` of a file, with unreadable / non-UTF-8 files as one-line :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return load_yaml(text, str(path))
