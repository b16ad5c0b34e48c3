"""Hostile strings (tests/data/naughty.txt, one a line, written with Python escapes) pass
through the library, the CLI and the server without error, and nothing is lost."""

import json
from pathlib import Path

import pytest

import tieng
from tieng.cli import main
from tieng.tokenization import SPACE_CHARS

NAUGHTY = [
    line.encode("ascii").decode("unicode_escape")
    for line in (Path(__file__).parent / "data" / "naughty.txt")
    .read_text(encoding="ascii")
    .splitlines()
]
ENCODABLE = [s for s in NAUGHTY if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]


@pytest.mark.parametrize("text", NAUGHTY)
def test_library(text):
    tokens = tieng.tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    # Between tokens there is only white space: nothing is dropped.
    bounds = [0, *(x for t in tokens for x in (t.start, t.end)), len(text)]
    gaps = [text[a:b] for a, b in zip(bounds[::2], bounds[1::2])]
    assert all(c in SPACE_CHARS for g in gaps for c in g)
    spans = tieng.segment(text).words
    assert [(w.start, w.end) for w in spans] == sorted((w.start, w.end) for w in spans)
    assert all(text[w.start : w.end] == w.text for w in spans)
    assert [w.text for w in tieng.segment(text)] == [w.text for w in spans]
    out = tieng.segment_text(text)
    if "\r" not in text:
        assert [t for w in tieng.parse_segmented(out) for t in w] == [t.text for t in tokens]
    tieng.normalize(text)
    tieng.split_sentences(text)


def test_cli(tmp_path, capsys):
    src = tmp_path / "naughty.txt"
    lines = [s.replace("\r", " ") for s in ENCODABLE]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["segment", str(src), "-o", str(out), "--jobs", "1"]) == 0
    got = out.read_bytes().decode("utf-8").split("\n")
    assert len(got) == len(lines) + 1
    assert main(["segment", str(src), "--to", "jsonl", "-q"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in recs] == lines


def test_server(serve):
    httpx = pytest.importorskip("httpx")  # the server and test extras install these
    pytest.importorskip("fastapi")
    from tieng.server import create_app

    url = serve(create_app())
    with httpx.Client(base_url=url, timeout=30) as client:
        for text in ENCODABLE:
            r = client.post("/v1/segment", json={"text": text})
            assert r.status_code == 200, text
            words = r.json()["results"][0]["words"]
            assert all(text[w["start"] : w["end"]] == w["text"] for w in words)
            assert client.post("/v1/tokenize", json={"text": text}).status_code == 200
