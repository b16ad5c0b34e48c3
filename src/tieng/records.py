"""Records: how lines of input are decoded and parsed, and how results are formatted
(underscore text, JSON lines, CoNLL-U).  Used by ``tieng segment`` (:mod:`tieng.corpus`)
and the other commands of the CLI."""

from __future__ import annotations

import json
import re
from typing import Any

from ._accel import speedups as _speedups
from .tagging import upos
from .values import Segmented, Word, parse_segmented

__all__ = [
    "BOM",
    "conllu",
    "count_syllables",
    "decode",
    "decode_text_chunk",
    "parse_jsonl",
    "split_line_end",
    "words_json",
]

BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(r"\S+")


def decode(body: bytes, offset: int, errors: str = "strict") -> tuple[str, str | None]:
    """A line's bytes as text, and ``None``, or (when they are not UTF-8 and ``errors`` is
    "strict") the text decoded with replacement characters and what is wrong, naming the byte
    by its ``offset`` in the file.

    >>> decode("Hà Nội".encode(), 0)
    ('Hà Nội', None)
    >>> decode(b"ab\\xff", 10)[1]
    "invalid UTF-8 at byte 12 of the file (b'\\\\xff')"
    """
    try:
        return body.decode("utf-8", errors), None
    except UnicodeDecodeError as e:
        bad = body[e.start : e.start + 4]
        return body.decode("utf-8", "replace"), (
            f"invalid UTF-8 at byte {offset + e.start} of the file ({bad!r})"
        )


def parse_jsonl(line: str, field: str) -> tuple[dict | None, str, str | None]:
    """A JSON-lines record: the object, the text under ``field``, and what is wrong (None
    when nothing is).

    >>> parse_jsonl('{"text": "Hà Nội", "id": 1}', "text")
    ({'text': 'Hà Nội', 'id': 1}, 'Hà Nội', None)
    >>> parse_jsonl('[1]', "text")[2]
    'expected a JSON object, got an array'
    """
    if not line.strip():
        return None, "", "empty line (expected a JSON object)"
    try:
        obj = json.loads(line, parse_constant=_not_json)
    except ValueError as e:
        return None, "", f"invalid JSON ({e})"
    except RecursionError:
        return None, "", "invalid JSON (nested too deeply)"
    if not isinstance(obj, dict):
        return None, "", f"expected a JSON object, got {_json_type(obj)}"
    if field not in obj:
        return None, "", f"no field {field!r}"
    if not isinstance(obj[field], str):
        return None, "", f"field {field!r} is {_json_type(obj[field])}, not a string"
    return obj, obj[field], None


def _not_json(name: str) -> Any:
    """NaN, Infinity and -Infinity: Python's json reads them, JSON has none; a record that
    holds one is refused rather than echoed into output that is no longer JSON."""
    raise ValueError(f"{name} is not a JSON value")


def _json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words (``null``, not ``NoneType``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else "a string"


def split_line_end(raw: bytes) -> tuple[bytes, bytes]:
    if raw.endswith(b"\r\n"):
        return raw[:-2], b"\r\n"
    if raw.endswith(b"\n"):
        return raw[:-1], b"\n"
    return raw, b""


def words_json(doc: Segmented, confidence: bool = False) -> dict[str, Any]:
    """The JSONL fields of one result: words, offsets, confidences if asked for, and the
    sentences (each as the index of its first word and one past its last) if asked for."""
    words = doc.words
    out: dict[str, Any] = {
        "words": [w.text for w in words],
        "offsets": [[w.start, w.end] for w in words],
    }
    if confidence:
        out["confidence"] = [round(w.confidence or 0.0, 4) for w in words]
    if doc.tagged is not None:
        out["tags"] = [w.tag for w in words]
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
    the Universal and VLSP tags when the words are tagged, MISC its offsets in ``text``.
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
            out.append(f"{i}\t{_conllu_safe(form)}\t_\t{pos}\t_\t_\t_\t_\t{misc}")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _conllu_safe(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def decode_text_chunk(data: bytes, first_byte: int) -> tuple[list[str], list[str], int] | None:
    """The lines of a chunk of plain text (``data``, at ``first_byte`` in its file), their
    line ends and the number of syllables (runs of non-space characters) in all, or None if
    the chunk is not UTF-8.

    Gives what decoding line by line gives (a line that is not UTF-8 is left to that slower
    path, which reports it).
    """
    try:
        whole = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if first_byte == 0 and whole.startswith("\ufeff"):
        whole = whole[1:]
    texts = whole.split("\n")
    last = texts.pop()  # after the last "\n": a line without an end, or nothing
    ends = ["\n"] * len(texts)
    if "\r" in whole:
        for k, t in enumerate(texts):
            if t.endswith("\r"):
                texts[k], ends[k] = t[:-1], "\r\n"
    if last:
        texts.append(last)
        ends.append("")
    return texts, ends, count_syllables(whole)


def count_syllables(text: str) -> int:
    """Runs of non-space characters (``len(text.split())``, without the list on huge lines)."""
    if _speedups is not None:
        return _speedups.count_words(text)
    if len(text) < 100_000:
        return len(text.split())
    return sum(1 for _ in _NON_SPACE.finditer(text))
