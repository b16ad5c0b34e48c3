"""How segmentation's results (:class:`~tieng.Segmented`, :class:`~tieng.Word`) are built.

A :class:`Batch` holds many texts analysed at once: their tokens (as offsets), the model's
join decisions and scores, and the sentence starts when they were asked for.  The functions
here turn a batch into results: the underscore text of each text, its words with offsets,
their confidences, its sentences.  They work on whole batches with numpy (and the compiled
writer when it is built), so the cost per text stays small.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .. import _accel
from ..calibration import Calibration
from ..stages import Layer, Stage, annotate
from ..tokenization import LINE_BREAKS, SPACE_CHARS
from ..values import Segmented, Word

__all__ = [
    "Batch",
    "layers_of",
    "results_of",
    "texts_of",
]

WINDOW_CHARS = 20_000  # characters: longer lines are analysed in windows of about this size
CUTS = (". ", "? ", "! ", "… ", "; ", ", ", " ")  # where a window may end, best first
_HAS_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]").search


@dataclass
class Batch:
    """Texts analysed together, with their tokens' offsets and the model's decisions.

    The texts are joined into ``big`` (by " \\n ", which keeps them apart for the
    tokenizer); ``gstarts`` and ``gends`` locate each token in ``big``, ``starts`` in its
    own text.  Tokens of text ``k`` are ``doc_bounds[k]`` to ``doc_bounds[k + 1]``.
    """

    texts: list[str]
    big: str
    gstarts: np.ndarray  # int64: where each token starts in ``big``
    gends: np.ndarray  # int64: and where it ends
    starts: np.ndarray  # int64: where each token starts in its own text
    doc_bounds: np.ndarray  # int64, len(texts) + 1
    joins: np.ndarray  # bool: token i and i + 1 are one word
    scores: np.ndarray  # float32: the model's join score of each gap (-inf: certain)
    sent_starts: np.ndarray | None = None  # bool: a sentence starts here (when asked for)
    fixed: np.ndarray | None = None  # bool: gaps a user dictionary decided
    tokens: list[str] | None = None  # the tokens' strings, when the analysis needed them
    _spans: _Spans | None = None  # where the words are (made on first use)
    view: str | None = None  # what the stages read instead of ``big`` (its marks restored)

    def token_strings(self) -> list[str]:
        if self.tokens is None:
            big = self.big
            self.tokens = [big[a:b] for a, b in zip(self.gstarts.tolist(), self.gends.tolist())]
        return self.tokens

    def word_spans(self) -> _Spans:
        """Where the words of the batch are, as token indices (see :func:`_word_spans`)."""
        if self._spans is None:
            self._spans = _word_spans(self)
        return self._spans


def texts_of(batch: Batch, sentence_lines: bool = False, tags: Layer | None = None) -> list[str]:
    """The underscore format of each text of the batch (one sentence a line with
    ``sentence_lines``, when the batch has its sentences); with ``tags`` (the tagging stage's
    layer) each word followed by ``/`` and its tag."""
    n = len(batch.starts)
    b = batch.doc_bounds
    if n == 0:
        return [""] * len(batch.texts)
    # Separator after each token: 0 " ", 1 "_", 2 "\n" (sentence end), 3 end of text.
    # "\x1f" is white space to the tokenizer, so no token holds it.
    kind = batch.joins.astype(np.int8)
    if sentence_lines and batch.sent_starts is not None:
        kind[:-1][batch.sent_starts[1:]] = 2
    nonempty = b[1:] > b[:-1]
    kind[b[1:][nonempty] - 1] = 3
    if tags is None:
        return _accel.kernels.write_segmented(batch.big, batch.gstarts, batch.gends, kind, b)
    labels, values = list(tags.labels), tags.values.astype(np.uint8)
    return _accel.kernels.write_segmented(
        batch.big, batch.gstarts, batch.gends, kind, b, labels, values
    )


class _Spans(NamedTuple):
    heads: np.ndarray  # each word's first token
    lasts: np.ndarray  # each word's last token
    per_text: np.ndarray  # index of each text's first word (and one past the last)


def _word_spans(batch: Batch) -> _Spans:
    """Where the words of a batch are, as token indices.  A word is a run of tokens joined
    one to the next, never across two texts."""
    n = len(batch.starts)
    b = batch.doc_bounds
    first = np.ones(n, dtype=bool)  # a word starts at this token
    if n > 1:
        first[1:] = ~batch.joins[:-1]
    first[b[:-1][b[:-1] < n]] = True
    last = np.ones(n, dtype=bool)  # a word ends at this token
    last[:-1] = first[1:]
    heads = np.flatnonzero(first)
    return _Spans(heads, np.flatnonzero(last), np.searchsorted(heads, b))


class _Bounds(NamedTuple):
    starts: np.ndarray  # where each word of the batch starts in its own text (int64)
    ends: np.ndarray  # and where it ends
    per_text: list[int]  # index of each text's first word (and one past the last)
    heads: np.ndarray  # each word's first token
    big_starts: np.ndarray  # where each word starts in the batch's joined text
    big_ends: np.ndarray


def _word_bounds(batch: Batch, spans: _Spans) -> _Bounds:
    """The words' offsets (what :class:`Word` objects are made of)."""
    heads, lasts, per_text = spans
    ends = batch.starts[lasts] + (batch.gends[lasts] - batch.gstarts[lasts])
    return _Bounds(
        np.ascontiguousarray(batch.starts[heads], np.int64),
        np.ascontiguousarray(ends, np.int64),
        per_text.tolist(),
        heads,
        np.ascontiguousarray(batch.gstarts[heads], np.int64),
        np.ascontiguousarray(batch.gends[lasts], np.int64),
    )


def _words_of(
    big: str, bounds: _Bounds, conf: list[float] | None, tags: list[str] | None
) -> list[Word]:
    """Every word of a batch at once: its text is the same slice of the joined texts as of
    its own text."""
    return _accel.kernels.make_words(
        Word, big, bounds.big_starts, bounds.big_ends, bounds.starts, bounds.ends, conf, tags
    )


def confidences(batch: Batch, calibration: Calibration | None) -> list[float]:
    """Confidence of every word of the batch, in order.

    A word is right when the decisions at the gap before it, the gaps inside it and the gap
    after it are; the model takes them as independent, so the confidence is the product of
    their calibrated probabilities.  Each word's sum is taken over its own gaps only, so it
    does not depend on what else is in the batch.  With a word-level map in the calibration
    the product goes through it.  A word all of whose gaps are certain keeps confidence 1.
    """
    n = len(batch.starts)
    if n == 0:
        return []
    cal = calibration or Calibration()
    z = batch.scores.astype(np.float64) * cal.scale + cal.shift
    with np.errstate(over="ignore", invalid="ignore"):  # (nan from a crafted model's weights)
        # log sigmoid(z) for a join, log sigmoid(-z) for a boundary; -inf scores give 0.
        logp = -np.logaddexp(0.0, -np.where(batch.joins, z, -z))
    if batch.fixed is not None:
        logp[batch.fixed] = 0.0
    first = np.ones(n, dtype=bool)
    first[1:] = ~batch.joins[:-1]
    first[batch.doc_bounds[:-1][batch.doc_bounds[:-1] < n]] = True
    starts = np.flatnonzero(first)
    total = np.add.reduceat(logp, starts)  # the gaps inside each word and the one after
    before = np.zeros(len(starts))
    inner = starts > 0
    before[inner] = logp[starts[inner] - 1]  # 0 at a text's start: that gap is certain
    logc = total + before
    if cal.word_scale is None:
        return np.exp(logc).tolist()
    with np.errstate(divide="ignore", over="ignore"):
        logit = logc - np.log(-np.expm1(logc))  # +inf where the word is certain
        word_z = cal.word_scale * logit + cal.word_shift
        # (nan stays nan: a crafted model's weights give no confidence, not a certain one)
        conf = np.where(logc < 0.0, 1.0 / (1.0 + np.exp(-word_z)), np.where(logc >= 0.0, 1.0, logc))
    return conf.tolist()


def results_of(
    batch: Batch,
    *,
    sentences: bool = False,
    calibration: Calibration | None = None,
    confidence: bool = False,
    layers: dict[str, Layer] | None = None,
) -> list[Segmented]:
    """A :class:`Segmented` for each text of the batch, with the fields of the stages' ``layers``
    (see :func:`layers_of`)."""
    texts = texts_of(batch, sentence_lines=sentences)
    bounds = _word_bounds(batch, batch.word_spans())
    wb, heads = bounds.per_text, bounds.heads
    conf = confidences(batch, calibration) if confidence else None
    tags: list[str] | None = None
    tagged: list[str | None] = [None] * len(batch.texts)
    layer = (layers or {}).get("tags")
    if layer is not None:
        tags = layer.names()
        tagged = list(texts_of(batch, sentences, layer))
    every = _words_of(batch.big, bounds, conf, tags)
    tree = (layers or {}).get("parse")
    if tree is not None and tree.heads is not None:
        rels = tree.names()
        to = tree.heads.tolist()  # (each word's head in its sentence)
        if confidence and tree.confidence is not None:
            sure = tree.confidence.tolist()
            every = [
                w._replace(head=h, deprel=r, arc_confidence=c)
                for w, h, r, c in zip(every, to, rels, sure)
            ]
        else:
            every = [w._replace(head=h, deprel=r) for w, h, r in zip(every, to, rels)]
    out: list[Segmented] = []
    cuts: list[int] = []
    if sentences and batch.sent_starts is not None:
        cuts = np.flatnonzero(batch.sent_starts[heads]).tolist()  # words that begin one
    at = 0
    for k in range(len(batch.texts)):
        first, stop = wb[k], wb[k + 1]
        words = every[first:stop]
        grouped: list[list[Word]] | None = None
        if sentences:
            grouped = []
            while at < len(cuts) and cuts[at] <= first:
                at += 1
            prev = first
            while at < len(cuts) and cuts[at] < stop:
                grouped.append(words[prev - first : cuts[at] - first])
                prev = cuts[at]
                at += 1
            if stop > prev:
                grouped.append(words[prev - first :])
        out.append(Segmented(texts[k], words, grouped, tagged[k]))
    return out


def layers_of(batch: Batch, stages: list[Stage]) -> dict[str, Layer]:
    """What ``stages`` add to the words of the batch, sentence by sentence (the batch's
    sentences when it has them, else each text, that is each line, as one)."""
    if not stages:
        return {}
    heads, lasts, per_text = batch.word_spans()
    cuts = np.zeros(len(heads) + 1, dtype=bool)
    cuts[per_text] = True
    if batch.sent_starts is not None and len(heads):
        cuts[:-1] |= batch.sent_starts[heads]
    text = batch.big if batch.view is None else batch.view
    return annotate(stages, text, batch.gstarts[heads], batch.gends[lasts], np.flatnonzero(cuts))


def shifted(words: list[Word], offset: int) -> list[Word]:
    """``words`` with ``offset`` added to their offsets."""
    if not offset:
        return words
    return [w._replace(start=w.start + offset, end=w.end + offset) for w in words]


# ------------------------------------------------------------------ pieces of a text
def text_pieces(texts: Iterable[str], meta: deque[tuple[int, str | None, bool]]) -> Iterator[str]:
    """The pieces each text is analysed in: the whole text, or its lines and the windows of
    long lines.  For each piece ``meta`` gets its offset in the text, the line ending that
    follows it (``None`` inside a line or for a whole text) and whether it is the text's
    last."""
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"expected str, not {type(t).__name__}")
        if len(t) <= WINDOW_CHARS and not _HAS_LINE_BREAK(t):
            meta.append((0, None, True))
            yield t
            continue
        lines = t.splitlines(keepends=True)
        off = 0
        before = ""  # the line ending before this line
        for j, line in enumerate(lines):
            body = line.rstrip(LINE_BREAKS)
            ending = line[len(body) :]
            last_line = j == len(lines) - 1
            if before == "\r" and body and SPACE_CHARS.issuperset(body):
                # A line of white space after a lone CR gives no words; written as nothing,
                # its CR and the LF after it (or the one a caller adds) would read as one
                # CRLF, and two line ends as one.  It is written as one space.
                meta.append((off, " " + ending, last_line))
                yield ""
            else:
                for w_off, piece, w_last in windows(body):
                    meta.append((off + w_off, ending if w_last else None, last_line and w_last))
                    yield piece
            off += len(line)
            before = ending


def windows(text: str) -> Iterator[tuple[int, str, bool]]:
    """``(offset, piece, is_last)`` windows of a long line, cut at white space after a
    sentence end where possible, else at any space, else anywhere."""
    pos, n = 0, len(text)
    while n - pos > WINDOW_CHARS:
        end = pos + WINDOW_CHARS
        cut = -1
        for mark in CUTS:
            i = text.rfind(mark, pos + WINDOW_CHARS // 2, end)
            if i >= 0:
                cut = i + len(mark) - 1
                break
        if cut <= pos:
            cut = end
        yield pos, text[pos:cut], False
        pos = cut
    yield pos, text[pos:], True


def merge_pieces(parts: list[tuple[int, str | None, Any]], sep: str, text_only: bool) -> Any:
    """One text's result from those of its pieces: lines joined with their endings, the
    windows of a line by ``sep``."""
    text = _joined([(e, res if text_only else res.text) for _, e, res in parts], sep)
    if text_only:
        return text
    first = parts[0][2]
    tagged = None
    if first.tagged is not None:
        tagged = _joined([(e, res.tagged) for _, e, res in parts], sep)
    if first.sentences is None:
        words = [w for off, _, res in parts for w in shifted(res.words, off)]
        return Segmented(text, words, None, tagged)
    # The words are the sentences' words: shifted once.
    sentences = [shifted(s, off) for off, _, res in parts for s in res.sentences]
    return Segmented(text, [w for s in sentences for w in s], sentences, tagged)


def _joined(pieces: list[tuple[str | None, str]], sep: str) -> str:
    """The pieces' texts put back together: lines with their endings, windows by ``sep``."""
    out: list[str] = []
    line: list[str] = []
    for ending, piece in pieces:
        if piece:
            line.append(piece)
        if ending is not None:
            out += (sep.join(line), ending)
            line = []
    out.append(sep.join(line))
    return "".join(out)
