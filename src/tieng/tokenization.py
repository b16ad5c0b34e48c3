"""Lossless tokenization of raw Vietnamese text.

The tokenizer cuts text into *pieces*: tokens (syllables, numbers, punctuation, URLs, ...) and
the white space between them.  Pieces cover the input exactly, in order, so the offsets of a
token are the sums of the lengths of the pieces before it and ``"".join(pieces) == text``
always holds.  Conventions follow the VLSP 2013 corpus: punctuation is a token of its own,
while numbers with separators (``1.000.000``, ``3,5``, ``-2,5``), dates and times
(``27/11/2023``, ``6-2004``, ``8h30``, ``10:30``), URLs (``vnexpress.net`` too), file
names, e-mail addresses, @mentions, #hashtags, ``snake_case`` names, version numbers
(``v1.2.3``), abbreviations (``TP.``, ``GS.``, ``PGS.TS.``, ``Tp.HCM``, ``U.S.``), ellipses,
emoji and emoticons stay whole.  What the corpus nearly always writes apart comes apart even
when the input is glued: a number and its unit or sign (``20%``, ``5km``, ``395USD``) and a
range of two numbers (``2010-2015``), but not a month and year (``6-2004``).
"""

from __future__ import annotations

import re
import sys

import numpy as np

from . import _accel
from .normalization import COMBINING_MARKS as _M
from .values import Span

__all__ = ["LINE_BREAKS", "LINK_RE", "SPACE_CHARS", "Span", "split_pieces", "tokenize"]


# Characters that separate tokens: Unicode white space plus the invisible format characters
# (zero-width space and joiners, direction marks, word joiner, BOM) that editors leave behind.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_WHITE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
SPACE_CHARS = frozenset(_WHITE + _INVISIBLE)
_SPACE_CLASS = r"\s" + _INVISIBLE
# The characters that end a line (those of str.splitlines): each starts a new sentence.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

_UPPER = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# Modifier primes (ʹ ʺ), which Unicode counts as letters, are typed as quote marks: they are
# tokens of their own, never part of a word.
_PRIMES = "\u02b9\u02ba"
_L = rf"(?:[^\W\d_{_PRIMES}][{_M}]*)"  # one letter with any combining marks after it
# Letters and digits, combining marks allowed (NFD).  Written so that a string splits into
# its parts one way only: with "(?:marks+ letters*)*" a run of marks could be split in
# exponentially many ways, and a failed match (a word with no "_" after it, for the
# snake_case pattern) tried them all.
_WORD = rf"[^\W_{_PRIMES}]+(?:[{_M}]+[^\W_{_PRIMES}]+)*[{_M}]*"
_EMOJI_BASE = "\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\u3030\u303d"
_EMOJI_MOD = "\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3\U000e0020-\U000e007f"
_EMOJI = (
    rf"[\U0001f1e6-\U0001f1ff]{{2}}"
    rf"|[{_EMOJI_BASE}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MOD}]*)*"
)
# Abbreviations that keep their dot when more text follows on the line.
_ABBREVIATIONS = (
    "TP|Tp|tp|TX|Tx|TT|TS|Ts|GS|Gs|PGS|ThS|Ths|BS|Bs|KS|CN|NXB|Q|P|X|tr|Tr|Th|Ng|Kh|Ph|"
    "St|Mr|Mrs|Ms|Dr|Jr|Sr|Co|Corp|Ltd|Inc|etc|vs|No|Nxb|Bt|BT|BV|CLB|UBND|HĐND"
)
# Bounded so that the look-ahead stays within the _CONTEXT characters scan() shows it.
_FOLLOWED = r"(?=[ \t\u00a0]{0,6}[^\s.,;:!?)\]}\"”’'…])"
# Web addresses written without a scheme (vnexpress.net, home.vnn.vn/tin) and file names
# (bao_cao.docx, data.csv): the training data keeps such names whole.  Only these endings
# count, and in lower case (or a few in capitals), so that two sentences glued at a full
# stop ("ngày.Tuy", "end.It") are not taken for one.
_DOMAIN_ENDINGS = (
    "com|net|org|edu|gov|mil|int|info|biz|name|pro|asia|io|app|dev|tv|vn|uk|us|ca|au|jp|kr|"
    "cn|tw|hk|sg|th|la|kh|my|id|ph|in|fr|de|it|es|nl|ru|ch|se|eu|COM|NET|ORG|EDU|GOV|INFO|VN"
)
_FILE_ENDINGS = (
    "txt|csv|tsv|json|jsonl|xml|html?|md|pdf|docx?|xlsx?|pptx?|odt|ods|rtf|jpe?g|png|gif|bmp|"
    "svg|webp|tiff?|mp3|mp4|wav|avi|mkv|mov|zip|rar|7z|gz|tar|py|js|ts|java|cpp|exe|apk|iso|"
    "TXT|CSV|PDF|DOCX?|XLSX?|PPTX?|JPE?G|PNG|GIF|MP3|MP4|ZIP|RAR"  # not TS, MD: PGS.TS.
)
_NAME_PART = rf"[^\W_][\w{_M}-]{{0,63}}"  # bounded, like every repeat below
_BARE_LINK = (
    rf"(?<![\w.@/-])(?:{_NAME_PART}\.){{1,8}}(?:(?:{_DOMAIN_ENDINGS})(?![\w{_M}-])"
    rf"(?:/[^\s<>\"“”{_INVISIBLE}]*[^\s<>\"“”.,;:!?)\]}}'’{_INVISIBLE}])?"
    rf"|(?:{_FILE_ENDINGS})(?![\w{_M}-]))"
)
LINK_RE = re.compile(rf"(?:https?://|ftp://|www\.)\S|{_BARE_LINK}$")

# What a number keeps glued to it, measured on the training data (benchmarks/tokenization.py,
# "glued forms"): a word starting with a capital (1A, 53S5, 3G: names of roads, vehicles,
# standards), unless it is one of the units below; a time (8h30, 8g30) or a size (6x14).
# A word starting with a lower-case letter (km, kg, ha, đ, giờ, tuổi, ml, kV, m2) is a unit
# and is split off, as are %, ‰ and the units in capitals: the training data writes "20 %"
# 2,167 times and "20%" twice, "5 km" 542 times and "5km" never, "395 USD" 395 times to 1.
_UNITS = "USD|VND|VNĐ|EUR|GBP|JPY|CNY|MW|GW|KW|MWh|KWh|GWh|MHz|GHz|Hz|KB|MB|GB|TB|CV|HP"
_GLUED_SUFFIX = (
    rf"(?:[hgx]\d{{1,4}}(?![^\W_])"
    rf"|(?=[{_UPPER}])(?!(?:{_UNITS})(?![^\W_])){_WORD})?"
)
_NUMBER = r"\d+(?:[.,]\d+){0,5}"
# The first number of a range: followed by "-" and a number that nothing continues, unless
# the two are a month and a year (6-2004, 12-2003: 795 glued, 85 apart in training).
_RANGE_START = (
    r"(?<![\w.,:/-])(?!\d{1,2}-\d{4}(?![\d]|[.,:/-]\d))"
    rf"{_NUMBER}(?=-{_NUMBER}(?![\d]|[.,:/-]\d))"
)

_PATTERN = "|".join(
    [
        rf"[{_SPACE_CLASS}]+",
        rf"[{_PRIMES}]",
        # Fast path for the common case: a run of letters that nothing else continues.
        rf"[^\W\d_{_PRIMES}]+(?![\w.@'’{_M}-]|:/)",
        # URLs, minus trailing punctuation that belongs to the sentence.
        rf"(?:https?://|ftp://|www\.)[^\s<>\"“”{_INVISIBLE}]*[^\s<>\"“”.,;:!?)\]}}'’{_INVISIBLE}]",
        # E-mail: the local part is at most 64 characters, which also keeps the cost linear
        # on long runs of letters and dots with no "@".
        r"[^\W_][\w.+-]{0,63}@[^\W_][\w-]*(?:\.[\w-]+)+",
        rf"(?<![\w@#])[@#][^\W_][\w{_M}]*",
        _BARE_LINK,
        # Names written with underscores (snake_case, ten_file): one token, escaped on output.
        rf"{_WORD}(?:_+{_WORD})+",
        # Version numbers: Python3.11 v1.2.3 iOS17.2.
        r"[^\W\d_]+\d+(?:\.\d+)+(?![^\W_])",
        # Document numbers split at each slash, as in the training data: 45 / 2004 / NQ-CP.
        r"\d+(?=(?:/\d+){0,3}/[^\W\d_])",
        # Repeats are bounded ({0,15}, {1,7}) so that no match, and no failed attempt, costs
        # more than a few dozen characters: tokenizing stays linear on any input.
        # A range of two numbers is three tokens, as in the training data (2010 - 2015,
        # 6 - 7 giờ, 1.000 - 2.000), except a month and year (6-2004).
        rf"{_RANGE_START}",
        # Numbers, dates and times: 1.000.000 3,5 -2,5 27/11/2023 6-2004 8h30 10:30 6x14 1A
        # 53S5.  A unit, a currency or a per cent sign after a number is a token of its own
        # (20 %, 5 km, 140.000 đ, 395 USD), as in the training data; see _GLUED_SUFFIX.
        # (A sign after a per cent sign is the dash of a range: 20%-30% is 20 % - 30 %.)
        rf"(?:(?<![^\W_])(?<![%‰])[-+−](?=\d))?\d+(?:[.,:/-]\d+){{0,15}}{_GLUED_SUFFIX}"
        rf"(?:-[^\W_]+){{0,7}}",
        # A unit glued to a number, before the dash of a range: 5km-10km is 5 km - 10 km, as
        # the training data writes a range with units ("1,35 m - 1,41 m").
        rf"(?<=\d)[^\W\d_{_PRIMES}]+(?=-\d)",
        r"[vV]\.[vV]\.+",
        # Dotted abbreviations and initials: U.S. PGS.TS. V.H.Q. Tp.HCM T.Ư C.C.Chen
        # A lower-case start is a word and a full stop ("hôm qua.Nó"), unless it is one
        # letter (đ.m.) or tp./tx. (tp.HCM).  At the end of a line the last dot ends the
        # sentence, as in the training data ("H.G ." 329 times, "H.G." at a line's end never).
        rf"(?<![^\W_])(?=[{_UPPER}]|{_L}\.)(?:{_L}{{1,3}}\.){{1,7}}{_L}{{1,2}}"
        rf"(?=\.[ \t]{{0,3}}(?:[{LINE_BREAKS}]|\Z))",
        rf"(?<![^\W_])(?=[{_UPPER}]|{_L}\.)(?:{_L}{{1,3}}\.){{1,7}}{_L}{{1,2}}\.(?![^\W_])",
        rf"(?<![^\W_])(?=[{_UPPER}]|{_L}\.|t[px]\.)(?:{_L}{{1,3}}\.){{1,7}}[^\W\d_]+(?:[{_M}]+[^\W_]+)*[{_M}]*",
        rf"(?<![^\W_])(?:{_ABBREVIATIONS})\.{_FOLLOWED}",
        rf"(?<![^\W_])[{_UPPER}][{_M}]*\.{_FOLLOWED}",
        # Words: letters and digits, with inner apostrophes (H'Mông) and hyphens (Co-op).
        rf"{_WORD}(?:['’]{_WORD}){{0,7}}(?:-{_WORD}(?:['’]{_WORD}){{0,7}}){{0,7}}",
        # Arrows are one token (==>, ->, <--), as other tokenizers' tests expect.
        r"(?:={1,3}|-{1,3})>|<(?:={1,3}|-{1,3})(?![\d=-])",
        r"\.{2,}|…+|-{2,}|={2,}|\*{2,}|_{2,}|~{2,}",
        r"°[CF](?![^\W_])",  # a temperature unit, as in the training data: 25 °C
        r"(?<![^\s(\[\"“])(?:[:;=][-'^]?[)(\]\[DPpOo3/\\|*]+|<3|\^[_.-]?\^)(?![^\W_])",
        _EMOJI,
        r"(?s:.)",
    ]
)
_PRETOKENIZED_RE = re.compile(rf"[{_SPACE_CLASS}]+|[^{_SPACE_CLASS}]+")
_compiled: list[re.Pattern[str]] = []


def _token_re() -> re.Pattern[str]:
    """The tokenizer's regular expression, compiled on first use: compiling it takes longer
    (about 14 ms) than importing the rest of tieng, and many texts never need it (the
    compiled loop cuts plain words and their punctuation itself)."""
    if not _compiled:
        _compiled.append(re.compile(_PATTERN))
    return _compiled[0]


def _token_findall(text: str, pos: int = 0, endpos: int = sys.maxsize) -> list[str]:
    """``findall`` of the tokenizer's regular expression (compiled on first use)."""
    return (_compiled[0] if _compiled else _token_re()).findall(text, pos, endpos)


_CONTEXT = 8  # characters past a chunk that the look-ahead of the patterns may need
_LEADING = frozenset('([{"“‘')
_SPACE_STRING = "".join(sorted(SPACE_CHARS))
_LEADING_STRING = "".join(sorted(_LEADING))
_LOWER_ABBREVIATIONS = frozenset(a for a in _ABBREVIATIONS.split("|") if a.islower())


def _plain_before_dot(word: str) -> bool:
    """True when ``word.`` is a word and a full stop, never an abbreviation."""
    return word.islower() and word not in _LOWER_ABBREVIATIONS


# Marks that may end a word or a number, each a token of its own (a dot or an ellipsis only
# as the chunk's last character: "..", "…." are tokens of their own pattern).
_CLOSING = frozenset(',;!?)]}"”’:')
_CLOSING_STRING = "".join(sorted(_CLOSING))


def scan(text: str, pretokenized: bool = False) -> tuple[list[str], list[int], list[int]]:
    """Tokens of ``text``, their start offsets, and the offsets of line breaks between them.

    Gives the same tokens as :func:`split_pieces`, faster: the text is cut at single spaces
    (in C), chunks made only of letters are tokens as they are, and only the other chunks go
    through the regular expression, with a few characters of the following text in view.
    """
    tokens, starts, line_breaks = scan_arrays(text, pretokenized)
    return tokens, starts.tolist(), line_breaks


def scan_arrays(text: str, pretokenized: bool = False) -> tuple[list[str], np.ndarray, list[int]]:
    """:func:`scan` with the start offsets as an int64 array."""
    tokens, starts, _, line_breaks = _accel.kernels.scan_chunks(
        text, *scan_settings(pretokenized), True
    )
    return tokens, np.frombuffer(starts, np.int64), line_breaks


def scan_offsets(text: str, pretokenized: bool = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """:func:`scan` as offsets: the start and end of every token (int64 arrays), and the line
    breaks; with the compiled helpers, no token string is made."""
    _, starts, ends, line_breaks = _accel.kernels.scan_chunks(
        text, *scan_settings(pretokenized), False
    )
    return np.frombuffer(starts, np.int64), np.frombuffer(ends, np.int64), line_breaks


def scan_settings(pretokenized: bool) -> tuple:
    """What the tokenizer's loop takes besides the text (``scan_chunks`` and the per-call
    ``Line``): the regular expression's ``findall``, the options and the character sets of
    :func:`scan`."""
    findall = _PRETOKENIZED_RE.findall if pretokenized else _token_findall
    return (
        findall,
        pretokenized,
        _SPACE_STRING,
        LINE_BREAKS,
        _CLOSING_STRING,
        _LEADING_STRING,
        _plain_before_dot,
        _CONTEXT,
    )


def split_pieces(text: str, pretokenized: bool = False) -> list[str]:
    """Cut ``text`` into tokens and the white space between them; the pieces join to ``text``.

    >>> split_pieces("TP. HCM, 8h30.")
    ['TP.', ' ', 'HCM', ',', ' ', '8h30', '.']
    """
    return _PRETOKENIZED_RE.findall(text) if pretokenized else _token_findall(text)


def tokenize(text: str, pretokenized: bool = False) -> list[Span]:
    """Split ``text`` into tokens, each with its offsets into ``text``.

    With ``pretokenized=True`` only white space separates tokens.

    >>> [t.text for t in tokenize("Giá tăng 3,5% vào 27/11/2023 (TP. HCM)...")]
    ['Giá', 'tăng', '3,5', '%', 'vào', '27/11/2023', '(', 'TP.', 'HCM', ')', '...']
    >>> tokenize("Xin chào")[1]
    Span(text='chào', start=4, end=8)
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    spans = []
    pos = 0
    for piece in split_pieces(text, pretokenized):
        end = pos + len(piece)
        if piece[0] not in SPACE_CHARS:
            spans.append(Span(piece, pos, end))
        pos = end
    return spans
