"""Files in and out (tieng.files): compressed inputs read in whole lines."""

import pytest

from tieng.cli import main

zstandard = pytest.importorskip("zstandard")  # the test extra installs it

LINE = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_zst_input_larger_than_a_chunk_reads_as_the_plain_file(tmp_path, jobs):
    """zstandard's reader has no readline, which cutting chunks at line ends needs: a .zst
    file of more than one chunk (512 KiB) once failed with 'cannot read ()'."""
    text = (LINE * 30_000).encode("utf-8")  # 1.7 MB: four chunks
    plain, packed = tmp_path / "a.txt", tmp_path / "a.txt.zst"
    plain.write_bytes(text)
    packed.write_bytes(zstandard.ZstdCompressor().compress(text))
    assert main(["segment", "-q", "-j", jobs, str(plain), "-o", str(tmp_path / "p.txt")]) == 0
    assert main(["segment", "-q", "-j", jobs, str(packed), "-o", str(tmp_path / "z.txt")]) == 0
    assert (tmp_path / "z.txt").read_bytes() == (tmp_path / "p.txt").read_bytes()
    assert (tmp_path / "z.txt").read_bytes().count(b"\n") == 30_000


def test_a_zst_input_in_utf16_gets_the_encoding_message(tmp_path, capsys):
    packed = tmp_path / "a.txt.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(LINE.encode("utf-16")))
    assert main(["segment", "-q", str(packed)]) == 2
    assert "UTF-16" in capsys.readouterr().err


def test_a_second_run_writing_the_same_output_is_refused(tmp_path, capsys):
    """Two runs once wrote the same hidden partial file and published a mix of both: the
    partial file is locked, and a second writer is refused without touching it."""
    fcntl = pytest.importorskip("fcntl")
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text(LINE, encoding="utf-8")
    partial = tmp_path / ".out.txt.tieng-partial"
    with open(partial, "wb") as other:  # a run that is writing out.txt now
        other.write(b"the other run's bytes")
        other.flush()
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        assert main(["segment", "-q", str(src), "-o", str(out)]) == 2
        assert "another run is writing it now" in capsys.readouterr().err
        assert partial.read_bytes() == b"the other run's bytes" and not out.exists()
    assert main(["segment", "-q", str(src), "-o", str(out)]) == 0  # the lock went with it
    assert out.read_text(encoding="utf-8").startswith("Thành_phố sẽ đầu_tư")


def test_errors_to_the_file_that_is_standard_input_is_refused(tmp_path):
    """`tieng segment --errors-to F < F` once emptied F: standard input is compared with the
    errors file (and the output) by device and inode."""
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": 1}\n{"text": "Hà Nội"}\n', encoding="utf-8")
    before = src.read_bytes()
    for option in ("--errors-to", "-o"):
        with open(src, "rb") as stdin:
            run = subprocess.run(
                [sys.executable, "-m", "tieng", "segment", "-q", option, str(src)],
                stdin=stdin, capture_output=True, text=True, check=False,
            )  # fmt: skip
        assert run.returncode == 2 and "is also an input" in run.stderr
        assert src.read_bytes() == before


def test_the_errors_file_is_published_whole_at_the_end(tmp_path):
    """Written under a temporary name and renamed when the run ends: an errors file from
    before stays as it was until then."""
    src, errors = tmp_path / "in.jsonl", tmp_path / "errors.jsonl"
    src.write_text('{"text": 1}\n{"text": "Hà Nội"}\n', encoding="utf-8")
    errors.write_text("from before\n", encoding="utf-8")
    seen = []

    def look(*_):
        seen.append(errors.read_text(encoding="utf-8"))

    from unittest import mock

    from tieng.corpus import runner

    real = runner._Writer.count

    def count(self, res):
        real(self, res)
        look()

    with mock.patch.object(runner._Writer, "count", count):
        assert main(["segment", "-q", str(src), "--errors-to", str(errors), "-o", "/dev/null"]) == 2
    assert seen == ["from before\n"]
    assert "\"field 'text' is a number, not a string\"" in errors.read_text(encoding="utf-8")


def test_a_loop_of_symbolic_links_as_an_output_is_named(tmp_path, capsys, monkeypatch):
    """-o loop, --errors-to loop and a directory mirrored into a loop once ended in a
    RuntimeError traceback (Path.resolve on a loop of links)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "in.txt").write_text(LINE, encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(LINE, encoding="utf-8")
    for args in (
        ["segment", "in.txt", "-o", "loop"],
        ["segment", "in.txt", "-o", "out.txt", "--errors-to", "loop"],
        ["segment", "d", "-o", "loop"],
        ["train", "in.txt", "-o", "loop/x.tieng"],
    ):
        assert main(args) == 2, args
        assert ": a loop of symbolic links" in capsys.readouterr().err


def test_two_inputs_mirrored_to_one_output_are_refused(tmp_path, capsys):
    """--decompress once wrote g/x.txt and g/x.txt.gz both to out/x.txt, losing one, exit 0."""
    import gzip

    g = tmp_path / "g"
    g.mkdir()
    (g / "x.txt").write_text(LINE, encoding="utf-8")
    with gzip.open(g / "x.txt.gz", "wt", encoding="utf-8") as f:
        f.write("Tôi yêu Việt Nam\n")
    out = tmp_path / "out"
    assert main(["segment", "-q", str(g), "-o", str(out), "--decompress"]) == 2
    err = capsys.readouterr().err
    assert "would both be written to" in err and "--decompress" in err
    assert not out.exists() or not any(out.iterdir())
    assert main(["segment", "-q", str(g), "-o", str(out)]) == 0  # x.txt and x.txt.gz
    assert sorted(p.name for p in out.iterdir()) == ["x.txt", "x.txt.gz"]


def test_a_gzip_output_records_its_own_name_not_the_temporary_one(tmp_path):
    """gunzip -N once restored the hidden partial file's name."""
    src, out = tmp_path / "in.txt", tmp_path / "out.txt.gz"
    src.write_text(LINE, encoding="utf-8")
    assert main(["segment", "-q", str(src), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[3] & 0x08  # FNAME: the header holds a name
    assert data[10 : data.index(b"\0", 10)] == b"out.txt"


def test_zst_without_its_module_is_an_error_not_plain_text(tmp_path, capsys, monkeypatch):
    """-o out.zst without the zstandard module once wrote plain text under the .zst name
    and exited 0; a .zst input was read as if it were plain."""
    from tieng import files

    monkeypatch.delitem(files.COMPRESSORS, ".zst")
    monkeypatch.delitem(files.OPENERS, ".zst")
    src = tmp_path / "in.txt"
    src.write_text(LINE, encoding="utf-8")
    assert main(["segment", "-q", str(src), "-o", str(tmp_path / "out.txt.zst")]) == 2
    assert "writing .zst needs the module zstandard" in capsys.readouterr().err
    assert not (tmp_path / "out.txt.zst").exists()
    packed = tmp_path / "in.txt.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(LINE.encode("utf-8")))
    assert main(["segment", "-q", str(packed)]) == 2
    assert "reading .zst needs the module zstandard" in capsys.readouterr().err
