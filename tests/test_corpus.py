"""Corpus processing: directories, compression, JSONL, faults, workers, resume, formats."""

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng
from tieng import files
from tieng.cli import main
from tieng.corpus import runner as corpus

LINES = [
    "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.",
    "Tôi yêu Việt Nam",
    "",
    "Học sinh đi học.",
]


def expected(lines):
    seg = tieng.Segmenter()
    return [seg.segment_text(x) for x in lines]


def write(path, lines, opener=open):
    with opener(path, "wb") as f:
        f.write("".join(x + "\n" for x in lines).encode("utf-8"))


def test_directory_mirrors_with_glob_and_compression(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    write(src / "a.txt", LINES)
    write(src / "sub" / "b.txt.gz", LINES[:2], gzip.open)
    write(src / "sub" / "c.txt.bz2", LINES[2:], bz2.open)
    write(src / "d.txt.xz", LINES[::-1], lzma.open)
    (src / "notes.md").write_text("bỏ qua", encoding="utf-8")
    out = tmp_path / "out"
    args = ["segment", str(src), "--glob", "*.txt*", "-q"]
    assert main([*args, "-o", str(tmp_path / "kept")]) == 0  # each file compressed as it was
    kept = sorted(
        p.relative_to(tmp_path / "kept").as_posix() for p in (tmp_path / "kept").rglob("*")
    )
    assert kept == ["a.txt", "d.txt.xz", "sub", "sub/b.txt.gz", "sub/c.txt.bz2"]
    assert main([*args, "-o", str(out), "--decompress"]) == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["a.txt", "d.txt", "sub/b.txt", "sub/c.txt"]
    assert (out / "a.txt").read_text(encoding="utf-8").splitlines() == expected(LINES)
    assert (out / "sub/b.txt").read_text(encoding="utf-8").splitlines() == expected(LINES[:2])
    assert (out / "d.txt").read_text(encoding="utf-8").splitlines() == expected(LINES[::-1])


def test_directory_input_needs_an_output_directory(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    assert main(["segment", str(tmp_path / "in")]) == 2
    assert "needs -o" in capsys.readouterr().err


def test_jsonl_keeps_fields_and_adds_or_replaces_the_result(tmp_path):
    src = tmp_path / "in.jsonl"
    recs = [{"id": 1, "text": LINES[0], "meta": {"a": [1, 2]}}, {"id": 2, "text": LINES[1]}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(src), "--format", "jsonl", "-o", str(out)]) == 0
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == [1, 2] and got[0]["meta"] == {"a": [1, 2]}
    assert got[0]["text"] == LINES[0]
    res = got[1]["tieng"]
    assert res["text"] == "Tôi yêu Việt_Nam"
    assert res["words"] == ["Tôi", "yêu", "Việt Nam"]
    assert res["offsets"] == [[0, 3], [4, 7], [8, 16]]
    for w, (s, e) in zip(res["words"], res["offsets"]):
        assert LINES[1][s:e] == w
    # The result can replace the input field.
    assert main(["segment", str(src), "--format", "jsonl", "--output-field", "text",
                 "-o", str(out)]) == 0  # fmt: skip
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert got[1]["text"]["text"] == "Tôi yêu Việt_Nam" and "tieng" not in got[1]


def test_jsonl_text_only_puts_the_underscore_text_in_the_field(tmp_path, capsys):
    """`--text-only`: {"id": 1, "text": "Tôi yêu Việt_Nam"}, what PhoBERT-style models read,
    with one process or several; it needs JSONL output and leaves out the words."""
    src = tmp_path / "in.jsonl"
    recs = [{"id": k, "text": f"{LINES[k % 4]}. Trời mưa. Tôi ở nhà."} for k in range(40)]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    base = ["segment", str(src), "--format", "jsonl", "--text-only", "--output-field", "text"]
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        assert main([*base, "-o", str(out), "--jobs", jobs]) == 0
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    got = [json.loads(x) for x in outs[0].splitlines()]
    assert [g["id"] for g in got] == list(range(40)) and set(got[1]) == {"id", "text"}
    assert got[1]["text"] == "Tôi yêu Việt_Nam . Trời mưa . Tôi ở nhà ."
    assert main([*base, "--sentences"]) == 0  # one sentence a line, inside the string
    first = json.loads(capsys.readouterr().out.splitlines()[1])
    assert first["text"] == "Tôi yêu Việt_Nam .\nTrời mưa .\nTôi ở nhà ."
    with_words = [a for a in base if a != "--text-only"]
    assert main([*with_words, "--sentences"]) == 0  # the words, and where sentences begin
    first = json.loads(capsys.readouterr().out.splitlines()[1])["text"]
    assert first["text"] == "Tôi yêu Việt_Nam .\nTrời mưa .\nTôi ở nhà ."
    assert first["sentences"] == [[0, 4], [4, 7], [7, 11]]
    assert first["words"][4:7] == ["Trời", "mưa", "."]
    for wrong in (["--to", "text"], ["--confidence"]):
        assert main([*base, *wrong]) == 2
        assert "--text-only" in capsys.readouterr().err


def test_jsonl_other_field_and_text_output(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"body": LINES[1]}) + "\n", encoding="utf-8")
    assert main(["segment", str(src), "--format", "jsonl", "--field", "body", "--to", "text"]) == 0
    assert capsys.readouterr().out == "Tôi yêu Việt_Nam\n"


def test_bad_records_are_counted_reported_and_collected(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"text": LINES[1]}).encode(),
        b"{not json",
        json.dumps({"title": "x"}).encode(),
        json.dumps({"text": 5}).encode(),
        b'{"text": "ok \xff"}',
        b"[1, 2]",
        json.dumps({"text": LINES[3]}, ensure_ascii=False).encode(),
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    errs = tmp_path / "errors.jsonl"
    code = main(
        ["segment", str(src), "--format", "jsonl", "-o", str(out), "--errors-to", str(errs)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "line 2: invalid JSON" in err and "line 3: no field 'text'" in err
    assert "line 4: field 'text' is a number, not a string" in err
    assert "line 5: invalid UTF-8" in err
    assert "5 of 7 records failed" in err
    failed = [json.loads(x) for x in errs.read_text(encoding="utf-8").splitlines()]
    assert [f["line"] for f in failed] == [2, 3, 4, 5, 6]
    assert all(f["source"] == str(src) for f in failed)
    good = [json.loads(x)["tieng"]["text"] for x in out.read_text("utf-8").splitlines()]
    assert good == ["Tôi yêu Việt_Nam", "Học_sinh đi học ."]


def test_failed_records_without_errors_file_publish_nothing(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_bytes("Hà Nội\n".encode() + b"\xff\n")
    out = tmp_path / "out.txt"
    assert main(["segment", str(src), "-o", str(out)]) == 2
    assert not out.exists() and list(tmp_path.iterdir()) == [src]
    assert "outputs holding them were not written" in capsys.readouterr().err
    # Standard output cannot be taken back; the message says what happened instead.
    assert main(["segment", str(src)]) == 2
    got = capsys.readouterr()
    assert got.out == "Hà_Nội\n\n" and "the other records went to standard output" in got.err


def test_errors_replace_and_surrogateescape(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes("Hà Nội \xff đẹp\n".encode("utf-8", "surrogateescape"))
    src.write_bytes(b"H\xc3\xa0 N\xe1\xbb\x99i \xff \xc4\x91\xe1\xba\xb9p\n")
    out = tmp_path / "out.txt"
    assert main(["segment", str(src), "-o", str(out), "--errors", "replace"]) == 0
    assert out.read_text(encoding="utf-8") == "Hà_Nội \ufffd đẹp\n"
    assert main(["segment", str(src), "-o", str(out), "--errors", "surrogateescape"]) == 0
    assert out.read_bytes() == b"H\xc3\xa0_N\xe1\xbb\x99i \xff \xc4\x91\xe1\xba\xb9p\n"


def test_jobs_keep_input_order(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 300)
    lines = [f"{LINES[k % 4]} Câu số {k}." for k in range(200)]
    src = tmp_path / "in.txt"
    write(src, lines)
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    assert main(["segment", str(src), "-o", str(one), "--jobs", "1"]) == 0
    assert main(["segment", str(src), "-o", str(two), "--jobs", "2"]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert one.read_text(encoding="utf-8").splitlines() == expected(lines)


def test_resume_skips_complete_outputs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write(src / "a.txt", LINES[:1])
    write(src / "b.txt", LINES[1:2])
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("đã xong\n", encoding="utf-8")
    assert main(["segment", str(src), "-o", str(out), "--resume"]) == 0
    assert (out / "a.txt").read_text(encoding="utf-8") == "đã xong\n"
    assert (out / "b.txt").read_text(encoding="utf-8") == "Tôi yêu Việt_Nam\n"


def test_interrupted_run_leaves_no_output(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 64)
    src = tmp_path / "in.txt"
    write(src, LINES * 5)
    out = tmp_path / "out.txt"

    def stop(_result):
        raise KeyboardInterrupt

    inputs = corpus.find_inputs([str(src)])
    with pytest.raises(KeyboardInterrupt):
        corpus.run(inputs, tieng.Segmenter(), corpus.Options(), output=str(out), on_progress=stop)
    assert list(tmp_path.iterdir()) == [src]


def test_conllu_output(tmp_path, capsys):
    src = tmp_path / "in.txt"
    write(src, ["Trời mưa. Học sinh nghỉ học."])
    assert main(["segment", str(src), "--to", "conllu"]) == 0
    out = capsys.readouterr().out
    blocks = out.strip("\n").split("\n\n")
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0] == f"# sent_id = {src}:1:1" and first[1] == "# text = Trời mưa."
    assert first[3].split("\t")[:2] == ["2", "mưa"]
    assert first[4].split("\t")[1] == "." and "TokenRange=8:9" in first[4]
    assert "SpaceAfter=No" in first[3]
    second = blocks[1].splitlines()
    assert second[2].split("\t")[1] == "Học sinh" and "TokenRange=10:18" in second[2]


def test_pipe_with_processes_keeps_order():
    seg = tieng.Segmenter()
    texts = [f"{LINES[k % 4]} số {k}" for k in range(300)]
    assert list(seg.pipe_text(texts, batch_size=16, n_process=2)) == list(seg.pipe_text(texts))
    assert list(seg.pipe(texts[:40], batch_size=7, n_process=2)) == list(seg.pipe(texts[:40]))


@pytest.fixture
def spill_watch(tmp_path, monkeypatch):
    """Small chunks, and a record of the spill directories a run makes."""
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 300)
    made = []

    def spill_directory():
        d = tmp_path / f"spill{len(made)}"
        d.mkdir()
        made.append(d)
        return str(d)

    monkeypatch.setattr(corpus, "spill_directory", spill_directory)
    return made


def _inputs(tmp_path):
    lines = [f"{LINES[k % 4]} my_var {k}." for k in range(120)] + ["không có dòng cuối"]
    a, e, b = tmp_path / "a.txt", tmp_path / "e.txt", tmp_path / "b.txt"
    a.write_text("\n".join(lines), encoding="utf-8")  # no line end at the end of a
    e.write_text("", encoding="utf-8")  # an empty file adds no line
    b.write_text("Hà Nội\n", encoding="utf-8")
    return [str(a), str(e), str(b)]


def test_workers_reread_plain_files_and_append_to_one_output_in_order(tmp_path, spill_watch):
    """With --jobs 2 and one output file, a plain file's chunks travel as offsets and the
    workers append their output to the file in order themselves: byte for byte what one
    process writes."""
    names = _inputs(tmp_path)
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    assert main(["segment", *names, "-o", str(one), "--jobs", "1"]) == 0
    assert main(["segment", *names, "-o", str(two), "--jobs", "2"]) == 0
    assert not spill_watch  # nothing to copy: no spill directory
    assert one.read_bytes() == two.read_bytes()
    assert one.read_text(encoding="utf-8").endswith(
        "Học_sinh đi học . my\\_var 119 .\nkhông có dòng cuối\nHà_Nội\n"
    )
    assert not list(tmp_path.glob(".*tieng-partial"))


def test_workers_spill_output_for_other_outputs(tmp_path, spill_watch, capsys):
    """To standard output (or a directory tree), the workers' output comes back as files
    that the main process copies into place; the directories are removed."""
    names = _inputs(tmp_path)
    assert main(["segment", *names, "--jobs", "1"]) == 0
    one = capsys.readouterr().out
    assert main(["segment", *names, "--jobs", "2"]) == 0
    two = capsys.readouterr().out
    assert spill_watch and not any(d.exists() for d in spill_watch)  # used, then removed
    assert one == two and one.endswith("không có dòng cuối\nHà_Nội\n")


def test_a_chunk_changed_before_its_worker_read_it_is_an_error(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"Ha Noi\nSai Gon\n")
    st = os.stat(src)
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)

    def process(start, length, stamp):
        task = corpus._Task(
            0, "in.txt", None, start, b"", False, corpus.Options(), (str(src), length, stamp)
        )
        return corpus._process(tieng.Segmenter(), task)

    assert process(7, 8, stamp).data == b"Sai_Gon\n"  # as planned: read fine
    for start, length in ((0, 5), (3, 12)):  # not whole lines: the plan no longer fits
        with pytest.raises(corpus.CorpusError, match="changed while it was being read"):
            process(start, length, stamp)
    with src.open("ab") as f:
        f.write(b"Hue\n")  # the file grew after the plan was made
    with pytest.raises(corpus.CorpusError, match="changed while it was being read"):
        process(7, 8, stamp)


def test_line_numbers_of_failures_and_in_conllu_agree_with_and_without_workers(
    tmp_path, monkeypatch
):
    """With workers, the main process does not count lines (it only finds where chunks
    end); failures still name the right line of the right file, and CoNLL-U still numbers
    lines from the start of each file."""
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 300)  # many chunks a file
    lines = [f"{LINES[k % 4]} {k}".encode() for k in range(150)]
    for k in (0, 4, 77, 149):
        lines[k] = b"bad \xff byte " + str(k).encode()
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")  # with a BOM
    b.write_bytes("Hà Nội\n".encode() + b"\xc3(\nend\n")
    runs = {}
    for jobs in ("1", "2"):
        out, bad = tmp_path / f"out{jobs}.txt", tmp_path / f"bad{jobs}.jsonl"
        code = main(
            ["segment", str(a), str(b), "-o", str(out), "--jobs", jobs, "--errors-to", str(bad)]
        )
        assert code == 2
        conllu = tmp_path / f"out{jobs}.conllu"
        assert main(["segment", str(a), "-o", str(conllu), "--jobs", jobs, "--to", "conllu",
                     "--errors", "replace"]) == 0  # fmt: skip
        runs[jobs] = out.read_bytes(), bad.read_text(), conllu.read_text(encoding="utf-8")
    assert runs["1"] == runs["2"]
    failed = [(json.loads(r)["source"], json.loads(r)["line"]) for r in runs["2"][1].splitlines()]
    assert failed == [(str(a), 1), (str(a), 5), (str(a), 78), (str(a), 150), (str(b), 2)]
    assert runs["2"][0].startswith(b"\n") and not runs["2"][0].startswith(b"\n\xef")
    assert f"# sent_id = {a}:150:1\n" in runs["2"][2]


def test_spilled_output_is_appended_and_removed(tmp_path):
    task = corpus._Task(
        0, "in.txt", 1, 0, "Hà Nội\n".encode(), True, corpus.Options(), None, str(tmp_path)
    )
    res = corpus._process(tieng.Segmenter(), task)
    assert res.data == b"" and res.spilled is not None
    path, size, newline_end = res.spilled
    assert size == len("Hà_Nội\n".encode()) and newline_end
    sink = files.OutputFile(str(tmp_path / "out.txt"))
    sink.write(b">")
    sink.write_file(path, size, newline_end)
    sink.finish()
    assert (tmp_path / "out.txt").read_bytes() == ">Hà_Nội\n".encode()
    assert not os.path.exists(path)


def test_output_that_cannot_be_spilled_goes_back_as_data(tmp_path):
    missing = tmp_path / "gone"  # the spill directory is not there: writing fails
    task = corpus._Task(
        0, "in.txt", 1, 0, "Hà Nội\n".encode(), True, corpus.Options(), None, str(missing)
    )
    res = corpus._process(tieng.Segmenter(), task)
    assert res.spilled is None and res.data == "Hà_Nội\n".encode()


def test_segment_writes_each_line_of_a_trickling_pipe_before_the_next_arrives():
    """`tail -f log | tieng segment`: the output of what has arrived is written at once, not
    when the next chunk or the end of the input comes, with one process and with workers."""
    import select
    import subprocess

    lines = ["Thủ tướng Chính phủ đã có văn bản.", "Hà Nội là thủ đô.", "Tôi yêu tiếng Việt."]
    for jobs in ("1", "2"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tieng", "segment", "--jobs", jobs, "--quiet"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            for line in lines:
                proc.stdin.write(line.encode() + b"\n")
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], 60)
                assert ready, f"--jobs {jobs}: no output for {line!r} while the pipe stays open"
                got = os.read(proc.stdout.fileno(), 1 << 16).decode()
                assert got == tieng.segment_text(line) + "\n"
            proc.stdin.close()
            assert proc.stdout.read() == b"" and proc.wait(60) == 0
        finally:
            proc.kill()
            proc.wait()


def test_a_chunk_from_a_pipe_is_whole_lines_of_what_has_arrived():
    import threading

    r, w = os.pipe()
    try:
        reader = files.PipeReader(r)
        os.write(w, b"".join(b"line %d\n" % k for k in range(1000)) + b"par")
        assert reader.peek(7) == b"line 0\n"  # a look that consumes nothing
        t = time.monotonic()
        # All that had arrived, cut at the last line end; the writer stays open, and the
        # chunk ends without waiting for it.
        chunk, ended = reader.chunk(1 << 19)
        assert chunk == b"".join(b"line %d\n" % k for k in range(1000)) and not ended
        assert time.monotonic() - t < 5
        # A partial line waits for its end, which arrives later.
        threading.Timer(0.2, os.write, (w, b"tial\nnext")).start()
        assert reader.chunk(1 << 19) == (b"partial\n", False)
        os.close(w)
        w = -1
        assert reader.chunk(1 << 19) == (b"next", True)  # the end of the input
        assert reader.chunk(1 << 19) == (b"", True)
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_stopping_while_standard_input_stays_open_exits_cleanly():
    """Ctrl-C while the input (a terminal, a pipe) is still open and the workers run: the
    reading thread is blocked on the input, and Python must still shut down cleanly."""
    import select
    import signal
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, "-m", "tieng", "segment", "--jobs", "2", "--quiet"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for line in ("Hà Nội", "Tôi yêu"):
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            assert select.select([proc.stdout], [], [], 60)[0]
            assert os.read(proc.stdout.fileno(), 1 << 16).decode().startswith(line[:2])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
        err = proc.stderr.read().decode()
        assert "interrupted" in err and "Fatal" not in err and "Traceback" not in err
    finally:
        proc.kill()
        proc.wait()


def test_a_short_piped_input_starts_no_worker_processes(monkeypatch, capsys, pools_started):
    """`echo ... | tieng segment` (default --jobs: every core): the first chunk from the pipe
    already holds the end of the input, so nothing is worth starting workers for."""
    started = pools_started
    r, w = os.pipe()
    os.write(w, "Hà Nội là thủ đô\n".encode())
    os.close(w)
    with open(r, encoding="utf-8") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["segment", "--jobs", "2"]) == 0
    assert capsys.readouterr().out == "Hà_Nội là thủ_đô\n"
    assert not started


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from([b"a", b"\n", b"\xc3", b" ", b"\r\n"]), max_size=300).map(
                b"".join
            ),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_chunks_from_a_pipe_give_back_the_input_in_whole_lines(pieces):
    """However the input arrives (pieces, pauses between some), the chunks join to exactly
    the input, and every chunk but the last ends a line."""
    import threading

    r, w = os.pipe()
    data = b"".join(p for p, _ in pieces)

    def write():
        for piece, pause in pieces:
            os.write(w, piece)
            if pause:
                time.sleep(0.01)
        os.close(w)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        reader, chunks, ended = files.PipeReader(r), [], False
        while not ended:
            chunk, ended = reader.chunk(64)
            chunks.append(chunk)
        assert b"".join(chunks) == data
        assert all(c.endswith(b"\n") for c in chunks[:-1])
    finally:
        writer.join()
        os.close(r)


def test_outputs_that_are_not_regular_files_are_written_not_replaced(tmp_path, capsys):
    """`-o /dev/null`, `-o /dev/stdout` or a named pipe is written to directly: renaming a
    finished file over it would replace the device (as root, /dev/null itself). A symbolic
    link to a file stays a link; the file it points to gets the output."""
    import stat
    import threading

    src = tmp_path / "in.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    null = tmp_path / "null"
    null.symlink_to(os.devnull)
    for command in ("segment", "tokenize"):
        assert main([command, str(src), "-o", str(null)]) == 0
        assert null.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["segment", str(src), str(src), "-o", str(fifo), "--jobs", "2"]) == 0
    reader.join(60)
    assert got == ["Hà_Nội\nHà_Nội\n".encode()] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    real = tmp_path / "real.txt"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert main(["segment", str(src), "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "Hà_Nội\n"
    assert not list(tmp_path.glob(".*tieng-partial"))
    assert main(["segment", str(src), "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


# ---------------------------------------------------------------- no silent wrong results
def _records(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.ndjson", "docs.jsonl.gz", "DOCS.JSONL"])
def test_a_jsonl_file_is_read_as_jsonl_without_format(tmp_path, name):
    src = tmp_path / name
    opener = gzip.open if name.endswith(".gz") else open
    write(src, [json.dumps({"id": 0, "text": "Tôi yêu Việt Nam"}, ensure_ascii=False)], opener)
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(src), "-o", str(out), "-q"]) == 0
    [record] = _records(out)
    assert record["id"] == 0 and record["tieng"]["text"] == "Tôi yêu Việt_Nam"


def test_jsonl_options_imply_jsonl_input(tmp_path, capsys):
    src = tmp_path / "docs.txt"  # a JSONL file with another name
    write(src, [json.dumps({"id": 7, "body": "Tôi yêu Việt Nam"}, ensure_ascii=False)])
    out = tmp_path / "out.jsonl"
    args = ["segment", str(src), "-o", str(out), "-q"]
    assert main([*args, "--field", "body"]) == 0
    assert _records(out)[0]["tieng"]["text"] == "Tôi yêu Việt_Nam"
    write(src, [json.dumps({"id": 7, "text": "Tôi yêu Việt Nam"}, ensure_ascii=False)])
    assert main([*args, "--text-only", "--output-field", "text", "--to", "jsonl"]) == 0
    assert _records(out) == [{"id": 7, "text": "Tôi yêu Việt_Nam"}]
    assert main([*args, "--output-field", "seg"]) == 0
    assert _records(out)[0]["seg"]["text"] == "Tôi yêu Việt_Nam"
    # An explicit --format text with a JSONL-only option is an error naming the right flag.
    assert main([*args, "--format", "text", "--field", "body"]) == 2
    err = capsys.readouterr().err
    assert "--field names a field of JSON lines" in err and "--format jsonl" in err


def test_a_directory_of_jsonl_files_is_read_as_jsonl(tmp_path):
    src = tmp_path / "c"
    src.mkdir()
    write(src / "a.jsonl", [json.dumps({"text": "Hà Nội"}, ensure_ascii=False)])
    assert main(["segment", str(src), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert _records(tmp_path / "out" / "a.jsonl")[0]["tieng"]["text"] == "Hà_Nội"


def test_mixed_jsonl_and_text_inputs_need_a_format(tmp_path, capsys):
    write(tmp_path / "a.jsonl", [json.dumps({"text": "Hà Nội"}, ensure_ascii=False)])
    write(tmp_path / "b.txt", ["Hà Nội"])
    args = ["segment", str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt"), "-q"]
    assert main(args) == 2
    assert "--format jsonl or --format text" in capsys.readouterr().err


def test_an_output_directory_inside_the_input_directory_is_not_input(tmp_path):
    src = tmp_path / "c3"
    src.mkdir()
    write(src / "a.txt", LINES)
    for extra in ([], ["--resume"], []):
        assert main(["segment", str(src), "-o", str(src / "out"), "-q", *extra]) == 0
    found = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    assert found == ["a.txt", "out/a.txt"]
    assert (src / "out" / "a.txt").read_text(encoding="utf-8").splitlines() == expected(LINES)


def test_output_over_its_own_input_is_an_error_unless_in_place(tmp_path, capsys):
    src = tmp_path / "news.txt"
    write(src, LINES)
    assert main(["segment", str(src), "-o", str(src), "-q"]) == 2
    assert "is also an input" in capsys.readouterr().err
    assert src.read_text(encoding="utf-8").splitlines() == LINES  # untouched
    link = tmp_path / "link.txt"
    link.symlink_to(src)
    assert main(["segment", str(link), "-o", str(src), "-q"]) == 2
    assert main(["segment", str(src), "-o", str(src), "-q", "--in-place"]) == 0
    assert src.read_text(encoding="utf-8").splitlines() == expected(LINES)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_input_gets_one_clear_message(tmp_path, capsys, encoding):
    text = "Hà Nội đẹp\nTôi yêu Việt Nam\n"
    data = text.encode(encoding)
    if not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        data = "\ufeff".encode(encoding) + data  # the -be codecs write no mark of their own
    src = tmp_path / "win.txt"
    src.write_bytes(data)
    out = tmp_path / "out.txt"
    for command in (["segment", "-q"], ["segment", "-q", "-j", "2"], ["tokenize"], ["normalize"]):
        assert main([*command, str(src), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        name = "UTF-32" if encoding == "utf-32" else "UTF-16"
        assert err.count("\n") == 1 and f"the text is {name}" in err and "iconv" in err
        assert not out.exists()
    r = subprocess.run(
        [sys.executable, "-m", "tieng", "segment"], input=data, capture_output=True, timeout=60
    )
    assert r.returncode == 2 and r.stdout == b"" and b"iconv" in r.stderr


@pytest.mark.parametrize("change", ["truncate", "replace"])
def test_a_file_changed_during_a_one_process_run_is_an_error(tmp_path, monkeypatch, change):
    src = tmp_path / "in.txt"
    write(src, LINES * 300)
    out = tmp_path / "out.txt"
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 1024)
    seen = []

    def on_progress(res):
        if not seen:  # after the first chunk: cut the file short, or put another in its place
            if change == "truncate":
                os.truncate(src, src.stat().st_size // 2)
            else:
                other = tmp_path / "other.txt"
                write(other, LINES * 300)
                os.replace(other, src)
        seen.append(res)

    options = corpus.Options()
    with pytest.raises(corpus.CorpusError, match="changed while it was being read"):
        corpus.run([(str(src), None)], tieng.Segmenter(), options, output=str(out), jobs=1,
                   on_progress=on_progress)  # fmt: skip
    assert len(seen) >= 1 and not out.exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_an_output_ending_with_a_slash_is_not_written_as_a_file(tmp_path, capsys):
    src = tmp_path / "in.txt"
    write(src, LINES)
    assert main(["segment", str(src), "-o", str(tmp_path / "out.d") + "/", "-q"]) == 2
    assert "ends with '/'" in capsys.readouterr().err
    assert not (tmp_path / "out.d").exists()
    folder = tmp_path / "c"
    folder.mkdir()
    write(folder / "a.txt", LINES)  # a directory input: the slash is right
    assert main(["segment", str(folder), "-o", str(tmp_path / "o") + "/", "-q"]) == 0
    assert (tmp_path / "o" / "a.txt").is_file()


def test_spill_directories_of_killed_runs_are_swept(tmp_path, monkeypatch):
    """kill -9 leaves a run's /dev/shm/tieng-<pid>-* directory: the next run removes those
    whose process is gone, and leaves the others."""
    import subprocess as sp

    from tieng import files

    dead = sp.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / f"tieng-{dead.pid}-abc"
    stale.mkdir()
    (stale / "part").write_bytes(b"x")
    alive = tmp_path / f"tieng-{os.getppid()}-parent"  # a process that runs
    alive.mkdir()
    other = tmp_path / "tieng-notapid-x"
    other.mkdir()
    files._sweep(tmp_path)
    assert not stale.exists() and alive.exists() and other.exists()
    made = files.spill_directory()
    assert f"tieng-{os.getpid()}-" in made
    os.rmdir(made)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("compress", [False, True])
def test_a_cr_only_file_is_read_a_line_at_a_time(tmp_path, monkeypatch, jobs, compress):
    """Old Mac files end their lines with a lone CR: each line is a record, read in chunks
    (a file is no longer held whole: issue 40, item 12), and the output keeps the CRs;
    a line of white space after a lone CR, even first in a chunk, stays a line of its own."""
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 64)
    lines = ["Hà Nội có nhiều hồ đẹp .", "Trời mưa to", "", "  ", "Tôi yêu Việt Nam"] * 12
    text = "\r".join(lines) + "\r"
    src = tmp_path / ("in.txt.gz" if compress else "in.txt")
    data = text.encode("utf-8")
    src.write_bytes(gzip.compress(data) if compress else data)
    out = tmp_path / "out.txt"
    seen: list[int] = []
    inputs = corpus.find_inputs([str(src)])
    summary = corpus.run(
        inputs, tieng.Segmenter(), corpus.Options(), output=str(out), jobs=jobs,
        on_progress=lambda r: seen.append(r.records),
    )  # fmt: skip
    assert summary.records == len(lines) and len(seen) > 5  # many chunks, a line a record
    expected = "".join(tieng.segment_text(x) + "\r" if x.strip() or not x else " \r" for x in lines)
    assert out.read_bytes().decode("utf-8") == expected
    reread = out.read_bytes().replace(b"\r", b"\n").decode("utf-8").split("\n")
    assert len(reread) == len(lines) + 1  # as many lines as went in
    jsonl = tmp_path / "out.jsonl"
    corpus.run(inputs, tieng.Segmenter(), corpus.Options(output_format="jsonl"),
               output=str(jsonl), jobs=jobs)  # fmt: skip
    assert len(jsonl.read_text(encoding="utf-8").splitlines()) == len(lines)


def test_a_cr_only_file_past_the_line_bound_is_no_longer_one_line(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(("Trời mưa to\r" * 400).encode("utf-8"))  # 5 kB, lines of 15 bytes
    inputs = corpus.find_inputs([str(src)])
    out = tmp_path / "out.txt"
    summary = corpus.run(inputs, tieng.Segmenter(), corpus.Options(), output=str(out),
                         max_line=100)  # fmt: skip
    assert summary.records == 400 and out.read_bytes().count(b"\r") == 400


def test_stdin_cr_only_lines_are_records(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tieng", "segment", "--to", "jsonl", "--text-only"],
        input="Hà Nội\rTrời mưa\r".encode(), capture_output=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["tieng"] for x in done.stdout.decode().splitlines()] == [
        "Hà_Nội", "Trời mưa"
    ]  # fmt: skip
