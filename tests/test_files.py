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
