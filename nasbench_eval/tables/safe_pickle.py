"""A restricted unpickler for data files that should hold only builtin containers and numbers.

``pickle.load`` on an untrusted file runs arbitrary code: a pickle may name any importable callable (``os.system``,
``builtins.eval``, ...) and call it while loading. :class:`RestrictedUnpickler` refuses every such reference
(``find_class`` rejects every global), so the only objects a load can produce are the ones the pickle opcodes
build by themselves: dict, list, tuple, set, str, bytes, int, float, bool and None. Nothing from the file is
called, imported or executed.

Opt-in (``allow_numpy_scalars=True``): numpy scalars (``np.float64(1.5)`` pickles as a call to
``numpy.core.multiarray.scalar(numpy.dtype('f8'), b'...')``) are decoded by our own code into a Python int/float,
and only for numeric dtypes; every other global is still refused.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

from ..errors import NasbenchEvalError


class UnsafePickleError(NasbenchEvalError):
    """The pickle references a global (a class or function) or holds something that is not plain data."""


_NUMPY_SCALAR = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}


def _safe_dtype(spec, align=False, copy=True):
    import numpy as np

    dt = np.dtype(spec)
    if dt.kind not in "biuf":
        raise UnsafePickleError(f"pickle asks for numpy dtype {dt!r}; only bool/int/float scalars are allowed")
    return dt


def _safe_scalar(dtype, data=None):
    import numpy as np

    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        raise UnsafePickleError(f"pickle asks for a numpy scalar of dtype {dtype!r}; only bool/int/float allowed")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise UnsafePickleError("malformed numpy scalar in pickle")
    return np.frombuffer(data, dtype=dtype)[0].item()  # a plain Python number


def _latin1_encode(text, encoding="latin1"):
    # protocol-2 pickles written by Python 3 spell bytes as _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("pickle calls _codecs.encode with unexpected arguments")
    return text.encode("latin1")


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` rejects every global (see the module docstring)."""

    def __init__(self, file, *, allow_numpy_scalars: bool = False, source: str = "pickle"):
        super().__init__(file)
        self.allow_numpy_scalars = allow_numpy_scalars
        self.source = source

    def find_class(self, module: str, name: str):
        if self.allow_numpy_scalars:
            if (module, name) in _NUMPY_SCALAR:
                return _safe_scalar
            if (module, name) == ("numpy", "dtype"):
                return _safe_dtype
            if (module, name) == ("_codecs", "encode"):
                return _latin1_encode
        hint = ("" if self.allow_numpy_scalars or not module.startswith("numpy") else
                " (it holds numpy scalars; pass allow_numpy_scalars=True to decode numeric numpy scalars)")
        raise UnsafePickleError(
            f"refusing to load {self.source}: it references the global {module}.{name}, and this loader accepts "
            f"only builtin containers and numbers (a global in a pickle can run arbitrary code){hint}")

    def persistent_load(self, pid):
        raise UnsafePickleError(f"refusing to load {self.source}: it uses persistent ids, which plain data never has")


MAX_PICKLE_BYTES = 1 << 30  # 1 GiB: the official HW-NAS-Bench pickle is far smaller; nesting is bounded by recursion


def restricted_loads(data: bytes, *, allow_numpy_scalars: bool = False, source: str = "pickle"):
    """Unpickle ``data`` with :class:`RestrictedUnpickler`."""
    return _load(io.BytesIO(data), allow_numpy_scalars, source)


def restricted_load(path: Path | str, *, allow_numpy_scalars: bool = False):
    """Unpickle the file at ``path`` with :class:`RestrictedUnpickler`."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_PICKLE_BYTES:
        raise UnsafePickleError(f"refusing to load {path}: {size:,} bytes is more than any benchmark file we read "
                                f"({MAX_PICKLE_BYTES:,})")
    with open(path, "rb") as fh:
        return _load(io.BytesIO(fh.read()), allow_numpy_scalars, str(path))  # a declared length never over-allocates


def _load(fh, allow_numpy_scalars: bool, source: str):
    try:
        return RestrictedUnpickler(fh, allow_numpy_scalars=allow_numpy_scalars, source=source).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            MemoryError, RecursionError) as exc:
        raise UnsafePickleError(f"cannot read {source} as a pickle ({type(exc).__name__}: {exc})") from None
