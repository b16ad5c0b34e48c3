"""underthesea's ``word_tokenize`` and ``pos_tag``, answered by tieng.

>>> word_tokenize("Chợ thịt chó nổi tiếng ở Sài Gòn bị truy quét")
['Chợ', 'thịt', 'chó', 'nổi tiếng', 'ở', 'Sài Gòn', 'bị', 'truy quét']
>>> pos_tag("Chợ thịt chó nổi tiếng ở Sài Gòn")[3:]
[('nổi tiếng', 'A'), ('ở', 'E'), ('Sài Gòn', 'Np')]

As in underthesea, a word's syllables are joined by one space (``format="text"``: by ``_``,
with nothing escaped), and the text is not split into sentences.
"""

from __future__ import annotations

from functools import lru_cache

import tieng

__all__ = ["pos_tag", "word_tokenize"]


@lru_cache(maxsize=16)
def _segmenter(fixed: tuple[str, ...]) -> tieng.Segmenter:
    if not fixed:
        return tieng.default_segmenter()
    return tieng.Segmenter(dictionary=tieng.UserDictionary(list(fixed)))


def _word(text: str, sep: str) -> str:
    return sep.join(text.split())


def word_tokenize(
    sentence: str, format: str | None = None, fixed_words: list[str] | None = None
) -> list[str] | str:
    """The words of ``sentence``: a list of words, or with ``format="text"`` one string,
    words by spaces and syllables by ``_``.  ``fixed_words``: words always kept whole (a
    :class:`tieng.UserDictionary`).

    >>> word_tokenize("Trường đại học Bách Khoa", format="text")
    'Trường đại_học Bách_Khoa'
    """
    if format not in (None, "text"):
        raise ValueError(f"format is None or 'text', not {format!r}")
    words = _segmenter(tuple(fixed_words or ()))(sentence).words
    if format == "text":
        return " ".join(_word(w.text, "_") for w in words)
    return [_word(w.text, " ") for w in words]


def pos_tag(sentence: str) -> list[tuple[str, str]]:
    """Each word of ``sentence`` with its part of speech (VLSP 2013 tags, as underthesea's).

    >>> pos_tag("Hà Nội có nhiều hồ")
    [('Hà Nội', 'Np'), ('có', 'V'), ('nhiều', 'A'), ('hồ', 'N')]
    """
    return [(_word(w.text, " "), w.tag or "") for w in tieng.tag(sentence).words]
