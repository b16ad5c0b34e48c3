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
        _set(("arrays", "lexicon_ids", "dtype"), "<f4"),
        _set(("arrays", "lexicon_lengths", "dtype"), "<u2"),
        _set(("arrays", "vocabulary", "dtype"), "<u4"),
        _set(("arrays", "vocabulary", "offset"), 10**12),
        _set(("arrays", "vocabulary", "offset"), -64),
        _set(("arrays", "weights", "nbytes"), 7),
        _set(("arrays", "lexicon_ids"), None),
        _set(("arrays", "weights", "dtype"), "|u1"),  # 8-bit weights without a codebook
        _set(("bias",), float("inf")),
        _set(("bias",), "0.5"),
        _set(("bias",), 1e300),
        _set(("features", "hash_bits"), 64),
        _set(("features", "classes"), 0),
        _set(("features", "lists"), ["extra"]),
        _set(("features", "countries"), "Pháp"),
        _set(("features", "countries"), ["Hoa Kỳ"]),
        _set(("features", "countries"), [7]),
        _set(("features", "countries"), ["x"] * 2000),
        _set(("payload_size",), -1),
        _set(("metadata",), []),
        lambda h: h["arrays"].update(extra=h["arrays"]["vocabulary"]),
        lambda h: h.clear(),
    ],
)
def test_crafted_headers_are_one_clear_error(tiny_corpus, change):
    from tieng.training.segmenter import train

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


def _older(model: Model, version: int) -> bytes:
    """The model's file as tieng wrote it before format version 4: the lexicon as 0-padded
    rows; in version 3 the word lists as their hash table and the score tables; before, the
    word lists as rows, no score tables (and before version 2, no header checksum)."""
    from tieng.container import pack_file

    vocab = "\n".join(model.vocabulary.keys).encode()
    arrays = {
        "weights": model.weights,
        "lexicon": model.lexicon.astype("<u4"),
        "vocabulary": np.frombuffer(vocab, np.uint8),
    }
    if model.classes is not None:
        arrays["classes"] = model.classes.astype("<u2")
    fields = {"metadata": model.metadata, "features": model.spec.to_dict(), "bias": model.bias}
    if version == 3:
        table = model._lists.table
        arrays.update(lists_keys=table.keys, lists_flags=table.flags)
        arrays["score_tables"] = model.score_tables().flat()
        fields["word_lists"] = {"bits": table.bits, "sizes": list(model.list_sizes)}
        return pack_file(fields, arrays, version=3)
    for i, rows in enumerate(model._list_rows):
        arrays[f"list{i}"] = rows.astype("<u2")
    data = pack_file(fields, arrays, version=2)
    if version == 1:
        hlen = struct.unpack_from("<I", data, 12)[0]
        header, payload = data[20 : 20 + hlen], data[20 + hlen :]
        pad = b" " * ((-(16 + len(header))) % 64)
        data = data[:8] + struct.pack("<II", 1, len(header) + len(pad)) + header + pad + payload
    return data


@pytest.fixture(scope="module")
def listed_model(tiny_corpus):
    """A small model with two outside word lists."""
    from tieng.training.segmenter import train

    lists = {"a": [["thành", "phố"], ["xây", "dựng"]], "b": [["đầu", "tư"], ["hai", "tuyến"]]}
    sentences = [s.split() for s in tiny_corpus] * 4
    return train(sentences, hash_bits=12, max_iter=10, classes=3, lists=lists)


def _last(value):
    def change(arr):
        arr[-1] = value

    return change


def _scores(model: Model) -> np.ndarray:
    codes = model.vocabulary.codes("Thành phố sẽ đầu tư xây dựng hai tuyến".split())
    breaks = np.zeros(len(codes), bool)
    breaks[0] = True
    return model.join_scores(codes, breaks)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_older_format_versions_still_load(listed_model, version):
    """Files of format versions 1 to 3 load and score as before, and are written back in the
    current version (with the word lists as rows when the file had their rows)."""
    old = Model.from_bytes(_older(listed_model, version))
    assert old.format_version == version and old.list_sizes == listed_model.list_sizes
    assert sum(old.list_sizes) > 0
    if version < 3:
        assert old.to_bytes() == listed_model.to_bytes()
    expected = _scores(listed_model)
    assert np.array_equal(_scores(old), expected)
    new = Model.from_bytes(old.to_bytes())
    assert new.format_version == FORMAT_VERSION == 4
    assert np.array_equal(_scores(new), expected)


def test_current_files_hold_what_loading_would_build(listed_model):
    """A version 4 file holds the score tables, read as they are, and the word lists as rows
    (one after another, with their lengths), whose hash table is the one they were built into."""
    model = Model.from_bytes(listed_model.to_bytes())
    assert model._tables is not None
    assert [r.tolist() for r in model._list_rows] == [r.tolist() for r in listed_model._list_rows]
    assert np.array_equal(model.lexicon, listed_model.lexicon)
    built = listed_model.score_tables()
    assert sorted(model._tables.tables) == sorted(built.tables)
    for t, table in built.tables.items():
        assert np.array_equal(model._tables.tables[t], table)
    assert np.array_equal(model._lists.table.keys, listed_model._lists.table.keys)
    assert np.array_equal(model._lists.table.flags, listed_model._lists.table.flags)


def test_quantized_weights_are_eight_bits_and_score_as_the_file_says(listed_model):
    """:meth:`Model.quantized` keeps every weight within a few hundredths (zero exact); the
    file holds the codes and the codebook, and what is loaded scores exactly as what was
    saved, by the compiled and the pure code alike."""
    from tieng import _accel

    small = listed_model.quantized()
    assert small.weights.dtype == np.uint8 and small.codebook.shape == (256,)
    wide = listed_model.weights.astype(np.float32)
    assert np.abs(small.codebook[small.weights] - wide).max() <= 0.03 * np.abs(wide).max()
    assert np.all(small.codebook[small.weights][wide == 0] == 0)
    assert small.quantized() is small
    data = small.to_bytes()
    assert len(data) < len(listed_model.to_bytes())
    again = Model.from_bytes(data)
    assert np.array_equal(again.weights, small.weights)
    assert np.array_equal(again.codebook, small.codebook)
    assert np.array_equal(_scores(again), _scores(small))
    near = _scores(listed_model)
    assert np.allclose(_scores(small), near, rtol=0, atol=0.05) and np.isinf(near[-1])
    with _accel.using(None):
        assert np.array_equal(_scores(Model.from_bytes(data)), _scores(small))


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.__setitem__(3, np.nan),
        lambda a: a.__setitem__(-1, np.inf),
        lambda a: a.__setitem__(0, 5000.0),  # past MAX_CODE (and unsorted)
        lambda a: a.__setitem__(slice(None), a[::-1].copy()),  # not sorted
    ],
)
def test_crafted_codebooks_are_refused(listed_model, change):
    small = listed_model.quantized()
    assert Model.from_bytes(_with_payload(small, "codebook", lambda a: None))
    with pytest.raises(ModelError, match="codebook"):
        Model.from_bytes(_with_payload(small, "codebook", change))


@pytest.mark.parametrize(
    "change",
    [
        _set(("arrays", "codebook", "shape"), [255]),
        _set(("arrays", "codebook", "dtype"), "<f2"),
        _set(("arrays", "codebook"), None),
    ],
)
def test_crafted_codebook_headers_are_refused(listed_model, change):
    with pytest.raises(ModelError):
        Model.from_bytes(_crafted(listed_model.quantized(), change))


def test_a_codebook_goes_with_eight_bit_weights_only(tiny_model):
    with pytest.raises(ModelError, match="codebook"):
        Model(
            tiny_model.vocabulary,
            tiny_model.lexicon,
            tiny_model.weights,
            tiny_model.bias,
            tiny_model.spec,
            codebook=np.zeros(256, np.float32),
        )
    with pytest.raises(ModelError, match="codebook"):
        Model(
            tiny_model.vocabulary,
            tiny_model.lexicon,
            tiny_model.weights.view(np.uint8)[::2],
            tiny_model.bias,
            tiny_model.spec,
        )


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("lists_lengths", _last(1)),  # a one-syllable entry: the lengths no longer add up
        ("lists_lengths", _last(9)),  # longer than max_word
        ("lists_ids", _last(60000)),  # past the vocabulary
        ("lists_ids", _last(0)),
        ("lexicon_lengths", _last(0)),
        ("lexicon_ids", _last(60000)),
    ],
)
def test_crafted_rows_are_refused_at_load(listed_model, name, change):
    with pytest.raises(ModelError, match="entry counts"):  # (entries the rows do not have)
        Model.from_bytes(_crafted(listed_model, _set(("word_lists", "sizes"), [1, 10**6])))
    assert Model.from_bytes(_with_payload(listed_model, name, lambda a: None))
    with pytest.raises(ModelError, match="does not fit"):
        Model.from_bytes(_with_payload(listed_model, name, change))


def _with_payload(model: Model, name: str, change) -> bytes:
    """The model's file with array ``name`` changed in place by ``change`` and every checksum
    redone, as a deliberately crafted file would be."""
    import json
    import zlib

    data = bytearray(model.to_bytes())
    hlen = struct.unpack_from("<I", data, 12)[0]
    header = json.loads(data[20 : 20 + hlen])
    entry = header["arrays"][name]
    start = 20 + hlen + entry["offset"]
    arr = np.frombuffer(data, entry["dtype"], int(np.prod(entry["shape"])), start).copy()
    change(arr)
    data[start : start + entry["nbytes"]] = arr.tobytes()
    header["payload_crc32"] = zlib.crc32(bytes(data[20 + hlen :]))
    hbytes = json.dumps(header).encode()
    hbytes += b" " * (hlen - len(hbytes))
    crc = struct.pack("<I", zlib.crc32(hbytes, zlib.crc32(bytes(data[:16]))))
    return bytes(data[:16]) + crc + hbytes + bytes(data[20 + hlen :])


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("lists_keys", _last(12345)),  # no empty slot at the end: a probe could run off it
        ("lists_flags", _last(1 << 5)),  # a list the features do not have
    ],
)
def test_crafted_stored_tables_are_refused_at_load(listed_model, name, change):
    tabled = Model.from_bytes(_older(listed_model, 3))  # its word lists: a table, no rows
    assert Model.from_bytes(_with_payload(tabled, name, lambda a: None))
    with pytest.raises(ModelError, match="word lists"):
        Model.from_bytes(_with_payload(tabled, name, change))


@pytest.mark.parametrize(
    "change",
    [
        _set(("word_lists", "sizes"), [1]),
        _set(("word_lists",), None),
        _set(("arrays", "score_tables", "dtype"), "<f4"),
        _set(("arrays", "score_tables", "dtype"), "<u8"),
    ],
)
def test_crafted_table_headers_are_refused_at_load(listed_model, change):
    tabled = Model.from_bytes(_older(listed_model, 3))
    for model in (tabled, listed_model):  # the word lists as a table, and as rows
        with pytest.raises(ModelError):
            Model.from_bytes(_crafted(model, change))


@pytest.mark.parametrize("bits", [30, 2])  # more slots than the table has; too few
def test_crafted_table_sizes_are_refused_at_load(listed_model, bits):
    tabled = Model.from_bytes(_older(listed_model, 3))
    with pytest.raises(ModelError, match="word lists"):
        Model.from_bytes(_crafted(tabled, _set(("word_lists", "bits"), bits)))


def test_score_tables_of_another_length_are_refused(listed_model):
    def shorter(h):
        h["arrays"]["score_tables"]["shape"] = [h["arrays"]["score_tables"]["shape"][0] - 1]
        h["arrays"]["score_tables"]["nbytes"] -= 2

    with pytest.raises(ModelError, match="score tables"):
        Model.from_bytes(_crafted(listed_model, shorter))


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


def test_a_word_list_table_over_half_full_is_refused(listed_model):
    """A crafted file whose word-list table is full once loaded, and then every lookup read
    the whole table: the load factor is checked (and the longest run of full slots)."""
    from tieng.container import pack_file, read_arrays, unpack_file

    tabled = Model.from_bytes(_older(listed_model, 3))  # its word lists: a table, no rows
    version, header, payload = unpack_file(memoryview(tabled.to_bytes()), "<x>")
    table = header["arrays"]
    arrays = dict(read_arrays(table, payload, {k: (v["dtype"],) for k, v in table.items()}, "<x>"))
    keys = arrays["lists_keys"].copy()
    keys[:-1] = np.arange(1, len(keys), dtype=np.uint64)  # every slot but the last one full
    arrays["lists_keys"] = keys
    fields = {
        k: v for k, v in header.items() if k not in ("arrays", "payload_size", "payload_crc32")
    }
    with pytest.raises(ModelError, match="more than half full"):
        Model.from_bytes(pack_file(fields, arrays, version))
    assert Model.from_bytes(tabled.to_bytes()).list_sizes == listed_model.list_sizes


def test_an_array_at_a_misaligned_place_is_refused(listed_model):
    """A crafted header length can shift every array off its alignment; the C helpers read
    arrays whole, so a misaligned one (undefined behaviour in C) is refused at load."""
    from tieng.container import read_arrays, unpack_file

    _, header, payload = unpack_file(memoryview(listed_model.to_bytes()), "<x>")
    table = header["arrays"]
    dtypes = {k: (v["dtype"],) for k, v in table.items()}
    assert read_arrays(table, payload, dtypes, "<x>")  # in place: aligned
    shifted = memoryview(b"\0" + bytes(payload))[1:]  # the same bytes, one byte off
    with pytest.raises(ModelError, match="misaligned"):
        read_arrays(table, shifted, dtypes, "<x>")


def test_syllable_flags_round_trip_and_crafted_ones_are_refused(listed_model):
    from tieng.engine.features import SyllableFlag

    flags = np.zeros(len(listed_model.vocabulary), np.uint8)
    flags[2:6] = [SyllableFlag.UNGLUED, SyllableFlag.FAMILY, SyllableFlag.MIDDLE, 0]
    flagged = listed_model.with_syllable_flags(flags)
    again = Model.from_bytes(flagged.to_bytes())
    assert np.array_equal(again.syllable_flags, flags)
    assert Model.from_bytes(listed_model.to_bytes()).syllable_flags is None
    with pytest.raises(ModelError, match="syllable flags"):
        Model.from_bytes(_with_payload(flagged, "syllable_flags", _last(64)))
    with pytest.raises(ModelError):
        Model.from_bytes(_crafted(flagged, _set(("arrays", "syllable_flags", "shape"), [3])))
    with pytest.raises(ModelError, match="syllable flags"):
        listed_model.with_syllable_flags(flags[:-1])


def test_a_bundled_file_truncated_under_a_running_process_does_not_kill_it(tmp_path):
    """Bundled models are read, not mapped: a file truncated in place (a reinstall writing
    over it) cannot end a running process with SIGBUS (issue 40, item 16)."""
    import shutil
    import subprocess
    import sys

    from tieng import registry

    shutil.copy(registry.MODELS / "vlsp2013.tieng", tmp_path / "vlsp2013.tieng")
    script = f"""
import pathlib, tieng
from tieng import registry
registry.MODELS = pathlib.Path({str(tmp_path)!r})
seg = tieng.Segmenter("vlsp2013")
with open(registry.MODELS / "vlsp2013.tieng", "r+b") as f:
    f.truncate(4096)
print(seg("Hà Nội có nhiều hồ").text)
print(len(list(seg.pipe(["Thành phố sẽ đầu tư xây dựng hai tuyến"] * 300))))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Hà_Nội có nhiều hồ", "300"]
