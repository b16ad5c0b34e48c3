"""Word confidences: what they are computed from, and that they travel with the words."""

import math
from dataclasses import replace

import numpy as np
import pytest

from tieng import Segmenter, Word

TEXTS = [
    "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới.",
    "Ông Nguyễn Văn An, 45 tuổi, làm kỹ sư phần mềm ở TP. HCM từ 27/11/2023.",
    "",
    "   ",
    "HỌC SINH ĐI HỌC",
]


@pytest.fixture(scope="module")
def seg():
    return Segmenter()


def test_scored_words_are_the_words(seg):
    for text in TEXTS:
        scored = seg(text, confidence=True).words
        assert [(w.text, w.start, w.end) for w in scored] == [w[:3] for w in seg(text).words]
        assert all(isinstance(w, Word) and 0.0 < w.confidence <= 1.0 for w in scored)


def test_pipe_with_confidence_matches_one_by_one(seg):
    docs = seg.pipe(TEXTS, batch_size=2, confidence=True)
    assert list(docs) == [seg(t, confidence=True) for t in TEXTS]


def test_pipe_with_confidence_in_worker_processes(seg):
    many = TEXTS * 3
    docs = seg.pipe(many, batch_size=4, n_process=2, confidence=True)
    assert list(docs) == [seg(t, confidence=True) for t in many]


def test_words_have_no_confidence_unless_asked(seg):
    assert all(w.confidence is None for w in seg(TEXTS[0]).words)


def test_long_texts_cut_into_windows_keep_offsets(seg):
    text = " ".join(TEXTS[:2]) * 400  # longer than one analysis window
    words = seg(text, confidence=True).words
    assert all(text[w.start : w.end] == w.text for w in words)
    assert [w.text for w in words] == [w.text for w in seg(text)]


def test_punctuation_decided_by_the_tokenizer_is_certain(seg):
    words = seg("Hà Nội, Huế.", confidence=True).words
    assert [w.confidence for w in words if w.text in ",."] == [1.0, 1.0]


def _word_map(p: float, cal: dict) -> float:
    if "word_scale" not in cal:
        return p
    z = cal["word_scale"] * math.log(p / (1 - p)) + cal.get("word_shift", 0.0)
    return 1 / (1 + math.exp(-z))


def test_confidence_is_the_calibrated_probability_of_the_decisions(seg):
    # "Hà Nội" alone: one gap, joined; the word is right when that join is.
    cal = seg.model.calibration.to_dict()
    a, b = cal.get("scale", 1.0), cal.get("shift", 0.0)
    codes = seg.model.vocabulary.codes(["Hà", "Nội"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    (word,) = seg("Hà Nội", confidence=True).words
    expected = _word_map(1 / (1 + math.exp(-(a * score + b))), cal)
    assert word.confidence == pytest.approx(expected, rel=1e-5)
    # Two one-syllable words: each is right when the gap between them is a boundary.
    codes = seg.model.vocabulary.codes(["mưa", "to"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    first, second = seg("mưa to", confidence=True).words
    expected = _word_map(1 - 1 / (1 + math.exp(-(a * score + b))), cal)
    assert first.confidence == second.confidence == pytest.approx(expected, rel=1e-5)


def test_bundled_model_is_calibrated(seg):
    cal = seg.model.calibration
    assert 0 < cal.scale and cal.word_scale is not None and "dev" in cal.fitted_on
    # The calibration goes back into the file's metadata on save, and comes back typed.
    again = type(seg.model).from_bytes(seg.model.to_bytes())
    assert again.calibration == cal and "calibration" not in again.metadata


def test_word_level_calibration_maps_the_product_of_the_gaps(seg):
    from tieng import Model

    model = Model.from_bytes(seg.model.to_bytes())
    model.calibration = replace(model.calibration, word_scale=None, word_shift=0.0)
    plain = Segmenter(model)
    model2 = Model.from_bytes(seg.model.to_bytes())
    model2.calibration = replace(model.calibration, word_scale=0.5, word_shift=-1.0)
    mapped = Segmenter(model2)
    text = "Ông Nguyễn Văn An, 45 tuổi, làm kỹ sư phần mềm."
    before, after = plain(text, confidence=True).words, mapped(text, confidence=True).words
    assert [w[:3] for w in before] == [w[:3] for w in after]  # the words do not change
    for b, a in zip(before, after):
        if b.confidence == 1.0:  # decided by the tokenizer: stays certain
            assert a.confidence == 1.0
        else:
            z = 0.5 * math.log(b.confidence / (1 - b.confidence)) - 1.0
            assert a.confidence == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-6)
    assert any(b.confidence != 1.0 for b in before)


@pytest.mark.parametrize("word_map", [False, True])
def test_nan_weights_give_no_confidence_and_json_stays_json(seg, tmp_path, word_map):
    """A crafted model whose weights are NaN once gave bare NaN in JSON lines (not JSON), or
    1.0 with a word-level map: such a word has no confidence (null), and no output holds a
    number JSON has not."""
    import json

    from tieng import Model
    from tieng.calibration import Calibration
    from tieng.cli import main
    from tieng.formats import word_objects, words_json

    m = seg.model
    bad = Model(m.vocabulary, m.lexicon, np.full(m.weights.shape, np.nan, np.float32), 0.0,
                m.spec, m.metadata, m.classes, m._lists)  # fmt: skip
    bad.calibration = Calibration(1.0, 0.0, 1.0 if word_map else None, 0.0)
    doc = Segmenter(bad)("Hà Nội có nhiều hồ đẹp.", confidence=True)
    decided = [w for w in doc.words if w.text != "."]  # (the tokenizer's, certain)
    assert decided and all(math.isnan(w.confidence) for w in decided)
    fields = words_json(doc, confidence=True)
    assert None in fields["confidence"] and "NaN" not in json.dumps(fields)
    assert None in [d["confidence"] for d in word_objects(doc.words, confidence=True)]
    path = tmp_path / "bad.tieng"
    bad.save(path)
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội có nhiều hồ đẹp.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", "-q", "--model", str(path), "--to", "jsonl", "--confidence",
                 str(src), "-o", str(out)]) == 0  # fmt: skip
    record = json.loads(out.read_text(encoding="utf-8"), parse_constant=pytest.fail)
    assert None in record["tieng"]["confidence"]
