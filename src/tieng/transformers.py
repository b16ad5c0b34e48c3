"""Model inputs for PhoBERT and its kin: subword ids, attention masks, ``word_ids`` and the
character offsets of every subword in the raw text, from raw texts.

PhoBERT reads words segmented the VLSP way (``Hà_Nội``), in NFC, cut into subwords by its
BPE (pieces marked ``@@`` when the word goes on); its tokenizer is a slow one, with no
offsets and no ``word_ids``.  :func:`encode` segments the texts, gives each word to the
tokenizer, keeps where every piece came from in the raw text, and cuts a long text into
windows of at most ``max_length`` tokens at sentence ends (``overlap``: sentences repeated
from the window before).

>>> class Chars:  # a stand-in for PhobertTokenizer: one piece a character
...     cls_token_id, sep_token_id = 0, 2
...     def tokenize(self, word):
...         return [c + "@@" for c in word[:-1]] + [word[-1]]
...     def convert_tokens_to_ids(self, pieces):
...         return [5 + len(p) for p in pieces]
>>> (w,) = encode(Chars(), ["Hà  Nội"])
>>> w.words, w.word_ids
(['Hà_Nội'], [None, 0, 0, 0, 0, 0, 0, None])
>>> w.offsets[1:7]
[(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 7)]

Any tokenizer with ``tokenize``, ``convert_tokens_to_ids``, ``cls_token_id`` and
``sep_token_id`` works (Hugging Face's PhobertTokenizer among them); ``transformers`` itself
is not imported.  A piece whose characters cannot be found in its word (another tokenizer's
markers) gets the whole word's span.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .segmentation import Segmenter, default_segmenter
from .values import Word

__all__ = ["Window", "encode"]

_MARKS = ("@@",)  # PhoBERT's (fastBPE's) mark of a piece the word goes on after


@dataclass
class Window:
    """One model input: the ids of a run of whole sentences of one text, between the
    tokenizer's ``cls`` and ``sep`` tokens."""

    text: int  # which of the texts it comes from
    input_ids: list[int] = field(default_factory=list)
    attention_mask: list[int] = field(default_factory=list)
    word_ids: list[int | None] = field(default_factory=list)  # index into words; None: special
    offsets: list[tuple[int, int] | None] = field(default_factory=list)  # in the raw text
    words: list[str] = field(default_factory=list)  # as the model reads them (Hà_Nội)


def _syllables(word: Word, text: str) -> list[tuple[int, int]]:
    """The spans of the syllables (runs of non-space characters) of ``word`` in ``text``."""
    spans, i = [], word.start
    while i < word.end:
        while i < word.end and text[i].isspace():
            i += 1
        j = i
        while j < word.end and not text[j].isspace():
            j += 1
        if j > i:
            spans.append((i, j))
        i = j
    return spans


def _pieces(tokenizer: Any, word: Word, text: str) -> tuple[str, list[str], list[tuple[int, int]]]:
    """The word as the model reads it (syllables joined by ``_``, NFC), its pieces, and each
    piece's span in the raw text."""
    spans = _syllables(word, text)
    parts = [unicodedata.normalize("NFC", text[a:b]) for a, b in spans]
    form = "_".join(parts)
    # Where each character of ``form`` comes from: its own raw character where NFC kept the
    # syllable's length, else the whole syllable; a "_" is the white space it stands for.
    where: list[tuple[int, int]] = []
    for k, ((a, b), part) in enumerate(zip(spans, parts)):
        if k:
            where.append((spans[k - 1][1], a))
        if len(part) == b - a:
            where.extend((a + i, a + i + 1) for i in range(len(part)))
        else:
            where.extend([(a, b)] * len(part))
    pieces = tokenizer.tokenize(form)
    offsets, at = [], 0
    for piece in pieces:
        bare = piece
        for mark in _MARKS:
            if bare.endswith(mark):
                bare = bare[: -len(mark)]
        if bare and form.startswith(bare, at):
            offsets.append((where[at][0], where[at + len(bare) - 1][1]))
            at += len(bare)
        else:  # another tokenizer's marks: the word's span
            offsets.append((word.start, word.end))
    return form, pieces, offsets


def encode(
    tokenizer: Any,
    texts: Iterable[str],
    *,
    max_length: int = 256,
    overlap: int = 0,
    segmenter: Segmenter | None = None,
) -> list[Window]:
    """The model inputs of ``texts``: one or more :class:`Window` a text, in order, each of
    at most ``max_length`` ids, cut at sentence ends (a sentence longer than a window at word
    ends); ``overlap`` sentences of a window start the next one again.

    ``segmenter``: the :class:`tieng.Segmenter` that finds the words and sentences (default:
    the bundled model's).
    """
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3 (two special tokens), not {max_length}")
    if overlap < 0:
        raise ValueError(f"overlap must be 0 or more, not {overlap}")
    seg = segmenter or default_segmenter()
    budget = max_length - 2
    out: list[Window] = []
    for t, text in enumerate(texts):
        doc = seg(text, sentences=True)
        sentences = []  # each a list of (form, pieces, offsets), cut to fit a window
        for sentence in doc.sentences or []:
            words = [_pieces(tokenizer, w, text) for w in sentence]
            run: list[tuple[str, list[str], list[tuple[int, int]]]] = []
            size = 0
            for form, pieces, offsets in words:
                pieces, offsets = pieces[:budget], offsets[:budget]  # (a word past a window)
                if run and size + len(pieces) > budget:
                    sentences.append(run)
                    run, size = [], 0
                run.append((form, pieces, offsets))
                size += len(pieces)
            if run:
                sentences.append(run)
        out.extend(_windows(tokenizer, t, sentences, budget, overlap))
        if not sentences:
            out.extend(_windows(tokenizer, t, [[]], budget, 0))
    return out


def _windows(tokenizer: Any, t: int, sentences: Sequence[list], budget: int, overlap: int):
    """The windows of one text's sentences (each already within ``budget`` pieces)."""
    sizes = [sum(len(p) for _, p, _ in s) for s in sentences]
    start = 0
    while start < len(sentences):
        end, used = start, 0
        while end < len(sentences) and (end == start or used + sizes[end] <= budget):
            used += sizes[end]
            end += 1
        window = Window(t, [tokenizer.cls_token_id], [1], [None], [None], [])
        for sentence in sentences[start:end]:
            for form, pieces, offsets in sentence:
                ids = tokenizer.convert_tokens_to_ids(pieces)
                window.input_ids.extend(ids)
                window.word_ids.extend([len(window.words)] * len(ids))
                window.offsets.extend(offsets)
                window.words.append(form)
        window.input_ids.append(tokenizer.sep_token_id)
        window.word_ids.append(None)
        window.offsets.append(None)
        window.attention_mask = [1] * len(window.input_ids)
        yield window
        if end >= len(sentences):
            break
        start = max(end - overlap, start + 1)
