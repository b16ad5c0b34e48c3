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

speedups: ModuleType | None
if os.environ.get("TIENG_PURE_PYTHON", "") not in ("", "0"):
    speedups = None
else:
    try:
        from . import _speedups as speedups
    except ImportError:
        speedups = None
