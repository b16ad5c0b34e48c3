import pytest

from tieng import split_sentences


def sents(text):
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trời mưa. Tôi ở nhà.", ["Trời mưa.", "Tôi ở nhà."]),
        ("GS. Lê đến TP. HCM lúc 8h30. Ông nói.", ["GS. Lê đến TP. HCM lúc 8h30.", "Ông nói."]),
        ('Ông nói: "Tốt lắm." Rồi đi.', ['Ông nói: "Tốt lắm."', "Rồi đi."]),
        ("Bà hỏi: “Ai đó?” Không ai đáp.", ["Bà hỏi: “Ai đó?”", "Không ai đáp."]),
        ("(Xem thêm trang 5.) Tiếp theo.", ["(Xem thêm trang 5.)", "Tiếp theo."]),
        ("Chờ đã... rồi đi. Thế... Xong!", ["Chờ đã... rồi đi.", "Thế...", "Xong!"]),
        ("1. Mở đầu\n2. Nội dung", ["1. Mở đầu", "2. Nội dung"]),
        ("Năm 2004. Năm 2005.", ["Năm 2004.", "Năm 2005."]),
        ("Thật sao!? Hay quá!! Ừ.", ["Thật sao!?", "Hay quá!!", "Ừ."]),
        ("Hôm qua.Nó đến rồi.", ["Hôm qua.", "Nó đến rồi."]),
        (
            "Ảnh: Ngọc Thành Ngày 5/3, đoàn công tác đến.",
            ["Ảnh: Ngọc Thành", "Ngày 5/3, đoàn công tác đến."],
        ),
        ("", []),
    ],
)
def test_sentence_splitting(text, expected):
    assert sents(text) == expected


def test_sentence_offsets():
    text = "  Một. Hai!\n\nBa?  "
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
