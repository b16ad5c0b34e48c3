"""Corpora from the command line: files, directories and standard input, in chunks, over
worker processes, written whole or not at all (what ``tieng segment`` and ``tieng tag`` run).

- :mod:`~tieng.corpus.runner`: finding the inputs, cutting them into chunks, the workers, the
  outputs (:func:`~tieng.corpus.runner.run`);
- :mod:`~tieng.corpus.records`: decoding lines of text and JSON lines.

An edge of tieng: it uses the library's public API, and the library never imports it.  The
names below are loaded on first use, so reading records does not load the runner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import CorpusError, Options, Summary, find_inputs, run

__all__ = ["CorpusError", "Options", "Summary", "find_inputs", "run"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(".runner", __name__), name)
