"""The compiled helpers (``tieng._speedups``), or ``None``.

``None`` when ``tieng`` was built without a C compiler, or when the environment variable
``TIENG_PURE_PYTHON`` is set to anything but ``""`` or ``"0"``; the pure-Python code then runs,
with the same output.  The helpers are twins of loops in :mod:`tieng.features` and
:mod:`tieng.tokenization`, which stay the reference (``tests/test_speedups.py`` checks that they
agree).
"""

from __future__ import annotations

import os
from types import ModuleType

_compiled: ModuleType | None
try:
    from . import _speedups as _compiled
except ImportError:
    _compiled = None

speedups: ModuleType | None = (
    None if os.environ.get("TIENG_PURE_PYTHON", "") not in ("", "0") else _compiled
)


def keep_freed_memory() -> bool:
    """Let the C allocator keep freed memory for the next batch; True when it took effect.

    Every batch allocates and frees arrays of a few MB; by default glibc hands such memory back
    to the kernel at once, so the next batch faults fresh pages in (about a tenth of the CLI's
    time).  The setting is process-wide, so only programs that own their process call it:
    the CLI and the server, never the library.  It changes no output, so it does not follow
    ``TIENG_PURE_PYTHON``; it needs the compiled module and glibc, and is a no-op otherwise.
    """
    return bool(_compiled is not None and _compiled.keep_freed_memory())
