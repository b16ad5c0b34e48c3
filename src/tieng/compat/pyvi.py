"""pyvi's ``ViTokenizer.tokenize`` and ``ViPosTagger.postagging``, answered by tieng.

>>> ViTokenizer.tokenize("Trường đại học bách khoa hà nội")
'Trường đại_học bách_khoa hà_nội'
>>> ViPosTagger.postagging(ViTokenizer.tokenize("Trường đại học Bách Khoa Hà Nội"))
(['Trường', 'đại_học', 'Bách_Khoa', 'Hà_Nội'], ['N', 'N', 'Np', 'Np'])
"""

from __future__ import annotations

import tieng
from tieng.tagging import tag_segmented

__all__ = ["ViPosTagger", "ViTokenizer"]


class ViTokenizer:
    """pyvi's tokenizer: words by spaces, syllables by ``_`` (nothing escaped)."""

    @staticmethod
    def tokenize(str_sentence: str) -> str:
        """``str_sentence`` segmented, as one string."""
        words = tieng.segment(str_sentence).words
        return " ".join("_".join(w.text.split()) for w in words)


class ViPosTagger:
    """pyvi's tagger: it takes text already segmented (``ViTokenizer.tokenize``'s output)."""

    @staticmethod
    def postagging(str_sentence: str) -> tuple[list[str], list[str]]:
        """The words of a segmented sentence and their parts of speech, as two lists."""
        (doc,) = tag_segmented([str_sentence], tieng.default_segmenter().tagger)
        return [w.text for w in doc.words], [w.tag or "" for w in doc.words]
