"""py_vncorenlp's ``VnCoreNLP`` for the stages tieng has (word segmentation ``wseg``, parts
of speech ``pos``), answered by tieng with no Java.

>>> model = VnCoreNLP(annotators=["wseg"])
>>> model.word_segment("Ông Nguyễn Khắc Chúc đang làm việc tại Đại học Quốc gia Hà Nội. Bà Lan, vợ ông Chúc, cũng làm việc tại đây.")
['Ông Nguyễn_Khắc_Chúc đang làm_việc tại Đại_học Quốc_gia Hà_Nội .', 'Bà Lan , vợ ông Chúc , cũng làm_việc tại đây .']
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tieng

__all__ = ["VnCoreNLP"]

_HAVE = ("wseg", "pos")
_LACK = {"ner": "named entities", "parse": "dependency parsing"}


class VnCoreNLP:
    """Made as py_vncorenlp's (``annotators``, and ``save_dir`` and ``max_heap_size``, which
    tieng does not need and ignores).  A stage tieng does not have is a ValueError that
    names it."""

    def __init__(
        self,
        annotators: Iterable[str] = ("wseg", "pos", "ner", "parse"),
        save_dir: str | None = None,
        max_heap_size: str | None = None,
    ) -> None:
        self.annotators = list(annotators)
        for name in self.annotators:
            if name in _LACK:
                raise ValueError(
                    f"tieng has no {_LACK[name]} stage ({name!r}); it has {', '.join(_HAVE)}: "
                    f"VnCoreNLP(annotators={list(_HAVE)!r})"
                )
            if name not in _HAVE:
                raise ValueError(f"unknown annotator {name!r}; tieng has {', '.join(_HAVE)}")
        self._seg = tieng.default_segmenter()

    def word_segment(self, text: str) -> list[str]:
        """The sentences of ``text``, each segmented (words by spaces, syllables by ``_``)."""
        lines = self._seg.segment_text(text, sentence_lines=True).splitlines()
        return [line for line in lines if line.strip()]

    def annotate_text(self, text: str) -> dict[int, list[dict[str, Any]]]:
        """Each sentence's words, numbered from 0: ``index`` (from 1), ``wordForm`` and, with
        the ``pos`` annotator, ``posTag``.

        >>> VnCoreNLP(annotators=["wseg", "pos"]).annotate_text("Hà Nội có nhiều hồ.")[0][0]
        {'index': 1, 'wordForm': 'Hà_Nội', 'posTag': 'Np'}
        """
        tags = "pos" in self.annotators
        doc = self._seg(text, sentences=True, tags=tags)
        out: dict[int, list[dict[str, Any]]] = {}
        for k, sentence in enumerate(doc.sentences or []):
            words = []
            for i, w in enumerate(sentence, 1):
                entry: dict[str, Any] = {"index": i, "wordForm": "_".join(w.text.split())}
                if tags:
                    entry["posTag"] = w.tag
                words.append(entry)
            out[k] = words
        return out
