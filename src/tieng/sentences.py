"""Sentence splitting on top of the tokenizer.

A sentence ends at ``.``, ``!``, ``?``, an ellipsis or a run of them, together with the
closing quotes and brackets that follow, when the next token starts a sentence (a capital
letter, a digit, an opening quote or bracket, a list bullet).  Abbreviations (``TP.``,
``GS.``) are single tokens and never end a sentence; a list number (``1.``, ``a)``) at the
start of a sentence does not end it; an ellipsis ends a sentence only before a capital.
A line break always ends a sentence.

Photo credits and bylines glued to the next sentence by page scraping
(``… Ảnh: Ngọc Thành Ngày 5/3, đoàn công tác …``) are cut before the word that starts the
next sentence, so the segmenter never fuses words across that boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .tokenization import SPACE_CHARS, split_pieces
from .values import Span

__all__ = ["credit_breaks", "has_credit", "sentence_breaks", "split_sentences"]

_ENDERS = re.compile(r"[.!?…]+|\.{2,}")
_CLOSERS = frozenset(['"', "”", "’", "'", ")", "]", "»", "}"])
_OPENERS = frozenset(['"', "“", "‘", "'", "(", "[", "«", "-", "–", "—", "•", "*", "+"])
_ROMAN = re.compile(r"[IVXLC]{1,5}|[ivxlc]{1,5}")
_CREDIT_MARKERS = frozenset(["ảnh", "nguồn", "video", "clip", "đồ họa", "đồ hoạ", "tranh"])
# Words that begin sentences and seldom end a person's name.
_STARTERS = frozenset(
    """ngày sáng chiều tối trưa đêm hôm theo tại trong khi sau trước hiện năm tháng tuần
    từ với đây đó các những một nhiều mọi ông bà chị là có được để ngoài bên cùng vào đến
    tuy nhưng và còn nếu dù vì do thế chính riêng chiều hiện_nay ngay lúc vừa đang đã sẽ
    thời tuy_nhiên""".split()
)
_TRIGGER_WORDS = (
    "ảnh",
    "Ảnh",
    "ẢNH",
    "guồn",
    "GUỒN",
    "ideo",
    "IDEO",
    "lip",
    "LIP",
    "họa",
    "hoạ",
    "HỌA",
    "HOẠ",
    "ranh",
    "RANH",
)


def has_credit(text: str) -> bool:
    """Quick test: could ``text`` hold a photo credit or byline marker ("Ảnh:")?"""
    i = text.find(":")
    while i != -1:
        head = text[max(0, i - 8) : i]
        if head.endswith(" "):
            head = head[:-1]
        if head.endswith(_TRIGGER_WORDS):
            return True
        i = text.find(":", i + 1)
    return False


def _nfc_lower(token: str) -> str:
    return unicodedata.normalize("NFC", token).lower()


def _starts_sentence(token: str) -> bool:
    c = token[0]
    return c.isupper() or c.isdigit() or token in _OPENERS or c in "“‘«(["


def credit_breaks(tokens: Sequence[str]) -> list[int]:
    """Token indices where a sentence starts right after a photo credit or byline.

    >>> toks = "Ảnh : Ngọc Thành Ngày 5/3 , đoàn".split()
    >>> credit_breaks(toks)
    [4]
    """
    out = []
    n = len(tokens)
    for i in range(n - 2):
        if tokens[i + 1] != ":" or _nfc_lower(tokens[i]) not in _CREDIT_MARKERS:
            continue
        j = i + 2
        name = 0
        while j < n and tokens[j][:1].isupper():
            if name >= 1 and _nfc_lower(tokens[j]) in _STARTERS:
                out.append(j)
                break
            name += 1
            if name > 5:
                break
            j += 1
    return out


def sentence_breaks(tokens: Sequence[str], space_before: Sequence[bool]) -> list[int]:
    """Indices of the tokens that start a new sentence (the first token excluded).

    ``space_before[i]`` tells whether white space precedes token ``i`` (it decides whether a
    straight quote opens or closes).
    """
    n = len(tokens)
    breaks: list[int] = []
    sent_start = 0
    i = 0
    while i < n:
        t = tokens[i]
        if _ENDERS.fullmatch(t):
            # A list marker at the start of a sentence: "1." "a." "IV." (but not "... 2004.")
            if t == "." and i - sent_start == 1 and i > 0:
                prev = tokens[i - 1]
                if (prev.isdigit() and len(prev) <= 3) or len(prev) == 1 or _ROMAN.fullmatch(prev):
                    i += 1
                    continue
            j = i + 1
            while j < n and tokens[j] in _CLOSERS and not (tokens[j] in "\"'" and space_before[j]):
                j += 1
            while j < n and _ENDERS.fullmatch(tokens[j]):
                j += 1
            if j < n:
                nxt = tokens[j]
                ellipsis = t in ("...", "…") or t.startswith("..")
                if nxt[0].isupper() if ellipsis else _starts_sentence(nxt):
                    breaks.append(j)
                    sent_start = j
            i = j
            continue
        i += 1
    extra = credit_breaks(tokens)
    if extra:
        breaks = sorted(set(breaks) | set(extra))
    return breaks


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentences, each a :class:`~tieng.Span` of the original text.

    Sentences are trimmed of surrounding white space; a line break always ends one.

    >>> [s.text for s in split_sentences("GS. Lê đến TP. HCM lúc 8h30. Ông nói: “Tốt.” 1. Mở đầu")]
    ['GS. Lê đến TP. HCM lúc 8h30.', 'Ông nói: “Tốt.”', '1. Mở đầu']
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    out: list[Span] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        tokens: list[str] = []
        starts: list[int] = []
        space: list[bool] = []
        p = pos
        prev_space = True
        for piece in split_pieces(line):
            if piece[0] in SPACE_CHARS:
                prev_space = True
            else:
                tokens.append(piece)
                starts.append(p)
                space.append(prev_space)
                prev_space = False
            p += len(piece)
        if tokens:
            cuts = [0, *sentence_breaks(tokens, space), len(tokens)]
            for a, b in zip(cuts, cuts[1:]):
                s, e = starts[a], starts[b - 1] + len(tokens[b - 1])
                out.append(Span(text[s:e], s, e))
        pos += len(line)
    return out
