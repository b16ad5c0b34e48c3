import pathlib
import re
import struct

import numpy as np
import pytest

import tieng
from tieng.model import FORMAT_VERSION, MAGIC, Model, ModelError

SRC = pathlib.Path(tieng.__file__).parent


def test_round_trip_bytes(tiny_model):
    data = tiny_model.to_bytes()
    assert data.startswith(MAGIC)
    again = Model.from_bytes(data)
    assert np.array_equal(again.weights, tiny_model.weights)
    assert np.array_equal(again.lexicon, tiny_model.lexicon)
    assert again.vocabulary.keys == tiny_model.vocabulary.keys
    assert again.bias == pytest.approx(tiny_model.bias)
    assert again.metadata == tiny_model.metadata


def test_weights_are_half_precision_and_single_precision_files_still_load(tiny_model):
    assert tiny_model.weights.dtype == np.float16  # what training writes
    wide = Model(
        tiny_model.vocabulary,
        tiny_model.lexicon,
        tiny_model.weights.astype(np.float32),
        tiny_model.bias,
        tiny_model.spec,
        tiny_model.metadata,
        tiny_model.classes,
    )
    again = Model.from_bytes(wide.to_bytes())
    assert again.weights.dtype == np.float32
    codes = tiny_model.vocabulary.codes("Thành phố sẽ đầu tư xây dựng hai tuyến".split())
    breaks = np.zeros(len(codes), bool)
    breaks[0] = True
    assert np.array_equal(again.join_scores(codes, breaks), tiny_model.join_scores(codes, breaks))


def test_save_is_atomic_and_loads(tiny_model, tmp_path):
    path = tmp_path / "m.tieng"
    tiny_model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.tieng"]  # no temporary file left
    assert Model.load(path).to_bytes() == tiny_model.to_bytes()


def test_save_keeps_links_and_does_not_replace_devices(tiny_model, tmp_path):
    import os
    import stat

    real = tmp_path / "real.tieng"
    link = tmp_path / "link.tieng"
    link.symlink_to(real)
    tiny_model.save(link)
    assert link.is_symlink() and Model.load(real).to_bytes() == tiny_model.to_bytes()
    null = tmp_path / "null"
    null.symlink_to(os.devnull)
    tiny_model.save(null)  # written to the device, which stays one
    assert null.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.tieng", "null", "real.tieng"]


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Model.load(tmp_path / "nope.tieng")
    with pytest.raises(ModelError, match="directory"):
        Model.load(tmp_path)


@pytest.mark.parametrize("cut", [0, 5, 20, 200, -1])
def test_truncated_file(tiny_model, cut):
    data = tiny_model.to_bytes()
    with pytest.raises(ModelError, match=r"truncated|not a tieng|corrupt"):
        Model.from_bytes(data[: cut if cut >= 0 else len(data) - 1])


def test_corrupt_payload(tiny_model):
    data = bytearray(tiny_model.to_bytes())
    data[-10] ^= 0xFF
    with pytest.raises(ModelError, match="checksum"):
        Model.from_bytes(bytes(data))


def test_corrupt_header(tiny_model):
    data = bytearray(tiny_model.to_bytes())
    data[21] = ord("}")
    with pytest.raises(ModelError, match="header checksum"):
        Model.from_bytes(bytes(data))


def test_every_flipped_bit_is_caught(tiny_model):
    """Every byte of a file is under a checksum: one flipped bit anywhere is a ModelError."""
    data = tiny_model.to_bytes()
    header_end = 20 + struct.unpack_from("<I", data, 12)[0]
    rng = np.random.default_rng(0)
    where = list(range(header_end)) + list(rng.integers(header_end, len(data), 300))
    for i in where:
        bad = bytearray(data)
        bad[i] ^= 1 << int(rng.integers(8))
        with pytest.raises(ModelError):
            Model.from_bytes(bytes(bad))


def _crafted(model: Model, change) -> bytes:
    """The model's file with its header changed by ``change`` and the checksum redone, as a
    deliberately crafted file would be."""
    import json
    import zlib

    data = model.to_bytes()
    hlen = struct.unpack_from("<I", data, 12)[0]
    header = json.loads(data[20 : 20 + hlen])
    change(header)
    hbytes = json.dumps(header).encode() + b" " * 64
    hbytes += b" " * ((-(20 + len(hbytes))) % 64)
    payload = data[20 + hlen :]
    prefix = data[:8] + struct.pack("<II", FORMAT_VERSION, len(hbytes))
    crc = struct.pack("<I", zlib.crc32(hbytes, zlib.crc32(prefix)))
    return prefix + crc + hbytes + payload


def _set(path, value):
    def change(header):
        d = header
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set(("arrays", "weights", "shape"), [-1]),
        _set(("arrays", "weights", "shape"), [2**62, 2**62]),
        _set(("arrays", "lexicon", "dtype"), "<f4"),
        _set(("arrays", "vocabulary", "dtype"), "<u4"),
        _set(("arrays", "vocabulary", "offset"), 10**12),
        _set(("arrays", "vocabulary", "offset"), -64),
        _set(("arrays", "weights", "nbytes"), 7),
        _set(("arrays", "lexicon"), None),
        _set(("bias",), float("inf")),
        _set(("bias",), "0.5"),
        _set(("features", "hash_bits"), 64),
        _set(("features", "classes"), 0),
        _set(("features", "lists"), ["extra"]),
        _set(("payload_size",), -1),
        _set(("metadata",), []),
        lambda h: h["arrays"].update(extra=h["arrays"]["vocabulary"]),
        lambda h: h.clear(),
    ],
)
def test_crafted_headers_are_one_clear_error(tiny_corpus, change):
    from tieng.training import train

    model = train([s.split() for s in tiny_corpus] * 4, hash_bits=12, max_iter=5, classes=3)
    assert Model.from_bytes(_crafted(model, lambda h: None)).bias == pytest.approx(model.bias)
    with pytest.raises(ModelError):
        Model.from_bytes(_crafted(model, change))


def test_only_regular_files_are_read(tmp_path):
    import os

    for path, message in (("/dev/zero", "not a regular file"), ("/dev/urandom", "regular")):
        with pytest.raises(ModelError, match=message):
            Model.load(path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(ModelError, match="not a regular file"):
        Model.load(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(ModelError, match="cannot read"):
        Model.load(loop)
    with pytest.raises(ModelError):
        tieng.Segmenter(str(fifo))


def test_version_1_files_still_load(tiny_model):
    """Files written before the header checksum (format version 1) load as before."""
    import json
    import zlib

    data = tiny_model.to_bytes()
    hlen = struct.unpack_from("<I", data, 12)[0]
    header = data[20 : 20 + hlen]
    payload = data[20 + hlen :]
    pad = b" " * ((-(16 + len(header))) % 64)
    old = data[:8] + struct.pack("<II", 1, len(header) + len(pad)) + header + pad + payload
    model = Model.from_bytes(old)
    assert model.format_version == 1 and model.to_bytes() == data
    assert json.loads(header)["payload_crc32"] == zlib.crc32(payload)


def test_wrong_magic_and_version(tiny_model):
    data = tiny_model.to_bytes()
    with pytest.raises(ModelError, match="wrong magic"):
        Model.from_bytes(b"PK\x03\x04" + data[4:])
    bumped = data[:8] + struct.pack("<I", FORMAT_VERSION + 1) + data[12:]
    with pytest.raises(ModelError, match="version"):
        Model.from_bytes(bumped)


def test_bundled_model_is_valid():
    path = SRC / "models" / "vlsp2013.tieng"
    model = Model.load(path)
    assert path.stat().st_size < 20_000_000
    assert "l2" in model.metadata["training"]


def test_no_pickle_anywhere_in_src():
    pattern = re.compile(
        r"\bpickle\.loads?\b|\bjoblib\b|allow_pickle\s*=\s*True|\bmarshal\.loads?\b"
    )
    offenders = [p.name for p in SRC.rglob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("ngrams", [[[0]] * 200, [[0] * 3000], [[0], [1]] * 40])
def test_crafted_feature_settings_beyond_the_code_limits_are_refused_at_load(tiny_model, ngrams):
    """Valid checksums, but more n-grams or longer ones than the scorer takes: refused when
    the file is read, not at the first text (pure Python spent seconds and GBs on them)."""
    data = _crafted(tiny_model, _set(["features", "ngrams"], ngrams))
    with pytest.raises(ModelError, match=r"n-grams|templates"):
        Model.from_bytes(data)
