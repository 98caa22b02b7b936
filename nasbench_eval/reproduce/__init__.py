"""Reproductions of the papers' comparison tables: spec + reported numbers + protocol notes -> side-by-side report."""
from .catalogue import list_reproductions, load_reproduction
from .compare import comparison_table
from .run import reproduce

__all__ = ["comparison_table", "list_reproductions", "load_reproduction", "reproduce"]
