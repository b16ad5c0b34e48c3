"""Coverage-guided fuzzing of tieng with atheris (pip install "tieng[fuzz]").

Targets: normalize, tokenize, segment (text, spans, sentences, underscore format round trip),
tags (the tagged text against the words, the compiled tagger against its numpy twin), the
CLI's JSONL record reader, and the compiled helpers against their Python twins.  Every
input must pass without an exception, and the invariants below must hold.

Run for N seconds (here 600), starting from the committed seeds; the corpus the fuzzer grows
goes to fuzz/corpus (not committed) and crashes to crash-* files in the current directory:

    mkdir -p fuzz/corpus
    python fuzz/fuzz_tieng.py -max_total_time=600 -timeout=10 fuzz/corpus fuzz/seeds

A crash found becomes a regression test in tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import tieng
    from tieng import _accel
    from tieng import tokenization as _t
    from tieng._accel import speedups as _speedups
    from tieng.corpus import runner as corpus
    from tieng.engine import batch as results

SEG = tieng.Segmenter()
OPTIONS = corpus.Options(input_format="jsonl", output_format="jsonl")


def check(text: str) -> None:
    tokens = tieng.tokenize(text)
    pos = 0
    for t in tokens:
        assert text[t.start : t.end] == t.text and t.start >= pos, (text, t)
        pos = t.end
    doc = SEG(text)
    assert all(text[w.start : w.end] == w.text for w in doc.words), text
    assert doc.text == SEG.segment_text(text), text  # one code path, line breaks kept
    line = "".join(" " if c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else c for c in text)
    out = SEG.segment_text(line)
    back = [t for w in tieng.parse_segmented(out) for t in w]
    assert back == [t.text for t in tieng.tokenize(line)], (line, out)
    # The compiled helpers against their Python twins (when tieng was built with them).
    if _speedups is not None:
        for pretokenized in (False, True):
            compiled = _t.scan(text, pretokenized)
            with _accel.using(None):
                assert _t.scan(text, pretokenized) == compiled, text
        batch = SEG._analyze([line, text])
        fast = results.texts_of(batch)
        with _accel.using(None):  # the Python writer
            slow = results.texts_of(batch)
        assert fast == slow, (text, fast, slow)
    tagged = SEG(text, tags=True)
    assert all(w.tag in SEG.tagger.tags for w in tagged.words), text
    assert [w[:3] for w in tagged.words] == [w[:3] for w in doc.words], text
    assert tagged.tagged == SEG.segment_text(text, tags=True), text
    if _speedups is not None and tagged.words:
        words = [w.text for w in tagged.words]
        fast_tags = SEG.tagger.tag_words([words])
        with _accel.using(None):  # the numpy decoder
            assert SEG.tagger.tag_words([words]) == fast_tags, text
    sentences = SEG(text, sentences=True).sentences or []
    assert all(text[w.start : w.end] == w.text for s in sentences for w in s), text
    for tone in ("modern", "classic", None):
        tieng.normalize(text, tone)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        check(fdp.ConsumeUnicodeNoSurrogates(4096))
    else:
        raw = fdp.ConsumeBytes(4096)
        task = corpus._Task(0, "<fuzz>", 1, 0, raw, True, OPTIONS)
        res = corpus._process(SEG, task)
        assert res.records == raw.count(b"\n") + (not raw.endswith(b"\n") and raw != b"")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
