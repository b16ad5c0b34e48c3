"""The stages that run after segmentation, over the words of one batch.

Segmentation decides the words; every later stage reads them and adds one field to each
(tagging its part of speech; parsing, to come, its head and relation).  A stage is an object
with a ``name`` (the option that asks for it and the field it fills), the ``labels`` its
values index, and one method::

    annotate(text, starts, ends, bounds) -> values

``text`` holds the words at ``text[starts[i]:ends[i]]``; ``bounds`` are the indices of the
first word of each sentence, and one past the last word; ``values`` has one small integer a
word, an index into ``labels``.  The same call serves a batch of many texts (their joined
text) and the one-text path, so the glue between segmentation and the stages is written once,
in :func:`annotate`.  Adding a stage is one module that defines it and one line in
:data:`ORDER`.

One stage runs before segmentation and is not of this kind: restoring diacritics
(:mod:`tieng.restoration`, its bundled model registered in :mod:`tieng.registry`) reads the
texts, not the words, and gives the text with its marks back, of the same length.  The
segmenter asks for it where a result wants ``restored`` and where a model of text typed
without diacritics reads a batch: the stages after segmentation then read the restored text
(``Batch.view``) at the same offsets, so their words and tags are those of the marked text.

This module imports nothing of tieng.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

__all__ = ["ORDER", "Layer", "Stage", "annotate"]

# The stages in the order they run (a stage may read the fields of those before it).
ORDER = ("tags", "parse")


class Stage(Protocol):
    """What the pipeline asks of a stage (:class:`tieng.Tagger` is one).  A stage that reads
    the fields of stages before it names them in ``reads`` (the parser reads ``tags``) and gets
    their layers as a keyword argument ``layers``; it may give a :class:`Layer` of its own
    (with ``heads``) instead of the values alone."""

    name: str

    @property
    def labels(self) -> Sequence[str]: ...

    def annotate(
        self, text: str, starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray
    ) -> np.ndarray: ...


class Layer(NamedTuple):
    """What one stage added: a value for each word (an index into ``labels``) and, from the
    parser, each word's head (1-based in its sentence, 0: the root) and its arc's
    confidence."""

    values: np.ndarray
    labels: Sequence[str]
    heads: np.ndarray | None = None
    confidence: np.ndarray | None = None  # the parser's: each arc's probability

    def names(self) -> list[str]:
        """Each word's label."""
        return np.array(self.labels, dtype=object)[self.values].tolist()


def annotate(
    stages: Sequence[Stage], text: str, starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray
) -> dict[str, Layer]:
    """Run ``stages`` in :data:`ORDER` over the words ``text[starts[i]:ends[i]]`` (sentences
    from ``bounds``): each stage's :class:`Layer` by its name.

    >>> from tieng import Tagger
    >>> text = "Hà Nội có nhiều hồ"
    >>> starts, ends = np.array([0, 7, 10, 16]), np.array([6, 9, 15, 18])
    >>> layers = annotate([Tagger()], text, starts, ends, np.array([0, 4]))
    >>> layers["tags"].names()
    ['Np', 'V', 'A', 'N']
    """
    layers: dict[str, Layer] = {}
    # (a stage that reads others' layers takes them as a keyword: the Protocol leaves it out)
    if len(stages) > 1:
        stages = sorted(stages, key=lambda s: ORDER.index(s.name))
    for stage in stages:
        reads = getattr(stage, "reads", ())
        if reads:
            read = {r: layers[r] for r in reads}
            got = stage.annotate(text, starts, ends, bounds, layers=read)  # type: ignore[call-arg]
        else:
            got = stage.annotate(text, starts, ends, bounds)
        layers[stage.name] = got if isinstance(got, Layer) else Layer(got, stage.labels)
    return layers
