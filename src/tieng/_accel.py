"""The one seam between compiled and pure-Python code, chosen once, at import.

:data:`kernels` is the compiled module (``tieng._speedups``) or its pure-Python twin
(:mod:`tieng._pure`, the same names and results); tieng calls ``_accel.kernels.NAME(...)`` and
never asks which.  :data:`speedups` is the compiled module or ``None`` (for ``describe`` and
the tests).  The one job without a twin is the scorer: ``kernels.Scorer`` is ``None`` on the
pure path, where :mod:`tieng.engine.features` scores with numpy, its reference.

The pure-Python code runs when ``tieng`` was built without a C compiler, when the environment
variable ``TIENG_PURE_PYTHON`` is set to anything but ``""`` or ``"0"``, or when the compiled
module is from another version of tieng (a stale build: a warning says so), with the same
output (``tests/test_speedups.py`` checks that they agree).  A test runs the pure path for
everything in ``with _accel.using(None):``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

ABI_VERSION = 10  # what this Python code expects of _speedups.ABI_VERSION

_compiled: ModuleType | None
try:
    from . import _speedups as _compiled
except ImportError:
    _compiled = None


def choose(compiled: ModuleType | None, pure: str) -> ModuleType | None:
    """The module to use: ``compiled`` unless ``pure`` (the value of ``TIENG_PURE_PYTHON``)
    asks for Python, or ``compiled`` is of another ABI version (then with a warning)."""
    if compiled is None or pure not in ("", "0"):
        return None
    found = getattr(compiled, "ABI_VERSION", None)
    if found != ABI_VERSION:
        warnings.warn(
            f"tieng: the compiled helpers ({compiled.__file__}) are from another version of "
            f"tieng (ABI {found}, expected {ABI_VERSION}); running the Python code, which "
            "gives the same output more slowly. Reinstall tieng (pip install .) to rebuild them.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return compiled


speedups: ModuleType | None = choose(_compiled, os.environ.get("TIENG_PURE_PYTHON", ""))


def _kernels(compiled: ModuleType | None) -> ModuleType:
    """``compiled``, or the pure-Python twins (imported only when they are needed)."""
    if compiled is not None:
        return compiled
    from . import _pure

    return _pure


kernels: ModuleType = _kernels(speedups)


@contextmanager
def using(compiled: ModuleType | None) -> Iterator[None]:
    """Run ``compiled`` (the compiled module), or the pure-Python twins (``None``), inside the
    ``with`` block: for tests that compare the two in one process (not thread-safe)."""
    global speedups, kernels
    was = speedups
    speedups, kernels = compiled, _kernels(compiled)
    try:
        yield
    finally:
        speedups, kernels = was, _kernels(was)


def keep_freed_memory() -> bool:
    """Let the C allocator keep freed memory for the next batch; True when it took effect.

    Every batch allocates and frees arrays of a few MB; by default glibc hands such memory back
    to the kernel at once, so the next batch faults fresh pages in (about a tenth of the CLI's
    time).  The setting is process-wide, so only programs that own their process call it:
    the CLI and the server, never the library.  It changes no output, so it does not follow
    ``TIENG_PURE_PYTHON``; it needs the compiled module and glibc, and is a no-op otherwise.
    """
    return bool(
        _compiled is not None
        and getattr(_compiled, "ABI_VERSION", None) == ABI_VERSION
        and _compiled.keep_freed_memory()
    )


def describe() -> str:
    """Which code runs, in a few words (for ``tieng info`` and the CLI's notices)."""
    if speedups is not None:
        return (
            "compiled helpers: one compiled call a text for seg(text) and segment_text, "
            "batches for pipe, pipe_text and the CLI"
        )
    if _compiled is not None and os.environ.get("TIENG_PURE_PYTHON", "") not in ("", "0"):
        why = "TIENG_PURE_PYTHON is set"
    elif _compiled is not None:
        why = "the compiled helpers are from another version of tieng; reinstall it"
    else:
        why = "built without a C compiler; install gcc and the Python headers, then reinstall"
    return f"Python only ({why}): the same output at about half the speed"


def not_built() -> bool:
    """True when tieng runs its Python code because the compiled helpers are missing or
    stale (not because ``TIENG_PURE_PYTHON`` asked for it): worth a notice to the user."""
    return speedups is None and os.environ.get("TIENG_PURE_PYTHON", "") in ("", "0")
