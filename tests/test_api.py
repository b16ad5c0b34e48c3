"""The public API: one result type, one call and one pipe, the same words on every path."""

import json

import pytest

import tieng
from tieng import Segmented, Segmenter, Word
from tieng.cli import main

TEXTS = [
    "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm. Học sinh nghỉ học.",
    "Hà Nội có\nnhiều hồ",  # a line break inside a text
    "Tôi yêu Việt Nam\r\n\r\nTrời mưa to.\r\n",  # CRLF, a blank line, a last line ending
    "",
    "   ",
    "Tệp cau_hinh.txt ở C:\\du_lieu",  # escapes in the underscore format
    "Ông Nguyễn Văn An, 45 tuổi, làm kỹ sư phần mềm. Ảnh: Ngọc Thành",
]
OPTIONS = [
    {},
    {"sentences": True},
    {"confidence": True},
    {"sentences": True, "confidence": True},
    {"tags": True},
    {"sentences": True, "confidence": True, "tags": True},
]


@pytest.fixture(scope="module")
def seg():
    return Segmenter()


@pytest.mark.parametrize("options", OPTIONS)
def test_one_result_type_whatever_the_options(seg, options):
    for text in TEXTS:
        doc = seg(text, **options)
        assert type(doc) is Segmented
        assert (doc.sentences is not None) == bool(options.get("sentences"))
        assert all((w.confidence is not None) == bool(options.get("confidence")) for w in doc)
        tags = bool(options.get("tags"))
        assert all((w.tag is not None) == tags for w in doc)
        assert (doc.tagged is not None) == tags
        if tags:  # the tagged text is the underscore text with the tags
            assert doc.tagged.count("/") - doc.text.count("/") == len(doc.words)
        assert all(isinstance(w, Word) and text[w.start : w.end] == w.text for w in doc.words)
        if doc.sentences is not None:
            assert [w for s in doc.sentences for w in s] == doc.words


@pytest.mark.parametrize("options", OPTIONS)
def test_call_pipe_and_worker_processes_agree(seg, options):
    one_by_one = [seg(t, **options) for t in TEXTS]
    assert list(seg.pipe(TEXTS, **options)) == one_by_one
    assert list(seg.pipe(TEXTS, batch_size=2, **options)) == one_by_one
    assert list(seg.pipe(TEXTS, batch_size=3, n_process=2, **options)) == one_by_one
    lines = bool(options.get("sentences"))
    tags = bool(options.get("tags"))
    texts = [d.tagged if tags else d.text for d in one_by_one]
    assert texts == list(seg.pipe_text(TEXTS, sentence_lines=lines, tags=tags))
    assert texts == [seg.segment_text(t, sentence_lines=lines, tags=tags) for t in TEXTS]
    assert list(seg.pipe_text(TEXTS, 2, sentence_lines=lines, n_process=2, tags=tags)) == texts


def test_line_breaks_are_kept_on_every_path(seg):
    text = "Hà Nội có\nnhiều hồ\r\n\r\nTrời mưa\u2028to"
    expected = "Hà_Nội có\nnhiều hồ\r\n\r\nTrời mưa\u2028to"
    assert seg.segment_text(text) == expected
    assert next(seg.pipe_text([text])) == expected
    assert seg(text).text == expected
    assert next(seg.pipe([text], n_process=2)).text == expected
    assert [w.text for w in seg(text)] == ["Hà Nội", "có", "nhiều", "hồ", "Trời", "mưa", "to"]


def test_long_lines_are_put_back_together(seg, monkeypatch):
    from tieng.engine import batch as results

    text = "\n".join(f"Câu {k}: học sinh Hà Nội đi học ở trường số {k}." for k in range(60))
    whole = [seg(text, **o) for o in OPTIONS]
    monkeypatch.setattr(results, "WINDOW_CHARS", 100)
    assert [seg(text, **o) for o in OPTIONS] == whole
    assert seg.segment_text(text) == whole[0].text


def test_pipe_says_so_when_given_one_string(seg):
    with pytest.raises(TypeError, match="many texts"):
        seg.pipe("Hà Nội")
    with pytest.raises(TypeError, match="many texts"):
        seg.pipe_text("Hà Nội")
    with pytest.raises(ValueError, match="batch_size"):
        seg.pipe(["Hà Nội"], batch_size=0)


def test_results_iterate_over_their_words(seg):
    doc = seg("Hà Nội mưa to")
    assert len(doc) == 3 and list(doc) == doc.words
    assert doc.words[0] == Word("Hà Nội", 0, 6)


def test_module_shortcuts(seg):
    text = TEXTS[0]
    assert tieng.segment(text) == seg(text)
    assert tieng.segment(text, sentences=True, confidence=True) == seg(
        text, sentences=True, confidence=True
    )
    assert tieng.segment_text(text) == seg.segment_text(text)


@pytest.mark.parametrize("name", ["segment_spans", "pipe_scored", "segment_sentences"])
def test_the_names_removed_in_0_3_say_what_replaced_them(seg, name):
    with pytest.raises(AttributeError, match=f"{name} was removed in tieng 0.3; use seg"):
        getattr(seg, name)
    with pytest.raises(AttributeError, match="no attribute 'segment_words'"):
        seg.segment_words  # noqa: B018
    assert not hasattr(tieng, "segment_spans")


@pytest.mark.parametrize("options", OPTIONS)
def test_the_service_gives_the_same_words(seg, serve, options):
    httpx = pytest.importorskip("httpx")  # the server and test extras install these
    pytest.importorskip("fastapi")
    from tieng.server import create_app

    url = serve(create_app())
    body = {k: v for k, v in options.items() if k != "tags"}
    endpoint = "tag" if options.get("tags") else "segment"
    reply = httpx.post(f"{url}/v1/{endpoint}", json={"texts": TEXTS, **body}, timeout=30)
    assert reply.status_code == 200
    for text, got in zip(TEXTS, reply.json()["results"]):
        doc = seg(text, **options)
        assert got["text"] == doc.text
        assert got.get("tagged") == doc.tagged
        assert [w.get("tag") for w in got["words"]] == [w.tag for w in doc.words]
        assert [(w["text"], w["start"], w["end"]) for w in got["words"]] == [
            w[:3] for w in doc.words
        ]
        if options.get("confidence"):
            assert [w["confidence"] for w in got["words"]] == [
                round(w.confidence, 4) for w in doc.words
            ]
        if options.get("sentences"):
            assert [len(s) for s in got["sentences"]] == [len(s) for s in doc.sentences]


@pytest.mark.parametrize("options", OPTIONS)
def test_the_command_line_gives_the_same_words(seg, tmp_path, capsys, options):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    args = ["tag" if options.get("tags") else "segment", str(path), "-j", "2"]
    args += ["--sentences"] * bool(options.get("sentences"))
    args += ["--confidence"] * bool(options.get("confidence"))
    assert main(args) == 0
    records = [json.loads(line)["tieng"] for line in capsys.readouterr().out.splitlines()]
    assert len(records) == len(TEXTS)
    for text, got in zip(TEXTS, records):
        doc = seg(text, **options)
        assert got["text"] == doc.text
        assert got["words"] == [w.text for w in doc.words]
        assert got["offsets"] == [[w.start, w.end] for w in doc.words]
        assert got.get("tags") == ([w.tag for w in doc.words] if options.get("tags") else None)
        if options.get("confidence"):
            assert got["confidence"] == [round(w.confidence, 4) for w in doc.words]
        if options.get("sentences"):
            assert [b - a for a, b in got["sentences"]] == [len(s) for s in doc.sentences]


@pytest.mark.parametrize("n_process", [1, 2])
def test_gaps_in_a_column_pass_through_as_none(n_process):
    """None and float NaN (pandas' missing value) give None in place, as Spark keeps nulls;
    the other texts are segmented as alone (issue 43, item 2)."""
    seg = tieng.Segmenter()
    texts = [None, "Hà Nội có nhiều hồ", float("nan"), None, "Trời mưa to", None]
    out = list(seg.pipe_text(texts, batch_size=2, n_process=n_process))
    assert out == [None, "Hà_Nội có nhiều hồ", None, None, "Trời mưa to", None]
    docs = list(seg.pipe(texts, n_process=n_process, tags=True))
    assert [d if d is None else d.tagged for d in docs] == [
        None, "Hà_Nội/Np có/V nhiều/A hồ/N", None, None, "Trời/N mưa/V to/A", None
    ]  # fmt: skip
    assert list(seg.pipe_text([None, None])) == [None, None]
    assert list(seg.pipe([None])) == [None]


def test_a_text_that_is_not_a_string_is_named_by_its_position():
    seg = tieng.Segmenter()
    with pytest.raises(TypeError, match="text 2 is int"):
        list(seg.pipe_text(["a", None, 3]))
    with pytest.raises(TypeError, match="pipe_text"):
        seg.segment_text(["Hà Nội", "Sài Gòn"])
    with pytest.raises(TypeError, match="pipe"):
        seg(("Hà Nội",))
    with pytest.raises(TypeError, match=r"expected str, not NoneType \(pipe and pipe_text pass"):
        tieng.segment_text(None)
    with pytest.raises(TypeError, match=r"expected str, not bytes$"):
        seg(b"Ha Noi")


def test_phobert_style_text_is_unescaped_and_nfc_on_request():
    """PhoBERT reads the underscore format without escapes and in NFC (issue 43, item 3):
    escape=False writes a token's own "_" and "\\" as they are, nfc=True gives NFC; the
    default stays reversible."""
    import unicodedata

    text = "Gửi file bao_cao.docx ^_^ ở thư mục C:\\tai_lieu"
    plain = tieng.segment_text(text)
    assert "bao\\_cao.docx" in plain and "^\\_^" in plain
    loose = tieng.segment_text(text, escape=False)
    assert "bao_cao.docx" in loose and "^_^" in loose and " \\ tai_lieu" in loose
    assert loose == plain.replace("\\_", "_").replace("\\\\", "\\")
    nfd = unicodedata.normalize("NFD", "Thành phố Hoà Bình")
    assert tieng.segment_text(nfd) == unicodedata.normalize("NFD", "Thành_phố Hoà_Bình")
    assert tieng.segment_text(nfd, nfc=True) == "Thành_phố Hoà_Bình"
    seg = tieng.Segmenter()
    assert list(seg.pipe_text([text, None, nfd], escape=False, nfc=True)) == [
        unicodedata.normalize("NFC", loose), None, "Thành_phố Hoà_Bình"
    ]  # fmt: skip


def test_text_without_marks_is_routed_line_by_line_everywhere(tmp_path, capsys):
    """One routing rule (issue 43, item 4): each line typed without diacritics goes to the
    model made for it, in a text of many lines as in a file the command line reads a line
    at a time; the result of a text whose lines differ names both models."""
    from tieng.cli import main

    text = "Hà Nội có nhiều hồ đẹp.\nHa Noi co nhieu ho dep\n\nThanh pho se dau tu\nTrời mưa to"
    seg = tieng.Segmenter()
    doc = seg(text)
    assert doc.model == "vlsp2013+vlsp2013-unaccented"
    assert all(text[w.start : w.end] == w.text for w in doc.words)
    by_line = [seg.segment_text(line) for line in text.split("\n")]
    assert doc.text == seg.segment_text(text) == "\n".join(by_line)
    assert "Ha_Noi" in doc.text and "Hà_Nội" in doc.text
    assert list(seg.pipe_text([text, text])) == [doc.text] * 2
    assert [d.text for d in seg.pipe([text], tags=True)] == [doc.text]
    src = tmp_path / "mixed.txt"
    src.write_text(text + "\n", encoding="utf-8")
    assert main(["segment", str(src), "--quiet"]) == 0
    assert capsys.readouterr().out == doc.text + "\n"
    assert seg("Ha Noi co ho\nHa Noi dep").model == "vlsp2013-unaccented"
    assert seg("Hà Nội\n\nSài Gòn").model == "vlsp2013"
