"""The vocabulary (tieng.engine.vocabulary): token codes, their caches and bounds."""

import numpy as np
import pytest

import tieng

TEXT = (
    "Thủ tướng Chính phủ đã có văn bản giao TP. HCM hoàn thiện báo cáo trong tháng 6-2004.\n"
    "HỘI NGHỊ THƯỜNG NIÊN CỦA NGÂN HÀNG NHÀ NƯỚC diễn ra ở Hà Nội ngày 27/11/2023 🙂\n"
    "Ông Nguyễn Văn A nói: “Chúng tôi sẽ hoà giải, không để xảy ra xung đột.” xã hội chủ nghĩa"
)


def test_compiled_code_lookups_agree_even_when_the_cache_is_cleared(monkeypatch):
    from tieng.engine import vocabulary
    from tieng.engine.vocabulary import Vocabulary

    monkeypatch.setattr(vocabulary, "_CACHE_LIMIT", 5)  # cleared again and again
    tokens = [t.text for t in tieng.tokenize(TEXT)] + [" ", "\n", "\u00a0", "Hà", "hà"] * 3
    compiled = Vocabulary(["hà", "nội", "tôi"], 1)
    reference = Vocabulary(["hà", "nội", "tôi"], 1)
    expected = np.array([reference.code(t) for t in tokens], np.int64)
    for _ in range(2):
        assert np.array_equal(compiled.codes(tokens), expected)
    assert len(compiled._cache) <= 5
    with pytest.raises(TypeError):
        compiled.codes([1, 2])


def test_the_code_caches_are_bounded_by_characters_too(monkeypatch):
    """Long distinct tokens (URLs, encoded blobs) cannot grow a token cache without end."""
    from tieng.engine import vocabulary
    from tieng.engine.vocabulary import Vocabulary

    monkeypatch.setattr(vocabulary, "_CACHE_CHARS", 1000)
    vocab = Vocabulary(["hà", "nội"], 1)
    reference = Vocabulary(["hà", "nội"], 1)
    tokens = [f"https://example.com/{i:03d}/" + "x" * 80 for i in range(100)] + ["hà", "y" * 5000]
    got = vocab.codes(tokens)
    assert got.tolist() == [reference.code(t) for t in tokens]
    assert sum(map(len, vocab._cache)) <= 1000 and "hà" in vocab._cache
    assert len(vocab._cache) < 20  # the 100 URLs did not all stay
