"""Records: how lines of input are decoded and parsed (text, JSON lines, compressed chunks).
Used by ``tieng segment`` (:mod:`tieng.corpus`) and the other commands of the CLI; the output
formats are :mod:`tieng.formats`."""

from __future__ import annotations

import json
import re
from typing import Any

from .. import _accel

__all__ = [
    "BOM",
    "count_line_ends",
    "count_syllables",
    "decode",
    "decode_text_chunk",
    "parse_jsonl",
    "split_line_end",
    "text_lines",
]

BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 64 << 20  # a longer line is an error (memory stays bounded on any input)
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
    r"""A line's body and its line end (``\r\n``, ``\n``, a lone ``\r``, or none)."""
    if raw.endswith(b"\r\n"):
        return raw[:-2], b"\r\n"
    if raw.endswith(b"\n"):
        return raw[:-1], b"\n"
    if raw.endswith(b"\r"):
        return raw[:-1], b"\r"
    return raw, b""


# Text input: a line ends at "\r\n", "\n" or a lone "\r" (old Mac files).  JSON lines end at
# "\n" only, as the format says (a "\r" there is white space).
_TEXT_LINES = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r|$)")
_TEXT_ENDS = re.compile(r"(\r\n|\n|\r)")


def text_lines(data: bytes) -> list[bytes]:
    r"""The lines of text input, each with its line end (the last perhaps without one).

    >>> text_lines(b"a\rb\r\nc\nd")
    [b'a\r', b'b\r\n', b'c\n', b'd']
    """
    return [m for m in _TEXT_LINES.findall(data) if m]


def count_line_ends(data: bytes, cr: bool) -> int:
    r"""The line ends in ``data`` (with ``cr``, a lone ``\r`` counts too)."""
    n = data.count(b"\n")
    return n + data.count(b"\r") - data.count(b"\r\n") if cr else n


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
    if "\r" in whole:  # "\r\n" and lone "\r" line ends too
        parts = _TEXT_ENDS.split(whole)
        texts, ends = parts[0::2], parts[1::2]
        last = texts.pop()
    else:
        texts = whole.split("\n")
        last = texts.pop()  # after the last "\n": a line without an end, or nothing
        ends = ["\n"] * len(texts)
    if last:
        texts.append(last)
        ends.append("")
    return texts, ends, count_syllables(whole)


def count_syllables(text: str) -> int:
    """Runs of non-space characters (``len(text.split())``, without the list on huge lines)."""
    return _accel.kernels.count_words(text)
