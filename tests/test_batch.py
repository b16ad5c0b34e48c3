"""Batches and the results built from them (tieng.engine.batch)."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng
from tieng import Segmenter, _accel

SAMPLE = Path(tieng.__file__).parent / "data" / "sample.txt"
TEXTS = [
    *SAMPLE.read_text(encoding="utf-8").splitlines(),
    "",
    "   ",
    "a",
    ".",
    "a_b \\ c",
    "Hà\u2028Nội",
]
_SEG = tieng.Segmenter()


def _reference_words(batch, conf=None, sentences=False):
    """Words (and sentences) of a batch the plain way, one token at a time (the code the
    vectorized ``_words_of`` and ``_sentences_of`` replaced)."""
    from tieng import Word

    conf = iter(conf) if conf is not None else None
    toks, starts, joins = batch.tokens, batch.starts.tolist(), batch.joins.tolist()
    sent = batch.sent_starts.tolist() if batch.sent_starts is not None else []
    b = batch.doc_bounds
    out = []
    for k, text in enumerate(batch.texts):
        groups, words = [], []
        i, end = int(b[k]), int(b[k + 1])
        while i < end:
            if sentences and sent and sent[i] and words:
                groups.append(words)
                words = []
            j = i
            while j < end - 1 and joins[j]:
                j += 1
            s, e = starts[i], starts[j] + len(toks[j])
            words.append(Word(text[s:e], s, e, None if conf is None else next(conf)))
            i = j + 1
        if sentences:
            out.append([*groups, words] if words else groups)
        else:
            out.append(words)
    return out


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("Hà Nội mưa. Tôi đi học! “Ảnh: TTXVN” _\\ \n\t12,5"))
        | st.text(),
        max_size=5,
    )
)
def test_words_and_sentences_of_a_batch_match_the_plain_loop(texts):
    from tieng.engine.batch import confidences, results_of

    seg = _SEG
    cal = seg.model.calibration
    batch = seg._analyze(texts)
    batch.token_strings()
    assert [r.words for r in results_of(batch)] == _reference_words(batch)
    conf = confidences(batch, cal)
    scored = results_of(batch, calibration=cal, confidence=True)
    assert [r.words for r in scored] == _reference_words(batch, conf)
    sent = seg._analyze(texts, sentences=True)
    grouped = results_of(sent, sentences=True)
    assert [r.sentences for r in grouped] == _reference_words(sent, sentences=True)
    grouped = results_of(sent, sentences=True, calibration=cal, confidence=True)
    assert [r.sentences for r in grouped] == _reference_words(
        sent, confidences(sent, cal), sentences=True
    )


@pytest.mark.skipif(_accel.speedups is None, reason="the compiled helpers are not in use")
@pytest.mark.parametrize("options", [{}, {"confidence": True}, {"tags": True, "sentences": True}])
def test_words_are_made_alike_both_ways(options):
    """A batch's Word objects, made in one compiled loop, equal those of the Python twin."""
    texts = [*TEXTS, SAMPLE.read_text(encoding="utf-8")]
    seg = Segmenter()
    compiled = list(seg.pipe(texts, **options))
    with _accel.using(None):
        reference = list(seg.pipe(texts, **options))
    assert compiled == reference
    assert all(type(w) is tieng.Word for d in compiled for w in d.words)
    with pytest.raises(ValueError, match="outside"):
        _accel.speedups.make_words(
            tieng.Word, "ab", *(np.array([1], np.int64), np.array([3], np.int64)) * 2, None, None
        )
