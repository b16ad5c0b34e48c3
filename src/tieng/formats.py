"""The output formats of results, one writer each: the service's word objects
(:func:`word_objects`, :func:`spans_json`), the JSON lines fields (:func:`words_json`) and
CoNLL-U (:func:`conllu`).  The underscore and tagged texts are made with the results
(:attr:`tieng.Segmented.text`, :attr:`tieng.Segmented.tagged`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from . import _accel
from .tagging import upos
from .values import Segmented, Word, parse_segmented

__all__ = ["conllu", "spans_json", "word_objects", "words_json"]


def spans_json(spans: Iterable[tuple], tags: bool = False) -> bytes:
    """Words or tokens as the JSON array of ``{"text", "start", "end"}`` objects (and
    ``"tag"``, a :class:`Word`'s, with ``tags``), UTF-8 and without spaces (the service's
    answers; the same bytes as ``orjson.dumps`` of the dicts).

    >>> spans_json([Word("Hà Nội", 0, 6)])
    b'[{"text":"H\\xc3\\xa0 N\\xe1\\xbb\\x99i","start":0,"end":6}]'
    """
    return _accel.kernels.spans_json(spans if isinstance(spans, list) else list(spans), tags)


def word_objects(
    words: list, confidence: bool = False, tags: bool = False, parse: bool = False
) -> Any:
    """Words (or tokens) as the service writes them: ``{"text", "start", "end"}`` objects, and
    ``"confidence"`` (rounded to 4 places), ``"tag"``, ``"head"`` and ``"deprel"`` when asked
    for.  Without confidences nor a parse they are JSON bytes already (:func:`spans_json`, as
    an ``orjson.Fragment``), made without a dict for each word."""
    if parse:
        out = [
            {"text": w.text, "start": w.start, "end": w.end, "tag": w.tag, "head": w.head,
             "deprel": w.deprel}
            for w in words
        ]  # fmt: skip
        if confidence:
            for d, w in zip(out, words):
                d["confidence"] = _rounded(w.confidence)
                d["arc_confidence"] = _rounded(w.arc_confidence)
        return out
    if not confidence:
        import orjson  # (the service's dependency)

        return orjson.Fragment(spans_json(words, tags))
    out = [{"text": w.text, "start": w.start, "end": w.end} for w in words]
    for d, w in zip(out, words):
        d["confidence"] = _rounded(w.confidence)
        if tags:
            d["tag"] = w.tag
    return out


def _rounded(confidence: float | None) -> float | None:
    """A confidence as JSON holds it: 4 places, and ``null`` for none or a number JSON has not
    (``nan`` from a crafted model's weights: JSON has no NaN)."""
    if confidence is None or not math.isfinite(confidence):
        return None
    return round(confidence, 4)


def words_json(doc: Segmented, confidence: bool = False) -> dict[str, Any]:
    """The JSONL fields of one result: words, offsets, confidences if asked for, and the
    sentences (each as the index of its first word and one past its last) if asked for."""
    words = doc.words
    out: dict[str, Any] = {
        "words": [w.text for w in words],
        "offsets": [[w.start, w.end] for w in words],
    }
    if confidence:
        out["confidence"] = [_rounded(w.confidence) for w in words]
    if doc.tagged is not None:
        out["tags"] = [w.tag for w in words]
    if words and words[0].head is not None:
        out["heads"] = [w.head for w in words]
        out["deprels"] = [w.deprel for w in words]
        if confidence:
            out["arc_confidence"] = [_rounded(w.arc_confidence) for w in words]
    if doc.restored is not None:
        out["restored"] = doc.restored
    if doc.sentences is not None:
        bounds, at = [], 0
        for sentence in doc.sentences:
            bounds.append([at, at + len(sentence)])
            at += len(sentence)
        out["sentences"] = bounds
    return out


def conllu(
    sentences: list[list[Word]], text: str, source: str, line: int, segmented: bool = False
) -> str:
    """CoNLL-U of the sentences of one text: FORM is the word as written, UPOS and XPOS
    the Universal and VLSP tags when the words are tagged, HEAD and DEPREL when they are
    parsed, MISC its offsets in ``text``.
    With ``segmented`` (words given in the underscore format) FORM is the word with its
    syllables separated by spaces, as in the UD treebanks and from raw text
    (``sinh_viên`` -> ``sinh viên``); the offsets still point at the input."""
    out = []
    for k, words in enumerate(sentences, 1):
        out.append(f"# sent_id = {source}:{line}:{k}")
        first, last = words[0].start, words[-1].end
        out.append(f"# text = {_conllu_safe(text[first:last])}")
        for i, w in enumerate(words, 1):
            misc = f"TokenRange={w.start}:{w.end}"
            nxt = words[i].start if i < len(words) else None
            if nxt == w.end:
                misc = "SpaceAfter=No|" + misc
            pos = f"{upos(w.tag)}\t{w.tag}" if w.tag is not None else "_\t_"
            form = " ".join(parse_segmented(w.text)[0]) if segmented else w.text
            tree = f"{w.head}\t{w.deprel}" if w.head is not None else "_\t_"
            out.append(f"{i}\t{_conllu_safe(form)}\t_\t{pos}\t_\t{tree}\t_\t{misc}")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _conllu_safe(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ")
