"""tieng as spaCy's tokenizer, found through the package's entry points (the spacy extra)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng

spacy = pytest.importorskip("spacy")  # the spacy and test extras install it

CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "tieng.Tokenizer.v1"}}}


def test_a_blank_vietnamese_pipeline_segments_with_tieng():
    nlp = spacy.blank("vi", config=CONFIG)  # no import of tieng.spacy: the entry point
    doc = nlp("Thành phố sẽ đầu tư xây dựng tàu điện ngầm.")
    assert [t.text for t in doc] == [
        w.text for w in tieng.segment("Thành phố sẽ đầu tư xây dựng tàu điện ngầm.")
    ]
    assert [t.text for t in doc][:2] == ["Thành phố", "sẽ"]
    assert doc.text == "Thành phố sẽ đầu tư xây dựng tàu điện ngầm."


def test_white_space_is_kept_exactly_and_offsets_match_tieng():
    nlp = spacy.blank("vi", config=CONFIG)
    text = "  Hà Nội  có\nnhiều hồ đẹp. "
    doc = nlp(text)
    assert doc.text == text
    words = [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
    assert words == [(w.start, w.end) for w in tieng.segment(text).words]


def test_the_unaccented_model_through_the_config():
    config = {"nlp": {"tokenizer": {"@tokenizers": "tieng.Tokenizer.v1", "model": None}}}
    config["nlp"]["tokenizer"]["model"] = "vlsp2013-unaccented"
    nlp = spacy.blank("vi", config=config)
    assert [t.text for t in nlp("Toi yeu Ha Noi")] == ["Toi", "yeu", "Ha Noi"]


def test_a_pipeline_saves_and_loads_with_its_tokenizer(tmp_path):
    config = {"nlp": {"tokenizer": {"@tokenizers": "tieng.Tokenizer.v1"}}}
    config["nlp"]["tokenizer"]["model"] = "vlsp2013-unaccented"
    nlp = spacy.blank("vi", config=config)
    nlp.to_disk(tmp_path / "p")
    again = spacy.load(tmp_path / "p")
    assert again.tokenizer.model == "vlsp2013-unaccented"
    assert [t.text for t in again("Toi yeu Ha Noi")] == ["Toi", "yeu", "Ha Noi"]
    assert [[t.text for t in d] for d in again.pipe(["Hà Nội", "Việt Nam"])] == [
        ["Hà Nội"],
        ["Việt Nam"],
    ]


_NLP = spacy.blank("vi", config=CONFIG)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("aăâđeêoôơuưiy àáạ ĐHN\n\t.,-"), max_size=60))
def test_any_text_comes_back_whole(text):
    doc = _NLP(text)
    assert doc.text == text


def test_the_tagger_component_sets_tags_and_universal_tags():
    nlp = spacy.blank("vi", config=CONFIG)
    nlp.add_pipe("tieng_tagger")  # found through the entry point
    text = "Tôi yêu Việt Nam.\nHà Nội có nhiều hồ."
    doc = nlp(text)
    words = [t for t in doc if not t.is_space]
    assert [(t.text, t.tag_) for t in words] == [
        (w.text, w.tag) for w in tieng.segment(text, tags=True).words
    ]
    assert [t.pos_ for t in words][:3] == ["PRON", "VERB", "PROPN"]
    assert [(t.tag_, t.pos_) for t in doc if t.is_space] == [("_SP", "SPACE")]
    assert [d[0].tag_ for d in nlp.pipe(["Hà Nội có nhiều hồ", "Tôi đi học"])] == ["Np", "P"]


def test_the_parser_component_sets_heads_for_displacy():
    from spacy import displacy

    nlp = spacy.blank("vi", config=CONFIG)
    nlp.add_pipe("tieng_tagger")
    nlp.add_pipe("tieng_parser")
    text = "Tôi đọc sách.\nTrời mưa to."
    doc = nlp(text)
    words = [t for t in doc if not t.is_space]
    parsed = [w for s in tieng.segment(text, parse=True).sentences or [] for w in s]
    assert [t.text for t in words] == [w.text for w in parsed]
    assert [("ROOT" if w.head == 0 else w.deprel) for w in parsed] == [t.dep_ for t in words]
    assert [(t.text, t.dep_, t.head.text) for t in words[:3]] == [
        ("Tôi", "nsubj", "đọc"),
        ("đọc", "ROOT", "đọc"),
        ("sách", "obj", "đọc"),
    ]
    assert "<svg" in displacy.render(doc, style="dep", jupyter=False)
