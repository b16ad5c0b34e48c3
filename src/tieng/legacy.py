"""The names of the API before 0.2, kept for one release: each warns and names its
replacement, and gives what it gave (word strings, :class:`~tieng.Span` lists, ...).

They are written on the public API alone (a call and :meth:`~tieng.Segmenter.pipe`), so
they cannot drift from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .values import Segmented, Span, Word

__all__ = ["DeprecatedNames", "deprecated"]

_BATCH = 1024


def deprecated(old: str, new: str) -> None:
    """Warn that ``old`` is deprecated, naming ``new``, at the caller's caller's line."""
    warnings.warn(
        f"{old} is deprecated and will be removed in tieng 0.3; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


def spans(words: list[Word]) -> list[Span]:
    """Words as the :class:`~tieng.Span` objects the old names gave."""
    return [Span(w.text, w.start, w.end) for w in words]


class DeprecatedNames:
    """The old methods of :class:`~tieng.Segmenter`."""

    if TYPE_CHECKING:  # what they use of the segmenter: its call and its pipe

        def __call__(
            self,
            text: str,
            *,
            sentences: bool = False,
            confidence: bool = False,
            tags: bool = False,
        ) -> Segmented: ...

        def pipe(
            self,
            texts: Iterable[str],
            *,
            batch_size: int = _BATCH,
            n_process: int = 1,
            sentences: bool = False,
            confidence: bool = False,
            tags: bool = False,
        ) -> Iterator[Segmented]: ...

    def segment(self, text: str) -> list[str]:
        """Deprecated: ``[w.text for w in segmenter(text)]``."""
        deprecated("Segmenter.segment(text)", "[w.text for w in segmenter(text)]")
        return [w.text for w in self(text).words]

    def segment_spans(self, text: str) -> list[Span]:
        """Deprecated: ``segmenter(text).words``."""
        deprecated("Segmenter.segment_spans(text)", "segmenter(text).words")
        return spans(self(text).words)

    def segment_scored(self, text: str) -> list[Word]:
        """Deprecated: ``segmenter(text, confidence=True).words``."""
        deprecated("Segmenter.segment_scored(text)", "segmenter(text, confidence=True).words")
        return self(text, confidence=True).words

    def segment_sentences(self, text: str) -> list[list[Span]]:
        """Deprecated: ``segmenter(text, sentences=True).sentences``."""
        deprecated("Segmenter.segment_sentences(text)", "segmenter(text, sentences=True).sentences")
        return [spans(s) for s in self(text, sentences=True).sentences or []]

    def pipe_spans(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[Span]]:
        """Deprecated: ``(doc.words for doc in segmenter.pipe(texts))``."""
        deprecated("Segmenter.pipe_spans()", "(doc.words for doc in segmenter.pipe(texts))")
        docs = self.pipe(texts, batch_size=batch_size, n_process=n_process)
        return (spans(d.words) for d in docs)

    def pipe_scored(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[Word]]:
        """Deprecated: ``segmenter.pipe(texts, confidence=True)``."""
        deprecated("Segmenter.pipe_scored()", "segmenter.pipe(texts, confidence=True)")
        docs = self.pipe(texts, batch_size=batch_size, n_process=n_process, confidence=True)
        return (d.words for d in docs)

    def pipe_sentences(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[list[Span]]]:
        """Deprecated: ``segmenter.pipe(texts, sentences=True)``."""
        deprecated("Segmenter.pipe_sentences()", "segmenter.pipe(texts, sentences=True)")
        docs = self.pipe(texts, batch_size=batch_size, n_process=n_process, sentences=True)
        return ([spans(s) for s in d.sentences or []] for d in docs)

    def pipe_results(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[Segmented]:
        """Deprecated: ``segmenter.pipe(texts)``, whose results have ``.text`` and ``.words``."""
        deprecated("Segmenter.pipe_results()", "segmenter.pipe(texts)")
        return self.pipe(texts, batch_size=batch_size, n_process=n_process)

    def pipe_scored_results(
        self, texts: Iterable[str], batch_size: int = _BATCH
    ) -> Iterator[Segmented]:
        """Deprecated: ``segmenter.pipe(texts, confidence=True)``."""
        deprecated("Segmenter.pipe_scored_results()", "segmenter.pipe(texts, confidence=True)")
        return self.pipe(texts, batch_size=batch_size, confidence=True)

    def pipe_scored_sentences(
        self, texts: Iterable[str], batch_size: int = _BATCH
    ) -> Iterator[list[list[Word]]]:
        """Deprecated: ``segmenter.pipe(texts, sentences=True, confidence=True)``."""
        deprecated(
            "Segmenter.pipe_scored_sentences()",
            "segmenter.pipe(texts, sentences=True, confidence=True)",
        )
        docs = self.pipe(texts, batch_size=batch_size, sentences=True, confidence=True)
        return (d.sentences or [] for d in docs)
