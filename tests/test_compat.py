"""The drop-ins of tieng.compat: the peers' signatures and output formats, from their
documented examples (the peers are not installed)."""

import pytest

import tieng
from tieng.compat import pyvi, underthesea, vncorenlp


def test_underthesea_word_tokenize_and_pos_tag_formats():
    text = "Chợ thịt chó nổi tiếng ở Sài Gòn bị truy quét"
    words = underthesea.word_tokenize(text)
    assert words == [w.text for w in tieng.segment(text)]
    assert all(isinstance(w, str) for w in words) and "Sài Gòn" in words
    assert underthesea.word_tokenize(text, format="text") == tieng.segment_text(text)
    tagged = underthesea.pos_tag(text)
    assert [w for w, _ in tagged] == words and ("Sài Gòn", "Np") in tagged
    with pytest.raises(ValueError, match="format"):
        underthesea.word_tokenize(text, format="json")


def test_underthesea_fixed_words_are_kept_whole():
    text = "Ông ấy bán hàng rong ở chợ"
    assert "bán hàng rong" not in underthesea.word_tokenize(text)
    fixed = underthesea.word_tokenize(text, fixed_words=["bán hàng rong"])
    assert fixed == ["Ông", "ấy", "bán hàng rong", "ở", "chợ"]
    assert underthesea.word_tokenize("a_b c", format="text") == "a_b c"  # nothing escaped


def test_pyvi_tokenize_and_postagging():
    assert pyvi.ViTokenizer.tokenize("Trường đại học bách khoa hà nội") == (
        "Trường đại_học bách_khoa hà_nội"
    )
    words, tags = pyvi.ViPosTagger.postagging("Trường đại_học Bách_Khoa Hà_Nội")
    assert words == ["Trường", "đại_học", "Bách_Khoa", "Hà_Nội"]
    assert len(tags) == 4 and tags[-1] == "Np"


def test_vncorenlp_word_segment_annotate_and_missing_stages():
    text = (
        "Ông Nguyễn Khắc Chúc đang làm việc tại Hà Nội. Bà Lan, vợ ông Chúc, cũng làm việc tại đây."
    )
    model = vncorenlp.VnCoreNLP(annotators=["wseg"], save_dir="/nowhere")
    assert model.word_segment(text) == [
        "Ông Nguyễn_Khắc_Chúc đang làm_việc tại Hà_Nội .",
        "Bà Lan , vợ ông Chúc , cũng làm_việc tại đây .",
    ]
    plain = model.annotate_text(text)
    assert list(plain) == [0, 1] and plain[0][1] == {"index": 2, "wordForm": "Nguyễn_Khắc_Chúc"}
    tagged = vncorenlp.VnCoreNLP(annotators=["wseg", "pos"]).annotate_text(text)
    assert tagged[0][1]["posTag"] == "Np"
    for stage in ("ner", "parse"):
        with pytest.raises(ValueError, match=stage):
            vncorenlp.VnCoreNLP(annotators=["wseg", stage])
    with pytest.raises(ValueError, match="unknown annotator"):
        vncorenlp.VnCoreNLP(annotators=["wsg"])
    with pytest.raises(ValueError, match="ner"):
        vncorenlp.VnCoreNLP()  # py_vncorenlp's default asks for every stage
