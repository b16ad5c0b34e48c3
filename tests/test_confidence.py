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


def test_confidence_is_the_calibrated_probability_of_the_decisions(seg):
    # "Hà Nội" alone: one gap, joined; the word is right when that join is.
    cal = seg.model.metadata.get("calibration", {})
    a, b = cal.get("scale", 1.0), cal.get("shift", 0.0)
    codes = seg.model.vocabulary.codes(["Hà", "Nội"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    (word,) = seg.segment_scored("Hà Nội")
    assert word.confidence == pytest.approx(1 / (1 + math.exp(-(a * score + b))), rel=1e-5)
    # Two one-syllable words: each is right when the gap between them is a boundary.
    codes = seg.model.vocabulary.codes(["mưa", "to"])
    score = float(seg.model.join_scores(codes, np.array([True, False]))[0])
    first, second = seg.segment_scored("mưa to")
    expected = 1 - 1 / (1 + math.exp(-(a * score + b)))
    assert first.confidence == second.confidence == pytest.approx(expected, rel=1e-5)


def test_bundled_model_is_calibrated(seg):
    cal = seg.model.metadata["calibration"]
    assert 0 < cal["scale"] and "dev" in cal["fitted_on"]
