"""The features (tieng.engine.features): score tables and span tables, built in C and in
numpy, and the fast sums against the plain reference."""

import numpy as np
import pytest

import tieng
from tieng import Segmenter, _accel

_SEGMENTER = Segmenter()


@pytest.fixture(scope="module")
def seg():
    return tieng.default_segmenter()


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_compiled_score_tables_are_the_same(monkeypatch, dtype):
    from tieng.engine import features

    model = _SEGMENTER.model
    weights = model.weights.astype(dtype)
    compiled = features.ScoreTables(weights, model.spec, len(model.vocabulary))
    with _accel.using(None):
        reference = features.ScoreTables(weights, model.spec, len(model.vocabulary))
    assert compiled.tables.keys() == reference.tables.keys() and len(compiled.tables) > 20
    for t, table in reference.tables.items():
        assert compiled.tables[t].dtype == np.float32
        assert np.array_equal(compiled.tables[t].view(np.uint32), table.view(np.uint32)), t


@pytest.mark.parametrize("name", list(tieng.BUNDLED_MODELS))
def test_compiled_span_tables_are_the_numpy_tables(monkeypatch, name):
    """The lexicon's and the word lists' hash tables, built in C, slot for slot."""
    from tieng.engine import features

    model = Segmenter(name).model
    empty = np.zeros((0, model.spec.max_word), np.uint32)
    for rows in [model.lexicon, model.lexicon[1::3], model.lexicon[:1], empty]:
        compiled_keys = features._span_keys(rows, 1)
        compiled = features.SpanTable(*compiled_keys)
        with _accel.using(None):
            keys = features._span_keys(rows, 1)
            reference = features.SpanTable(*keys)
        assert sorted(compiled_keys[0].tolist()) == sorted(keys[0].tolist())
        assert np.array_equal(compiled.keys, reference.keys)
        assert np.array_equal(compiled.flags, reference.flags)
        assert (compiled.bits, compiled.size) == (reference.bits, reference.size)


def test_fast_scoring_agrees_with_the_reference(reference_scores):
    """The table-driven scorer gives the plain feature-row sums of the reference decoder."""
    seg = tieng.Segmenter()
    text = (
        "Thủ tướng Chính phủ đã có văn bản giao TP. HCM hoàn thiện báo cáo trong tháng 6-2004.\n"
        "HỘI NGHỊ THƯỜNG NIÊN CỦA NGÂN HÀNG NHÀ NƯỚC diễn ra ở Hà Nội ngày 27/11/2023 🙂\n"
        "Ông Nguyễn Văn A nói: “Chúng tôi sẽ hoà giải, không để xảy ra xung đột.”"
    )
    tokens = [t.text for t in tieng.tokenize(text)]
    model = seg.model
    codes = model.vocabulary.codes(tokens)
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    fast = model.join_scores(codes, breaks)
    slow = reference_scores(model, codes, breaks)
    finite = np.isfinite(slow)
    assert finite.sum() > 20
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.allclose(fast[finite], slow[finite], atol=1e-4)
