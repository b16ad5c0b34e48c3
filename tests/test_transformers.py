"""tieng.transformers with Hugging Face's PhobertTokenizer, on a tiny vocabulary and BPE
codes written here (nothing downloaded)."""

import unicodedata

import pytest

import tieng
from tieng.transformers import encode

transformers = pytest.importorskip("transformers")  # the test extra installs it


@pytest.fixture(scope="module")
def phobert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phobert")
    vocab = ["Hà@@", "_@@", "Nội", "có", "nhiều", "hồ", ".", "Trời", "mưa", "to", "H@@", "à@@"]
    (folder / "vocab.txt").write_text("".join(f"{v} 1\n" for v in vocab), encoding="utf-8")
    (folder / "bpe.codes").write_text("#version: 0.2\nH à\nHà _\n", encoding="utf-8")
    return transformers.PhobertTokenizer(str(folder / "vocab.txt"), str(folder / "bpe.codes"))


def test_ids_are_the_tokenizers_and_offsets_point_at_the_raw_text(phobert):
    text = "Hà  Nội có nhiều hồ."
    (w,) = encode(phobert, [text])
    assert w.words == ["Hà_Nội", "có", "nhiều", "hồ", "."]
    assert w.input_ids == phobert(" ".join(w.words))["input_ids"]  # word by word = whole
    assert w.attention_mask == [1] * len(w.input_ids)
    assert w.word_ids[0] is None and w.word_ids[-1] is None
    pieces = [p for word in w.words for p in phobert.tokenize(word)]
    assert len(pieces) == len(w.input_ids) - 2
    for piece, span, word in zip(pieces, w.offsets[1:-1], w.word_ids[1:-1]):
        bare = piece.removesuffix("@@")
        raw = text[span[0] : span[1]]
        assert raw == bare or (bare == "_" and raw.isspace()), (piece, raw)
        assert w.words[word].replace("_", " ") in text.replace("  ", " ")


def test_long_texts_are_cut_at_sentence_ends_with_overlap(phobert):
    one = len(encode(phobert, ["Trời mưa to."])[0].input_ids) - 2  # ids of one sentence
    text = " ".join(["Trời mưa to."] * 6)
    size = 2 * one + 2  # two sentences a window
    windows = encode(phobert, [text, "", "Hà Nội."], max_length=size)
    first = [w for w in windows if w.text == 0]
    assert all(len(w.input_ids) <= size for w in windows)
    assert [w.words for w in first] == [["Trời", "mưa", "to", ".", "Trời", "mưa", "to", "."]] * 3
    assert [w.text for w in windows] == [0, 0, 0, 1, 2]
    assert windows[3].input_ids == [phobert.cls_token_id, phobert.sep_token_id]
    again = encode(phobert, [text], max_length=size, overlap=1)
    assert len(again) == 5 and again[1].words[:4] == again[0].words[4:]
    cut = encode(phobert, [text], max_length=one + 1)  # a sentence longer than a window
    assert all(len(w.input_ids) <= one + 1 for w in cut) and len(cut) > 6
    with pytest.raises(ValueError, match="max_length"):
        encode(phobert, [text], max_length=2)


def test_nfd_input_reaches_the_model_in_nfc(phobert):
    text = unicodedata.normalize("NFD", "Hà Nội có nhiều hồ")
    (w,) = encode(phobert, [text], segmenter=tieng.Segmenter())
    assert w.words == ["Hà_Nội", "có", "nhiều", "hồ"]
    assert all(0 <= a < b <= len(text) for a, b in w.offsets[1:-1])
