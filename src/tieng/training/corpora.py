"""Reading annotated corpora for training: the formats people have, told apart by content.

Three formats are read, each sentence as a list of ``(word, tag)`` pairs (the word as the
VLSP format writes it, its syllables joined by ``_``; the tag ``None`` where the format has
none):

* ``segmented``: the VLSP 2013 word-segmentation format, one sentence a line, words separated
  by white space, the syllables of a word joined by ``_`` (``Thành_phố sẽ đầu_tư .``);
* ``tagged``: the VLSP 2013 POS format, ``word/TAG`` tokens (``Thành_phố/N sẽ/R``);
* ``conllu``: CoNLL-U, as the Universal Dependencies treebanks are written: one word a line
  with ten tab-separated columns, a multi-syllable FORM written with spaces, sentences
  separated by blank lines; the tag is the XPOS column (else the UPOS one).

Anything else is a :class:`FormatError` naming the file and the line that gave it away:
unsegmented text above all, which would train a model that never joins a syllable.

>>> detect_format(["Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm ."])
'segmented'
>>> detect_format(["Thành_phố/N sẽ/R đầu_tư/V ./CH"])
'tagged'
>>> detect_format(["1\\tThành phố\\tthành phố\\tNOUN\\tN\\t_\\t3\\tnsubj\\t_\\t_"])
'conllu'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

__all__ = [
    "FORMATS",
    "FormatError",
    "conllu_sentences",
    "detect_format",
    "looks_segmented",
    "read_sentences",
]

FORMATS = ("segmented", "tagged", "conllu")
Sentence = list[tuple[str, "str | None"]]

_SAMPLE_LINES = 2000  # lines looked at to tell the format
_CONLLU_ROW = re.compile(r"^\d+(?:[-.]\d+)?\t")
_TAGGED_TOKEN = re.compile(r"^\S+/[A-Za-z][\w|-]*$")
# A word with a punctuation mark glued to it ("nói,", "tới."): raw text, never segmented.
_GLUED = re.compile(r"^[^\W\d_]{2,}[,;:!?.]$")


class FormatError(ValueError):
    """A training corpus in no format tieng reads, or not in the format given."""


def looks_segmented(text: str) -> bool:
    """True when ``text`` looks segmented already (the VLSP format: syllables joined by
    ``_``, punctuation apart), which segmenting again would garble.

    >>> looks_segmented("Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm .")
    True
    >>> looks_segmented("Thành phố sẽ đầu tư xây dựng tuyến tàu điện ngầm.")
    False
    >>> looks_segmented("biến my_var và hàm get_value() trong Python")
    False
    """
    tokens = text.split()[:2000]
    if len(tokens) < 4:
        return False
    # Syllables of letters joined by "_" (not snake_case names of ASCII letters and digits).
    joined = sum(
        1
        for t in tokens
        if "_" in t.strip("_")
        and all(p and p.isalpha() for p in t.split("/")[0].split("_"))
        and not t.isascii()
    )
    glued = sum(bool(_GLUED.match(t)) for t in tokens)
    return joined >= 2 and joined >= 0.08 * len(tokens) and glued <= 0.01 * len(tokens)


def detect_format(lines: Iterable[str], source: str = "<lines>") -> str:
    """The format of a corpus from its first lines: ``"segmented"``, ``"tagged"`` or
    ``"conllu"``; raises :class:`FormatError` for unsegmented text or an unknown format."""
    sample: list[tuple[int, str]] = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            sample.append((n, line.rstrip("\r\n")))
        if len(sample) >= _SAMPLE_LINES:
            break
    if not sample:
        raise FormatError(f"{source}: holds no sentences")
    rows = [(n, s) for n, s in sample if not s.startswith("#")]
    if rows and sum(bool(_CONLLU_ROW.match(s)) for _, s in rows) >= 0.9 * len(rows):
        return "conllu"
    tokens = [t for _, s in sample for t in s.split()]
    if sum(bool(_TAGGED_TOKEN.match(t)) for t in tokens) >= 0.5 * len(tokens):
        return "tagged"  # (a token that is not word/TAG is then an error naming its line)
    joined = sum("_" in t.strip("_") for t in tokens)
    glued = [(n, t) for n, s in sample for t in s.split() if _GLUED.match(t)]
    if joined < 0.005 * len(tokens) and (glued or len(tokens) >= 50):
        n = glued[0][0] if glued else sample[0][0]
        line = dict(sample)[n]
        raise FormatError(
            f"{source}, line {n}: this looks like unsegmented text ({line[:60]!r}): training "
            "needs words with their syllables joined by '_' and punctuation apart "
            "(Thành_phố sẽ đầu_tư .), word/TAG tokens, or CoNLL-U"
        )
    return "segmented"


def read_sentences(path: str | Path, format: str = "auto") -> list[Sentence]:
    """The sentences of a corpus file, each a list of ``(word, tag)``: the word's syllables
    joined by ``_``, the tag ``None`` in the segmented format.  ``format`` is one of
    :data:`FORMATS`, or ``"auto"`` to tell it from the content; a line that does not fit is
    a :class:`FormatError` naming it."""
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be auto or one of {', '.join(FORMATS)}, not {format!r}")
    with open(path, encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    fmt = detect_format(lines, str(path)) if format == "auto" else format
    if fmt == "conllu":
        return list(_conllu(lines, str(path)))
    out: list[Sentence] = []
    for n, line in enumerate(lines, 1):
        tokens = line.split()
        if not tokens:
            continue
        if "\t" in line.strip():
            raise FormatError(f"{path}, line {n}: a tab: is this CoNLL-U? (--format conllu)")
        if fmt == "segmented":
            out.append([(t, None) for t in tokens])
            continue
        sent: Sentence = []
        for t in tokens:
            word, sep, tag = t.rpartition("/")
            if not sep or not word or not tag:
                raise FormatError(f"{path}, line {n}: {t!r} is not word/TAG")
            sent.append((word, tag))
        out.append(sent)
    return out


def conllu_sentences(lines: Iterable[str], source: str) -> Iterator[list[list[str]]]:
    """The sentences of CoNLL-U ``lines``: each word's ten columns (a multiword token's range
    and empty nodes left out: they are no words of the text); a line that is not a word line,
    or a word without a FORM or with a HEAD that is no number, is a :class:`FormatError`
    naming it."""
    sent: list[list[str]] = []
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if sent:
                yield sent
            sent = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10 or not _CONLLU_ROW.match(line):
            raise FormatError(
                f"{source}, line {n}: not a CoNLL-U word line (ten tab-separated columns)"
            )
        if "-" in cols[0] or "." in cols[0]:
            continue
        if not cols[1].strip():
            raise FormatError(f"{source}, line {n}: an empty FORM")
        if cols[6] != "_" and not cols[6].isdigit():
            raise FormatError(f"{source}, line {n}: HEAD {cols[6]!r} is not a number")
        sent.append(cols)
    if sent:
        yield sent


def _conllu(lines: Sequence[str], source: str) -> Iterator[Sentence]:
    for words in conllu_sentences(lines, source):
        sent: Sentence = []
        for cols in words:
            form, upos, xpos = cols[1], cols[3], cols[4]
            tag = xpos if xpos not in ("", "_") else upos if upos not in ("", "_") else None
            sent.append(("_".join(form.split()), tag))
        yield sent
