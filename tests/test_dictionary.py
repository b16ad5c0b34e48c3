"""User dictionaries: words always joined, sequences never joined, and their semantics."""

import json
import pickle
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tieng import DictionaryError, Segmenter, UserDictionary
from tieng.cli import main


@pytest.fixture(scope="module")
def seg():
    return Segmenter()


def test_a_user_word_is_joined_where_it_occurs(seg):
    text = "Nhóm nghiên cứu trí tuệ nhân tạo và học máy"
    mine = seg.with_dictionary(UserDictionary(["trí tuệ nhân tạo", "học_máy"]))
    out = mine.segment_text(text)
    assert "trí_tuệ_nhân_tạo" in out.split()
    assert "học_máy" in out.split()


def test_matching_ignores_case_tone_style_and_normal_form(seg):
    mine = seg.with_dictionary(UserDictionary(["hoà bình xanh"]))
    for text in ["Hòa Bình Xanh", "HOÀ BÌNH XANH", unicodedata.normalize("NFD", "hoà bình xanh")]:
        words = [w.text for w in mine(f"Dự án {text} khởi công")]
        assert text in words, (text, words)


def test_digits_are_not_folded(seg):
    mine = seg.with_dictionary(UserDictionary(["nhóm G7"]))
    assert "nhóm G7" in [w.text for w in mine("Hội nghị nhóm G7 họp")]
    assert "nhóm G8" not in [w.text for w in mine("Hội nghị nhóm G8 họp")]


def test_a_user_word_is_cut_from_its_neighbours(seg):
    # The model joins "Nguyễn Văn An"; the user word "Văn An" must stand alone.
    assert "Nguyễn Văn An" in [w.text for w in seg("Ông Nguyễn Văn An đến")]
    mine = seg.with_dictionary(UserDictionary(["Văn An"]))
    assert [w.text for w in mine("Ông Nguyễn Văn An đến")] == ["Ông", "Nguyễn", "Văn An", "đến"]


def test_longest_match_wins_then_leftmost(seg):
    mine = seg.with_dictionary(UserDictionary(["học sinh", "sinh viên giỏi"]))
    assert mine.segment_text("học sinh viên giỏi") == "học sinh_viên_giỏi"
    mine = seg.with_dictionary(UserDictionary(["học sinh", "sinh viên"]))
    assert mine.segment_text("học sinh viên") == "học_sinh viên"


def test_never_join_splits_inside_and_keeps_the_model_outside(seg):
    assert seg.segment_text("Thành phố Hà Nội") == "Thành_phố Hà_Nội"
    mine = seg.with_dictionary(UserDictionary(never_join=["phố Hà", "Hà Nội"]))
    assert mine.segment_text("Thành phố Hà Nội") == "Thành_phố Hà Nội"


def test_a_one_syllable_never_join_entry_is_a_word_of_its_own(seg):
    mine = seg.with_dictionary(UserDictionary(never_join=["phố"]))
    assert mine.segment_text("Thành phố Hà Nội") == "Thành phố Hà_Nội"


def test_a_longer_user_word_beats_a_never_join_entry(seg):
    d = UserDictionary(["Bộ Giáo dục"], never_join=["Giáo dục"])
    mine = seg.with_dictionary(d)
    assert mine.segment_text("Bộ Giáo dục ra quy định về giáo dục") == (
        "Bộ_Giáo_dục ra quy_định về giáo dục"
    )


def test_the_same_entry_in_both_lists_is_an_error():
    with pytest.raises(DictionaryError, match="both"):
        UserDictionary(["Hà Nội"], never_join=["hà_nội"])


def test_no_match_across_a_line_break(seg):
    mine = seg.with_dictionary(UserDictionary(["mưa to"]))
    assert mine.segment_text("trời mưa\nto gió") == "trời mưa\nto gió"
    assert mine.segment_text("trời mưa to") == "trời mưa_to"


def test_user_words_may_join_across_punctuation(seg):
    mine = seg.with_dictionary(UserDictionary(["COVID - 19"]))
    assert [w.text for w in mine("Dịch COVID - 19 lan rộng")][1] == "COVID - 19"


def test_offsets_stay_exact(seg):
    text = "  Trí   tuệ nhân\ttạo,  HỌC MÁY!  "
    mine = seg.with_dictionary(UserDictionary(["trí tuệ nhân tạo", "học máy"]))
    words = mine(text).words
    assert all(text[w.start : w.end] == w.text for w in words)
    assert [w.text for w in words] == ["Trí   tuệ nhân\ttạo", ",", "HỌC MÁY", "!"]


def test_the_original_segmenter_is_unchanged(seg):
    text = "Thành phố Hà Nội"
    mine = seg.with_dictionary(UserDictionary(never_join=["Hà Nội"]))
    assert mine.segment_text(text) != seg.segment_text(text) == "Thành_phố Hà_Nội"
    assert mine.model is seg.model
    assert seg.with_dictionary(None).segment_text(text) == seg.segment_text(text)


def test_dictionary_decisions_are_certain(seg):
    mine = seg.with_dictionary(UserDictionary(["trí tuệ nhân tạo"]))
    words = mine("về trí tuệ nhân tạo", confidence=True).words
    assert words[-1].text == "trí tuệ nhân tạo" and words[-1].confidence == 1.0


def test_pickles_with_its_dictionary(seg):
    mine = seg.with_dictionary(UserDictionary(["mưa to"], never_join=["Hà Nội"]))
    back = pickle.loads(pickle.dumps(mine))
    assert back.dictionary == mine.dictionary
    assert back.segment_text("Hà Nội mưa to") == "Hà Nội mưa_to"
    assert len(pickle.dumps(mine)) < 1000


def test_pretokenized_segmenter_uses_the_dictionary():
    mine = Segmenter(pretokenized=True, dictionary=UserDictionary(["mưa to"]))
    assert mine.segment_text("Hà Nội mưa to .") == "Hà_Nội mưa_to ."


def test_read_files(tmp_path):
    words = tmp_path / "words.txt"
    words.write_bytes("\ufeff# comment\ntrí_tuệ nhân_tạo\n\n  học   máy  \r\n".encode())
    never = tmp_path / "never.txt"
    never.write_text("Hà Nội\n", encoding="utf-8")
    d = UserDictionary.read(words, never)
    assert d.words == ("trí_tuệ nhân_tạo", "học máy")
    assert d.never_join == ("Hà Nội",)
    assert len(d) == 3 and bool(d)
    assert not UserDictionary()


def test_read_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\nbad \xff\n")
    with pytest.raises(DictionaryError, match=r"bad\.txt, line 2: invalid UTF-8"):
        UserDictionary.read(bad)
    with pytest.raises(DictionaryError, match="cannot read"):
        UserDictionary.read(tmp_path / "missing.txt")


def test_wrong_types_are_rejected():
    with pytest.raises(TypeError):
        UserDictionary("Hà Nội")
    with pytest.raises(TypeError):
        UserDictionary([1])
    with pytest.raises(TypeError):
        Segmenter(dictionary=["Hà Nội"])


def test_cli_user_dict_and_never_join(tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_text("trí tuệ nhân tạo\n", encoding="utf-8")
    never = tmp_path / "never.txt"
    never.write_text("Hà Nội\n", encoding="utf-8")
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội nghiên cứu trí tuệ nhân tạo\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    args = ["segment", str(src), "-o", str(out), "--user-dict", str(words)]
    assert main([*args, "--never-join", str(never), "-q"]) == 0
    assert out.read_text(encoding="utf-8") == "Hà Nội nghiên_cứu trí_tuệ_nhân_tạo\n"


def test_cli_bad_dictionary_exits_2(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    assert main(["segment", str(src), "--user-dict", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err


def test_cli_jsonl_confidence(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Hà Nội mưa to."}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(src), "--format", "jsonl", "--confidence", "-o", str(out)]) == 0
    rec = json.loads(out.read_text(encoding="utf-8"))["tieng"]
    assert rec["words"] == ["Hà Nội", "mưa", "to", "."]
    assert len(rec["confidence"]) == 4 and rec["confidence"][-1] == 1.0
    assert all(0.5 < c <= 1.0 for c in rec["confidence"])
    txt = tmp_path / "in.txt"  # text in, text out: no place for confidences
    txt.write_text("Hà Nội mưa to.\n", encoding="utf-8")
    assert main(["segment", str(txt), "--confidence"]) == 2
    assert "--confidence" in capsys.readouterr().err


def reference_matches(d, tokens, breaks):
    """The documented rule, the slow way: longest first, then leftmost; never-join entries
    only clash with user words."""
    key = lambda t: unicodedata.normalize("NFC", t).lower()  # noqa: E731
    entries = {}
    for kind, group in ((1, d.words), (2, d.never_join)):
        for e in group:
            entries[tuple(key(s) for s in e.replace("_", " ").split())] = kind
    sentence, found = [], []
    for b in breaks:
        sentence.append((sentence[-1] if sentence else 0) + int(b))
    for length in range(max(map(len, entries), default=0), 0, -1):
        for s in range(len(tokens) - length + 1):
            if sentence[s] != sentence[s + length - 1]:
                continue
            kind = entries.get(tuple(key(t) for t in tokens[s : s + length]))
            if kind:
                found.append((s, length, kind))
    taken, joined, won = set(), set(), []
    for s, length, kind in found:
        span = set(range(s, s + length))
        if not span & (joined if kind == 2 else taken):
            taken |= span
            if kind == 1:
                joined |= span
            won.append((s, length, kind))
    return sorted(won)


SYLLABLES = ["a", "b", "c", "d"]


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=4), max_size=6),
    never=st.lists(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=3), max_size=3),
    tokens=st.lists(st.sampled_from([*SYLLABLES, "A", "x"]), max_size=30),
    data=st.data(),
)
def test_matching_follows_the_documented_rule(words, never, tokens, data):
    words = [" ".join(w) for w in words]
    never = [" ".join(w) for w in never if " ".join(w) not in words]
    d = UserDictionary(words, never)
    n = len(tokens)
    breaks = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    if len(breaks):
        breaks[0] = True
    assert d.matches(tokens, breaks) == reference_matches(d, tokens, breaks)


def test_matching_ignores_the_i_y_spelling(seg):
    mine = seg.with_dictionary(UserDictionary(["kỹ sư trưởng"]))
    assert "kĩ sư trưởng" in [w.text for w in mine("Ông là kĩ sư trưởng")]


def test_serve_with_a_bad_dictionary_exits_2(tmp_path, capsys):
    assert main(["serve", "--user-dict", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err


# ------------------------------------------------------------------ known words (soft)
# "nội suy" (interpolation) is in no training sentence and no word list: the bundled model
# splits it.
def test_a_known_word_enters_the_lexicon_and_is_joined(seg):
    # "nội suy" (interpolation) is in neither the training data nor the word lists.
    text = "Đây là phép nội suy quen thuộc"
    assert "nội_suy" not in seg.segment_text(text).split()
    mine = seg.with_dictionary(UserDictionary(known=["nội suy"]))
    assert "nội_suy" in mine.segment_text(text).split()
    assert "nội_suy" not in seg.segment_text(text).split()  # the original is unchanged
    assert mine.model is seg.model  # the loaded model is shared, not changed
    assert seg.model.lexicon_status([["nội", "suy"]]) == ["new"]


def test_a_known_word_is_a_hint_not_a_rule(seg):
    # "nói về" (to speak about) is two words everywhere in the training data: as a user word
    # it is joined, as a known word the context can keep it apart.
    text = "Ông ấy đã có bài nói về vấn đề này"
    assert "nói_về" in seg.with_dictionary(UserDictionary(["nói về"])).segment_text(text)
    soft = seg.with_dictionary(UserDictionary(known=["nói về"]))
    assert soft.segment_text(text) == seg.segment_text(text) == "Ông ấy đã có bài nói về vấn_đề này"


def test_known_word_confidence_is_the_model_s(seg):
    mine = seg.with_dictionary(UserDictionary(known=["nội suy"]))
    words = mine("phép nội suy", confidence=True).words
    assert words[-1].text == "nội suy" and 0.5 < words[-1].confidence < 1.0


def test_unusable_known_words_are_left_out(seg):
    assert seg.model.lexicon_status([["thành", "phố"], ["qwzx", "dụ"], ["dụ"]]) == [
        "known",
        "unusable",
        "unusable",
    ]
    mine = seg.with_dictionary(UserDictionary(known=["qwzx dụ", "dụ"]))
    assert len(mine.model.with_words(mine.dictionary.known_syllables()).lexicon) == len(
        seg.model.lexicon
    )
    assert mine.segment_text("qwzx dụ") == seg.segment_text("qwzx dụ")


def test_pickles_with_its_known_words(seg):
    mine = seg.with_dictionary(UserDictionary(known=["nội suy"]))
    back = pickle.loads(pickle.dumps(mine))
    assert back.dictionary == mine.dictionary != UserDictionary()
    assert back.segment_text("phép nội suy") == "phép nội_suy"
    assert len(pickle.dumps(mine)) < 1000


def test_read_known_words(tmp_path):
    known = tmp_path / "known.txt"
    known.write_text("# terms\nnội_suy\nẩn dụ\n", encoding="utf-8")
    d = UserDictionary.read(known=known)
    assert d.known == ("nội_suy", "ẩn dụ") and not d.words and len(d) == 2 and bool(d)
    assert d.known_syllables() == [["nội", "suy"], ["ẩn", "dụ"]]
    assert repr(d) == "UserDictionary(0 words, 0 never-join entries, 2 known)"
    with pytest.raises(TypeError):
        UserDictionary(known="nội suy")


def test_cli_known_words(tmp_path, capsys):
    known = tmp_path / "known.txt"
    known.write_text("nội suy\nthành phố\nqwzx dụ\n", encoding="utf-8")
    src = tmp_path / "in.txt"
    src.write_text("Thành phố là phép nội suy\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["segment", str(src), "-o", str(out), "--known-words", str(known)]) == 0
    assert out.read_text(encoding="utf-8") == "Thành_phố là phép nội_suy\n"
    err = capsys.readouterr().err
    assert "1 word new to the model, 1 known already, 1 left out" in err
    assert main(["segment", str(src), "--known-words", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(
    known=st.lists(st.text(min_size=1, max_size=20), max_size=5),
    text=st.text(max_size=60),
)
def test_known_words_never_lose_or_move_characters(seg, known, text):
    from tieng.tokenization import SPACE_CHARS

    spans = seg.with_dictionary(UserDictionary(known=known))(text).words
    assert all(text[s.start : s.end] == s.text for s in spans)
    pos = 0
    for s in spans:  # in order, not overlapping, only white space between them
        assert s.start >= pos and all(ch in SPACE_CHARS for ch in text[pos : s.start])
        pos = s.end
    assert all(ch in SPACE_CHARS for ch in text[pos:])


def test_ignoring_diacritics_matches_text_typed_without_them():
    d = UserDictionary(["trí tuệ nhân tạo"], never_join=["bộ trưởng"])
    assert d.matches(["tri", "tue", "nhan", "tao"], np.array([True, False, False, False])) == []
    bare = d.ignoring_diacritics()
    assert bare.ignore_diacritics and bare == UserDictionary(
        d.words, d.never_join, ignore_diacritics=True
    )
    assert bare.matches(["tri", "tue", "nhan", "tao"], np.array([True, False, False, False])) == [
        (0, 4, 1)
    ]
    again = pickle.loads(pickle.dumps(bare))
    assert again == bare and again.ignore_diacritics and "ignore_diacritics" in repr(again)
    with pytest.raises(DictionaryError, match="both a word to join"):
        UserDictionary(["bàn tay"], never_join=["ban tay"]).ignoring_diacritics()


def test_an_unaccented_model_matches_its_dictionary_without_diacritics():
    d = UserDictionary(["trí tuệ nhân tạo"], never_join=["bộ trưởng"])
    seg = Segmenter("vlsp2013-unaccented", dictionary=d)
    assert seg.dictionary is d  # what the user gave is kept as it was
    text = "tri tue nhan tao va Bo truong Trí Tuệ Nhân Tạo"
    assert seg.segment_text(text) == "tri_tue_nhan_tao va Bo truong Trí_Tuệ_Nhân_Tạo"
    assert pickle.loads(pickle.dumps(seg)).segment_text(text) == seg.segment_text(text)
    # The default model reads diacritics, and so does its dictionary ...
    assert Segmenter("vlsp2013", dictionary=d).segment_text("tri tue nhan tao") == (
        "tri tue nhan tao"
    )
    # ... but the default segmenter hands text without them to the unaccented model.
    assert Segmenter(dictionary=d).segment_text("tri tue nhan tao") == "tri_tue_nhan_tao"


def test_cli_dictionary_that_clashes_without_diacritics_exits_2(tmp_path, capsys):
    words, never = tmp_path / "w.txt", tmp_path / "n.txt"
    words.write_text("bàn tay\n", encoding="utf-8")
    never.write_text("ban tay\n", encoding="utf-8")
    args = ["segment", "--user-dict", str(words), "--never-join", str(never)]
    assert main([*args, "--model", "vlsp2013-unaccented", str(words)]) == 2
    assert "both a word to join" in capsys.readouterr().err
    assert main([*args, str(words), "-q"]) == 0  # with diacritics the two entries differ


def test_a_long_entry_costs_work_in_proportion_to_its_length(monkeypatch):
    """An entry of n syllables is hashed in O(n) steps (it was O(n^2): 11 s at 2,000), and
    it still joins where it occurs whole."""
    from tieng import dictionary

    steps = []
    real = dictionary.extend_hash
    monkeypatch.setattr(dictionary, "extend_hash", lambda h, ids: steps.append(1) or real(h, ids))
    for n in (200, 400):
        steps.clear()
        d = UserDictionary([" ".join(["ba"] * n), "hà nội"])
        assert len(steps) <= n + 5
    text = "hôm nay " + " ".join(["ba"] * 400) + " ở hà nội"
    out = Segmenter("vlsp2013").with_dictionary(d).segment_text(text)
    assert out.startswith("hôm_nay " + "_".join(["ba"] * 400)) and out.endswith("hà_nội")
