import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tieng import Span, tokenize
from tieng.tokenization import split_pieces


def texts(s):
    return [t.text for t in tokenize(s)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Giá tăng 3,5% lên 1.000.000 đồng",
            ["Giá", "tăng", "3,5", "%", "lên", "1.000.000", "đồng"],
        ),
        ("nhiệt độ -2,5 độ", ["nhiệt", "độ", "-2,5", "độ"]),
        ("ngày 27/11/2023 và tháng 6-2004", ["ngày", "27/11/2023", "và", "tháng", "6-2004"]),
        ("từ 27-30/11 lúc 8h30 hay 10:30", ["từ", "27-30/11", "lúc", "8h30", "hay", "10:30"]),
        ("xem https://vnexpress.net/a-b.html.", ["xem", "https://vnexpress.net/a-b.html", "."]),
        ("gửi tới toasoan@tuoitre.com.vn,", ["gửi", "tới", "toasoan@tuoitre.com.vn", ","]),
        ("@minh_anh và #TinNóng", ["@minh_anh", "và", "#TinNóng"]),
        ("TP. HCM và Tp.HCM", ["TP.", "HCM", "và", "Tp.HCM"]),
        (
            "GS. Lê, PGS.TS. Trần, U.S. Army",
            ["GS.", "Lê", ",", "PGS.TS.", "Trần", ",", "U.S.", "Army"],
        ),
        ("Sau đó... Xong…", ["Sau", "đó", "...", "Xong", "…"]),
        # Runs of ! and ? split, as in the training data ("! ?" 61 times, never "!?").
        ("Thật sao!? Hay quá!!", ["Thật", "sao", "!", "?", "Hay", "quá", "!", "!"]),
        ("vui quá :) 😀👍🏽", ["vui", "quá", ":)", "😀", "👍🏽"]),
        ("gia đình 👨‍👩‍👧 tôi", ["gia", "đình", "👨‍👩‍👧", "tôi"]),
        ("(Hà Nội)", ["(", "Hà", "Nội", ")"]),
        ("“Tốt”, ông nói.", ["“", "Tốt", "”", ",", "ông", "nói", "."]),
        ("1. Mở đầu", ["1", ".", "Mở", "đầu"]),
        ("năm 2004.", ["năm", "2004", "."]),
        ("ông Nguyễn Văn A.", ["ông", "Nguyễn", "Văn", "A", "."]),
        ("ông A. Nguyễn", ["ông", "A.", "Nguyễn"]),
        # Initials keep their dot inside a line; at its end the dot ends the sentence.
        ("Tin: V.H.Q.", ["Tin", ":", "V.H.Q", "."]),
        ("Tin: V.H.Q.\nẢnh: Đ.TR. ", ["Tin", ":", "V.H.Q", ".", "Ảnh", ":", "Đ.TR", "."]),
        ("V.H.Q. và Đ.TR. viết", ["V.H.Q.", "và", "Đ.TR.", "viết"]),
        ("vân vân v.v.", ["vân", "vân", "v.v."]),
        ("Co-op Mart, H'Mông", ["Co-op", "Mart", ",", "H'Mông"]),
        ("v.v. và v.v...", ["v.v.", "và", "v.v..."]),
        ("H5N1 m2 1A", ["H5N1", "m2", "1A"]),
        # Web text: addresses without a scheme and file names stay whole, as in training.
        ("đọc vnexpress.net, tuoitre.vn.", ["đọc", "vnexpress.net", ",", "tuoitre.vn", "."]),
        ("xem home.vnn.vn/tin-tuc/a.html.", ["xem", "home.vnn.vn/tin-tuc/a.html", "."]),
        ("trên MSN.com và VNEXPRESS.NET", ["trên", "MSN.com", "và", "VNEXPRESS.NET"]),
        ("gửi báo_cáo.docx và ảnh.JPG", ["gửi", "báo_cáo.docx", "và", "ảnh.JPG"]),
        # ... but two sentences glued at a full stop are still two sentences.
        ("hết ngày.Tuy vậy", ["hết", "ngày", ".", "Tuy", "vậy"]),
        ("the end.It was", ["the", "end", ".", "It", "was"]),
        ("biến snake_case và a_b_c", ["biến", "snake_case", "và", "a_b_c"]),
        ("bản v1.2.3 của Python3.11", ["bản", "v1.2.3", "của", "Python3.11"]),
        # Document numbers split at the slashes, dates do not.
        (
            "Luật số 10/2012/QH13 ngày 3/2/2020",
            ["Luật", "số", "10", "/", "2012", "/", "QH13", "ngày", "3/2/2020"],
        ),
        ("số 15/2020/NĐ-CP", ["số", "15", "/", "2020", "/", "NĐ-CP"]),
        ("nắng 25°C, đêm 20 °C", ["nắng", "25", "°C", ",", "đêm", "20", "°C"]),
        ("góc 15°45", ["góc", "15", "°", "45"]),
        ("", []),
        ("   \n\t ", []),
    ],
)
def test_token_conventions(text, expected):
    assert texts(text) == expected


def test_offsets_point_into_original():
    text = "  Thủ tướng\tChính phủ,\n\nTP. HCM  "
    for tok in tokenize(text):
        assert isinstance(tok, Span)
        assert text[tok.start : tok.end] == tok.text


def test_nfd_syllables_stay_whole():
    nfd = unicodedata.normalize("NFD", "Thủ tướng hoà bình")
    assert len(tokenize(nfd)) == 4


def test_pretokenized_splits_on_white_space_only():
    assert texts("TP.HCM, 3,5%") == ["TP.HCM", ",", "3,5", "%"]
    assert [t.text for t in tokenize("TP.HCM, 3,5%", pretokenized=True)] == ["TP.HCM,", "3,5%"]


@given(st.text())
def test_pieces_rebuild_any_input(text):
    assert "".join(split_pieces(text)) == text
    assert "".join(split_pieces(text, pretokenized=True)) == text


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_token_offsets_rebuild_any_input(text):
    toks = tokenize(text)
    pos = 0
    rebuilt = []
    for t in toks:
        assert t.start >= pos and t.end > t.start
        assert text[t.start : t.end] == t.text
        between = text[pos : t.start]
        assert not between or all(
            c.isspace() or c in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff" for c in between
        )
        rebuilt.append(between + t.text)
        pos = t.end
    rebuilt.append(text[pos:])
    assert "".join(rebuilt) == text


@pytest.mark.parametrize("token", ["vnexpress.net", "home.vnn.vn/tin", "data.csv", "www.a.vn"])
def test_addresses_and_file_names_are_links(token):
    from tieng.engine.features import JOINABLE, Shape
    from tieng.engine.vocabulary import shape_of

    assert shape_of(token) == Shape.LINK
    assert not JOINABLE[Shape.LINK]  # never part of a multi-syllable word


@pytest.mark.parametrize("token", ["TP.", "PGS.TS.", "Tp.HCM", "U.S."])
def test_abbreviations_are_not_links(token):
    from tieng.engine.features import Shape
    from tieng.engine.vocabulary import shape_of

    assert shape_of(token) == Shape.DOTTED


# Pieces chosen to meet the patterns that look past a token: abbreviations before a name,
# initials at a line's end, addresses, numbers, and runs of white space of every length.
_ATOMS = [
    *("H.G.", "U.S.", "TP.", "GS.", "tp.", "đ.m.", "qua", ".Nó", "vnexpress", ".net", ".vn"),
    *("data", ".csv", "_", "a", "Hà", "/", "45", "2004", "NQ", "°C", "°", "!", "?", "v1", ".2"),
    *(".", "..", "@", "#", "-", "www.", "http://", "(", ")", "“", ",", "HCM"),
    *(" ", "  ", "   ", "       ", "\n", "\t", "\u00a0"),
]


@given(st.lists(st.sampled_from(_ATOMS), max_size=16).map("".join))
@settings(max_examples=400)
def test_the_fast_scan_cuts_like_the_pattern(text):
    from tieng.tokenization import scan

    tokens, starts, _ = scan(text)
    assert list(zip(tokens, starts)) == [(t.text, t.start) for t in tokenize(text)]


def test_the_fast_scan_sees_far_enough():
    from tieng.tokenization import scan

    text = "aU.S.    \t   °@\t"  # once cut differently: the look-ahead saw past scan's window
    assert scan(text)[0] == texts(text)


def test_long_runs_of_combining_marks_stay_linear():
    # "Zalgo" text: letters under long runs of combining marks.  A pattern that could split a
    # run of marks in many ways once took exponential time here (found by hypothesis).
    word = ("r" + "\u0317\u0318\u0301" * 8) * 6
    text = f"{word} {word}- x"
    assert "".join(split_pieces(text)) == text
    assert texts(text) == [word, word, "-", "x"]


# Raw text as people type it (issue 25): what the training data writes apart comes apart
# whether or not the input has the space; what it keeps whole stays whole.
GLUED_AND_SPACED = [
    ("Giá tăng 20% so với", "Giá tăng 20 % so với"),
    ("Giá 140.000đ/kg", "Giá 140.000 đ / kg"),
    ("đi 5km rồi", "đi 5 km rồi"),
    ("cao 1.600m", "cao 1.600 m"),
    ("rộng 50m2 và 3ha", "rộng 50 m2 và 3 ha"),
    ("giá 395USD", "giá 395 USD"),
    ("công suất 110kV", "công suất 110 kV"),
    ("giai đoạn 2010-2015", "giai đoạn 2010 - 2015"),
    ("làm 6-7 giờ", "làm 6 - 7 giờ"),
    ("từ 1.000-2.000 người", "từ 1.000 - 2.000 người"),
    ("tăng 3,5%/năm", "tăng 3,5 % / năm"),
    ("lãi 20-30%", "lãi 20 - 30 %"),
    ("chỉ 8h", "chỉ 8 h"),
]


@pytest.mark.parametrize(("glued", "spaced"), GLUED_AND_SPACED)
def test_glued_forms_give_the_tokens_of_their_spaced_forms(glued, spaced):
    assert texts(glued) == texts(spaced) == spaced.split()
    for t in tokenize(glued):  # still exact slices of the input
        assert glued[t.start : t.end] == t.text


@pytest.mark.parametrize(
    "whole",
    ["6-2004", "12-2003", "8-3-2004", "27/11/2023", "27-30/11", "8h30", "8g30", "10:30",
     "6x14", "1A", "53S5", "3G", "F-16", "COVID-19", "v1.2.3", "-2,5", "1.000.000", "3,5",
     "10:30-11:00", "www.x.vn", "a@b.vn"],
)  # fmt: skip
def test_what_the_training_data_keeps_whole_stays_whole(whole):
    assert texts(f"số {whole} nhé") == ["số", whole, "nhé"]


def test_glued_forms_segment_like_spaced_forms():
    import tieng

    seg = tieng.Segmenter()
    for glued, spaced in GLUED_AND_SPACED:
        assert seg.segment_text(glued) == seg.segment_text(spaced)


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_links_stop_at_invisible_characters(invisible):
    for link in ("www.x.vn", "https://a.vn/x", "vnexpress.net/tin"):
        text = f"xem {link}{invisible}nhé"
        assert texts(text) == ["xem", link, "nhé"]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("5km-10km", ["5", "km", "-", "10", "km"]),
        ("1.000km-2.000km", ["1.000", "km", "-", "2.000", "km"]),
        ("20%-30%", ["20", "%", "-", "30", "%"]),
        ("còn -3%", ["còn", "-3", "%"]),
        ("a ==> b", ["a", "==>", "b"]),
        ("x -> y <-- z", ["x", "->", "y", "<--", "z"]),
        ("b<-1", ["b", "<", "-1"]),
        ("6-2004", ["6-2004"]),
    ],
)
def test_ranges_with_units_and_arrows_are_cut_as_other_tokenizers_expect(text, tokens):
    assert [s.text for s in tokenize(text)] == tokens


def test_eth_typed_for_d_with_stroke_is_read_and_normalized_as_it():
    from tieng import normalize, segment_text
    from tieng.normalization import canonical_key

    assert normalize("ÐÀ NẴNG và ðường") == "ĐÀ NẴNG và đường"
    assert canonical_key("Ðà", 2) == canonical_key("Đà", 2)
    assert segment_text("Ðà Nẵng") == "Ðà_Nẵng"  # read as Đà Nẵng, written as typed


@pytest.mark.parametrize("prime", ["\u02ba", "\u02b9"])
def test_a_modifier_prime_typed_as_a_quote_is_a_token_of_its_own(prime):
    """ʺ (U+02BA) and ʹ (U+02B9) are letters to Unicode but quote marks to those who type
    them: they never stick to a word, in the compiled scan or in Python."""
    from tieng import segment_text

    text = f"{prime}Hà Nội{prime} là thủ đô"
    assert [s.text for s in tokenize(text)] == [prime, "Hà", "Nội", prime, "là", "thủ", "đô"]
    assert segment_text(text) == f"{prime} Hà_Nội {prime} là thủ_đô"
