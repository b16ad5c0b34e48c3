"""Word confidences: what they are computed from, and that they travel with the words."""

import math

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
        scored = seg.segment_scored(text)
        assert [(w.text, w.start, w.end) for w in scored] == [
            tuple(w) for w in seg.segment_spans(text)
        ]
        assert all(isinstance(w, Word) and 0.0 < w.confidence <= 1.0 for w in scored)


def test_pipe_scored_matches_one_by_one(seg):
    assert list(seg.pipe_scored(TEXTS, batch_size=2)) == [seg.segment_scored(t) for t in TEXTS]


def test_pipe_scored_in_worker_processes(seg):
    many = TEXTS * 3
    assert list(seg.pipe_scored(many, batch_size=4, n_process=2)) == [
        seg.segment_scored(t) for t in many
    ]


def test_long_texts_cut_into_windows_keep_offsets(seg):
    text = " ".join(TEXTS[:2]) * 400  # longer than one analysis window
    words = seg.segment_scored(text)
    assert all(text[w.start : w.end] == w.text for w in words)
    assert [w.text for w in words] == seg.segment(text)


def test_punctuation_decided_by_the_tokenizer_is_certain(seg):
    words = seg.segment_scored("Hà Nội, Huế.")
    assert [w.confidence for w in words if w.text in ",."] == [1.0, 1.0]


def _word_map(p: float, cal: dict) -> float:
    if "word_scale" not in cal:
        return p
    z = cal["word_scale"] * math.log(p / (1 - p)) + cal.get("word_shift", 0.0)
    return 1 / (1 + math.exp(-z))


def test_confidence_is_the_calibrated_probability_of_the_decisions(seg):
    # "Hà Nội" alone: one gap, joined; the word is right when that join is.
    cal = seg.model.metadata.get("calibration", {})
    a, b = cal.get("scale", 1.0), cal.get("shift", 0.0)
    codes = seg.model.vocabulary.codes(["Hà", "Nội"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    (word,) = seg.segment_scored("Hà Nội")
    expected = _word_map(1 / (1 + math.exp(-(a * score + b))), cal)
    assert word.confidence == pytest.approx(expected, rel=1e-5)
    # Two one-syllable words: each is right when the gap between them is a boundary.
    codes = seg.model.vocabulary.codes(["mưa", "to"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    first, second = seg.segment_scored("mưa to")
    expected = _word_map(1 - 1 / (1 + math.exp(-(a * score + b))), cal)
    assert first.confidence == second.confidence == pytest.approx(expected, rel=1e-5)


def test_bundled_model_is_calibrated(seg):
    cal = seg.model.metadata["calibration"]
    assert 0 < cal["scale"] and "dev" in cal["fitted_on"]


def test_word_level_calibration_maps_the_product_of_the_gaps(seg):
    from tieng import Model

    model = Model.from_bytes(seg.model.to_bytes())
    cal = {k: v for k, v in model.metadata["calibration"].items() if not k.startswith("word_")}
    model.metadata["calibration"] = cal
    plain = Segmenter(model)
    model2 = Model.from_bytes(seg.model.to_bytes())
    model2.metadata["calibration"] = {**cal, "word_scale": 0.5, "word_shift": -1.0}
    mapped = Segmenter(model2)
    text = "Ông Nguyễn Văn An, 45 tuổi, làm kỹ sư phần mềm."
    before, after = plain.segment_scored(text), mapped.segment_scored(text)
    assert [w[:3] for w in before] == [w[:3] for w in after]  # the words do not change
    for b, a in zip(before, after):
        if b.confidence == 1.0:  # decided by the tokenizer: stays certain
            assert a.confidence == 1.0
        else:
            z = 0.5 * math.log(b.confidence / (1 - b.confidence)) - 1.0
            assert a.confidence == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-6)
    assert any(b.confidence != 1.0 for b in before)
