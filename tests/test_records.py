"""Records (tieng.corpus.records): decoding lines and chunks of input."""

import pytest

import tieng
from tieng.corpus import runner as corpus


def test_syllable_count_of_huge_lines_matches_split():
    from tieng.corpus.records import count_syllables as _count_syllables

    line = "Hà Nội\u00a0mùa\x1cthu\u2028 đẹp\u200blắm  \t" * 20_000  # over the 100,000 threshold
    assert len(line) > 100_000
    assert _count_syllables(line) == len(line.split())
    assert _count_syllables(line[:50]) == len(line[:50].split())


@pytest.mark.parametrize("first_line", [1, 7])
@pytest.mark.parametrize("output_format", ["text", "jsonl"])
def test_whole_chunk_decoding_gives_what_line_by_line_gives(monkeypatch, first_line, output_format):
    """Valid UTF-8 chunks skip the per-line loop; byte-order mark, CRLF, a lone CR, blank
    lines and a last line without an end come out as the line-by-line path gives them."""
    data = "\ufeffHà Nội mưa.\r\n\r\nTôi đi học\rxa\n \n\u2028Việt Nam\r\nthủ đô\r".encode()
    seg = tieng.Segmenter()
    options = corpus.Options(output_format=output_format)
    task = corpus._Task(0, "in.txt", first_line, 0, data, True, options)
    fast = corpus._process(seg, task)
    monkeypatch.setattr(corpus, "decode_text_chunk", lambda data, first_byte: None)
    slow = corpus._process(seg, task)
    assert fast == slow
    # A lone CR ends a line of text as LF and CRLF do (old Mac files: issue 40, item 12).
    assert fast.records == 7 and fast.nbytes == len(data) and fast.syllables == 11
    if output_format == "text":
        # Line ends (a lone CR too) and a line break inside a record (U+2028) are kept.
        assert fast.data.decode() == (
            "Hà_Nội mưa .\r\n\r\nTôi đi học\rxa\n\n\u2028Việt_Nam\r\nthủ_đô\r"
        )
