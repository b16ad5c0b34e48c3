"""The values tieng gives back: :class:`Word`, :class:`Segmented`, :class:`Span`, and the
underscore format (:func:`escape_token`, :func:`parse_segmented`).

The ground floor: this module imports nothing of tieng, so every other module (and every
user's code) can hold these types without loading a model, a tagger or the compiled helpers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Segmented", "Span", "Word", "escape_token", "parse_segmented", "styled_text"]


class Span(NamedTuple):
    """A slice of the original text: ``text == original[start:end]``."""

    text: str
    start: int
    end: int


class Word(NamedTuple):
    """A word: its text exactly as written, its offsets in the text, and (when asked for)
    the probability that it is exactly right and its part of speech.

    ``text == source[start:end]``.  ``confidence`` is ``None`` unless the segmenter was
    asked for it (``confidence=True``); then it is the model's probability that the text has
    a word boundary just before ``start`` and just after ``end`` and none in between (1.0
    where a user dictionary or the tokenizer decided), calibrated on held-out training data:
    of the words given 0.9, about nine in ten are right.  ``tag`` is ``None`` unless tags
    were asked for (``tags=True``); then it is the word's part of speech, a VLSP 2013 tag
    (``N`` noun, ``Np`` proper noun, ``V`` verb, ``A`` adjective, ``CH`` punctuation, ...;
    :func:`tieng.upos` gives the Universal POS tag).  ``head`` and ``deprel`` are ``None``
    unless a parse was asked for (``parse=True``); then ``head`` is the position of the
    word's head in its sentence (1 for its first word; 0 for the sentence's root) and
    ``deprel`` the relation, as the UD Vietnamese-VTB treebank writes it (``nsubj``,
    ``obj``, ``compound:vmod``, ...); with ``confidence=True`` too, ``arc_confidence`` is
    the parser's probability that the head and the relation are both right.

    >>> Word("Hà Nội", 0, 6)
    Word(text='Hà Nội', start=0, end=6, confidence=None, tag=None, head=None, deprel=None, \
arc_confidence=None)
    """

    text: str
    start: int
    end: int
    confidence: float | None = None
    tag: str | None = None
    head: int | None = None
    deprel: str | None = None
    arc_confidence: float | None = None


@dataclass(eq=True)
class Segmented:
    """One text segmented: the underscore format, the words, and the sentences if asked for.

    ``text`` is the text in the VLSP format: words separated by spaces, the syllables of a
    word joined by ``_`` (an ``_`` or ``\\`` of the input escaped with ``\\``, see
    :func:`tieng.parse_segmented`); each line of the input gives one line, with its line
    ending kept.  ``words`` are :class:`Word` objects with offsets into the input.
    ``sentences`` is ``None`` unless the segmenter was asked for them (``sentences=True``);
    then it holds the same words, grouped by sentence, and ``text`` has each sentence on a
    line of its own.  ``tagged`` is ``None`` unless tags were asked for (``tags=True``);
    then it is ``text`` with each word followed by ``/`` and its tag, the format of the VLSP
    2013 POS corpus.  ``restored`` is ``None`` unless it was asked for (``restore=True``);
    then it is the text with the diacritics it was typed without restored (the same length and
    offsets: the words still point at the text as written).  ``model`` names the bundled
    model that read the text when the default segmenter chose it (``"vlsp2013"``, or
    ``"vlsp2013-unaccented"`` for text typed without diacritics, whose tags are read from
    the text restored); ``None`` with a model given by the caller.  Iterating over the result, or
    taking its ``len``, goes over its words.

    >>> from tieng import Segmenter
    >>> doc = Segmenter()("Hà Nội mưa to.")
    >>> doc.text
    'Hà_Nội mưa to .'
    >>> [w.text for w in doc]
    ['Hà Nội', 'mưa', 'to', '.']
    """

    text: str
    words: list[Word]
    sentences: list[list[Word]] | None = None
    tagged: str | None = None
    model: str | None = field(default=None, compare=False)
    restored: str | None = None

    def __iter__(self) -> Iterator[Word]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)


def escape_token(token: str) -> str:
    r"""A token as written in the underscore format: "\" and "_" get a backslash before them.

    "_" joins the syllables of a word, so an underscore that was in the input must be told
    apart; :func:`tieng.parse_segmented` undoes this.

    >>> print(escape_token("snake_case"), escape_token("a\\b"), escape_token("Hà"))
    snake\_case a\\b Hà
    """
    if "_" not in token and "\\" not in token:
        return token
    return token.replace("\\", "\\\\").replace("_", "\\_")


_ESCAPED = re.compile(r"\\([_\\])")  # an escaped "_" or "\\" of the underscore format


def styled_text(text: str, *, escape: bool = True, nfc: bool = False) -> str:
    r"""Underscore text as PhoBERT-style inputs want it: with ``escape=False`` the escapes
    undone (a token's own ``_`` and ``\`` as they are: no longer reversible), with
    ``nfc=True`` in Unicode NFC; ``None`` passes through.

    >>> styled_text("Gửi bao\_cao.docx", escape=False)
    'Gửi bao_cao.docx'
    """
    if text is None:
        return text
    if not escape:
        text = _ESCAPED.sub(r"\1", text)
    return unicodedata.normalize("NFC", text) if nfc else text


def parse_segmented(line: str) -> list[list[str]]:
    r"""Words of a line in the underscore format, each a list of its tokens (escapes undone).

    The inverse of the text output.

    >>> from tieng import segment_text
    >>> print(segment_text("Hà Nội có biến my_var"))
    Hà_Nội có biến my\_var
    >>> parse_segmented("Hà_Nội có biến my\\_var a \\_ b")
    [['Hà', 'Nội'], ['có'], ['biến'], ['my_var'], ['a'], ['_'], ['b']]
    """
    words: list[list[str]] = []
    for chunk in line.split():
        if "\\" not in chunk:
            words.append(chunk.split("_"))
            continue
        parts: list[str] = []
        cur: list[str] = []
        i = 0
        while i < len(chunk):
            c = chunk[i]
            if c == "\\" and i + 1 < len(chunk):
                cur.append(chunk[i + 1])
                i += 2
                continue
            if c == "_":
                parts.append("".join(cur))
                cur = []
            else:
                cur.append(c)
            i += 1
        parts.append("".join(cur))
        words.append(parts)
    return words
