"""Corpora from the command line: files, directories and standard input, in chunks, over
worker processes, written whole or not at all (what ``tieng segment`` and ``tieng tag`` run).

- :mod:`~tieng.corpus.runner`: finding the inputs, cutting them into chunks, the workers, the
  outputs (:func:`~tieng.corpus.runner.run`);
- :mod:`~tieng.corpus.records`: decoding lines of text and JSON lines.

An edge of tieng: it uses the library's public API, and the library never imports it.
"""

from .runner import CorpusError, Options, Summary, find_inputs, run

__all__ = ["CorpusError", "Options", "Summary", "find_inputs", "run"]
