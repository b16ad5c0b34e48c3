"""Coverage-guided fuzzing of model files with atheris (pip install "tieng[fuzz]").

Every input is read as a model file: it must load, or fail with one ModelError; never any
other exception, a crash or a hang.  A model that loads must segment a sentence.  Inputs
are mutated from a small real model (built at start, hash_bits 12) and from the seeds, and
half the time the header checksum is redone after the mutation, as a crafted file would
have it, so the checks behind the checksum are fuzzed too.

    mkdir -p fuzz/model_corpus
    python fuzz/fuzz_model.py -max_total_time=600 -timeout=10 fuzz/model_corpus
"""

from __future__ import annotations

import json
import struct
import sys
import zlib

import atheris

with atheris.instrument_imports():
    import tieng
    from tieng.model import Model, ModelError
    from tieng.training.segmenter import train

_CORPUS = [
    "Hà_Nội là thủ_đô của Việt_Nam .",
    "Thành_phố Hà_Nội có nhiều hồ đẹp .",
    "Người dân đi làm bằng xe_máy .",
]
SEED = train([s.split() for s in _CORPUS] * 4, hash_bits=12, max_iter=5, classes=3).to_bytes()


def _recrc(data: bytes) -> bytes:
    """The file with its header checksum redone (format version 2)."""
    if len(data) < 20 or data[8:12] != b"\x02\x00\x00\x00":
        return data
    hlen = struct.unpack_from("<I", data, 12)[0]
    crc = zlib.crc32(data[20 : 20 + hlen], zlib.crc32(data[:16]))
    return data[:16] + struct.pack("<I", crc) + data[20:]


_HLEN = struct.unpack_from("<I", SEED, 12)[0]
_HEADER = json.loads(SEED[20 : 20 + _HLEN])
_PATHS = [
    (top, *rest)
    for top, value in _HEADER.items()
    for rest in (
        [()]
        + [(k,) for k in value]
        + [(k, j) for k, v in value.items() if isinstance(v, dict) for j in v]
        if isinstance(value, dict)
        else [()]
    )
]


def _crafted(fdp: atheris.FuzzedDataProvider) -> bytes:
    """The seed model with one header field set to a fuzzed JSON value, checksum redone."""
    header = json.loads(json.dumps(_HEADER))
    path = _PATHS[fdp.ConsumeIntInRange(0, len(_PATHS) - 1)]
    kind = fdp.ConsumeIntInRange(0, 6)
    value = [
        lambda: fdp.ConsumeInt(8),
        lambda: fdp.ConsumeRegularFloat(),
        lambda: fdp.ConsumeUnicodeNoSurrogates(8),
        lambda: [fdp.ConsumeInt(4) for _ in range(fdp.ConsumeIntInRange(0, 3))],
        lambda: None,
        lambda: fdp.ConsumeBool(),
        lambda: {},
    ][kind]()
    d = header
    for k in path[:-1]:
        d = d[k]
    if path:
        d[path[-1]] = value
    hbytes = json.dumps(header).encode()
    hbytes += b" " * ((-(20 + len(hbytes))) % 64)
    prefix = SEED[:8] + struct.pack("<II", 2, len(hbytes))
    crc = struct.pack("<I", zlib.crc32(hbytes, zlib.crc32(prefix)))
    return prefix + crc + hbytes + SEED[20 + _HLEN :]


def test_one(data: bytes) -> None:
    if not data:
        data = SEED
    if data[0] & 2:  # a crafted header, field by field
        data = _crafted(atheris.FuzzedDataProvider(data[1:]))
    elif data[0] & 1:
        data = _recrc(data)
    try:
        model = Model.from_bytes(data)
    except ModelError:
        return
    seg = tieng.Segmenter(model)
    out = seg.segment_text("Hà Nội là thủ đô của Việt Nam.")
    assert out.replace("_", " ").replace(" ", "") == "HàNộilàthủđôcủaViệtNam."


def main() -> None:
    if not any(not a.startswith("-") for a in sys.argv[1:]):
        sys.argv.append(__file__.replace("fuzz_model.py", "model_seeds"))
    atheris.Setup(sys.argv, test_one, custom_mutator=None)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
