"""The model file container: one self-describing binary file, read without pickle.

Every kind of model (the segmenter's, the tagger's, and the stages to come) is stored as::

    magic      8 bytes   b"TIENGMDL"
    version    uint32    FORMAT_VERSION, little-endian
    header     uint32    length of the JSON header (UTF-8, padded with spaces)
    crc        uint32    CRC-32 of the 16 bytes above and the header (version 2 on)
    the header, then the arrays: raw little-endian arrays, each at an offset (from the start
               of the payload) aligned to 64 bytes, as listed in the header

The header holds the metadata, the model's settings and, for each array, its dtype, shape,
offset and size; ``payload_crc32`` checks the arrays, so every byte of the file is under a
checksum.  :func:`unpack_file` checks every field before any array is made, and anything amiss
is one :class:`ModelError`.  Reading parses JSON and wraps bytes with
:func:`numpy.frombuffer`: no pickle, no code execution.  What each kind of model keeps in its
header and arrays is the business of its own module (:mod:`tieng.model`, :mod:`tieng.tagging`).

This module imports nothing of tieng.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

import numpy as np

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_FILE",
    "ModelError",
    "is_int",
    "pack_file",
    "read_arrays",
    "read_file",
    "unpack_file",
]

MAGIC = b"TIENGMDL"
FORMAT_VERSION = 4  # 4: 8-bit weights, word lists and lexicon as ragged rows (tieng.model)
_PREFIX = struct.Struct("<8sII")  # magic, version, header length
_CRC = struct.Struct("<I")  # version 2 on: CRC-32 of the prefix and the header
_ALIGN = 64
MAX_FILE = 1 << 31  # no model file is anywhere near 2 GB


class ModelError(ValueError):
    """A model file is missing, truncated, corrupt or of an unsupported version."""


def is_int(x: Any) -> TypeGuard[int]:
    """True for an ``int`` that is not a ``bool`` (what a header's counts must be)."""
    return isinstance(x, int) and not isinstance(x, bool)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a model may hold")


def pack_file(
    fields: dict[str, Any], arrays: dict[str, np.ndarray], version: int = FORMAT_VERSION
) -> bytes:
    """A model file: the header ``fields`` (JSON) and ``arrays``, in the format above
    (``version`` 2 or later: which arrays a version has is the caller's business).

    The arrays are written little-endian at aligned offsets; the header gets their table,
    the payload's size and checksum.  Every kind of model (the segmenter's, the tagger's)
    is written by this function and read by :func:`unpack_file` and :func:`read_arrays`.
    """
    table: dict[str, dict[str, Any]] = {}
    chunks: list[bytes] = []
    offset = 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        dtype = arr.dtype.newbyteorder("<").str
        data = arr.astype(dtype, copy=False).tobytes()
        pad = (-offset) % _ALIGN
        chunks.append(b"\0" * pad)
        offset += pad
        table[name] = {
            "dtype": dtype,
            "shape": list(arr.shape),
            "offset": offset,
            "nbytes": len(data),
        }
        chunks.append(data)
        offset += len(data)
    payload = b"".join(chunks)
    header = dict(fields)
    header.update(arrays=table, payload_size=len(payload), payload_crc32=zlib.crc32(payload))
    hbytes = json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8")
    hbytes += b" " * ((-(_PREFIX.size + _CRC.size + len(hbytes))) % _ALIGN)
    prefix = _PREFIX.pack(MAGIC, version, len(hbytes))
    crc = _CRC.pack(zlib.crc32(hbytes, zlib.crc32(prefix)))
    return prefix + crc + hbytes + payload


def unpack_file(data: memoryview, source: str) -> tuple[int, dict[str, Any], memoryview]:
    """``(version, header, payload)`` of a model file's bytes, every checksum checked;
    raises :class:`ModelError`."""

    def corrupt(what: str) -> ModelError:
        return ModelError(f"{source}: corrupt model header ({what})")

    if len(data) < _PREFIX.size:
        held = f"{len(data)} byte" + ("" if len(data) == 1 else "s")
        raise ModelError(f"{source}: not a tieng model (the file holds only {held})")
    magic, version, hlen = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise ModelError(f"{source}: not a tieng model file (wrong magic bytes)")
    if not is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise ModelError(
            f"{source}: model format version {version} is not supported by this tieng "
            f"(it reads versions 1 to {FORMAT_VERSION}); retrain or upgrade tieng"
        )
    at = _PREFIX.size + (_CRC.size if version >= 2 else 0)
    start = at + hlen
    if start > len(data):
        raise ModelError(f"{source}: truncated model file (header cut short)")
    hbytes = bytes(data[at:start])
    if version >= 2:
        (crc,) = _CRC.unpack_from(data, _PREFIX.size)
        if zlib.crc32(hbytes, zlib.crc32(bytes(data[: _PREFIX.size]))) != crc:
            raise ModelError(f"{source}: corrupt model file (header checksum mismatch)")
    try:
        header = json.loads(hbytes.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise corrupt(str(e)) from None
    if not isinstance(header, dict):
        raise corrupt("not an object")
    size, crc = header.get("payload_size"), header.get("payload_crc32")
    if not is_int(size) or not 0 <= size <= MAX_FILE or not is_int(crc):
        raise corrupt("payload size or checksum")
    if not isinstance(header.get("kind", ""), str):
        raise corrupt("kind")
    payload = data[start:]
    if len(payload) != size:
        raise ModelError(
            f"{source}: truncated or padded model file "
            f"({len(payload)} payload bytes, expected {size})"
        )
    if zlib.crc32(payload) != crc:
        raise ModelError(f"{source}: corrupt model file (checksum mismatch)")
    return version, header, payload


def read_arrays(
    table: object, payload: memoryview, dtypes: Mapping[str, Sequence[str]], source: str
) -> dict[str, np.ndarray]:
    """The arrays named in ``dtypes`` (each with the dtypes it may have), read from the
    payload as the header's ``table`` places them; nothing else may be there."""

    def corrupt(what: str) -> ModelError:
        return ModelError(f"{source}: corrupt model header ({what})")

    if not isinstance(table, dict):
        raise corrupt("arrays")
    names = list(dtypes)
    if set(table) != set(names):
        raise corrupt(f"arrays {sorted(table)}, the features need {names}")
    size = len(payload)
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        entry = table[name]
        if not isinstance(entry, dict) or entry.get("dtype") not in dtypes[name]:
            raise corrupt(f"array {name!r}: dtype")
        shape, off, nbytes = entry.get("shape"), entry.get("offset"), entry.get("nbytes")
        if (
            not isinstance(shape, list)
            or not 1 <= len(shape) <= 2
            or not all(is_int(x) and 0 <= x <= MAX_FILE for x in shape)
            or not is_int(off)
            or not is_int(nbytes)
        ):
            raise corrupt(f"array {name!r}: shape, offset or size")
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(shape, dtype=np.int64))
        if nbytes != count * dtype.itemsize or not 0 <= off <= size - nbytes:
            raise corrupt(f"array {name!r}: does not fit the file")
        arr = np.frombuffer(payload, dtype=dtype, count=count, offset=off)
        if arr.ctypes.data % dtype.alignment:  # (pack_file aligns to 64; C reads them whole)
            raise corrupt(f"array {name!r}: misaligned")
        arrays[name] = arr.reshape(shape)
    return arrays


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a model file; raises :class:`ModelError` with the reason if unreadable.

    Only a regular file is read (a link is followed): a device, a named pipe or a
    directory is refused before it is opened, and no more is read than the file holds.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found") from None
    except OSError as e:  # a loop of symbolic links, a path through a file, ...
        raise ModelError(f"{path}: cannot read model file ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelError(f"{path}: is a directory, not a model file")
    if not stat.S_ISREG(st.st_mode):
        raise ModelError(f"{path}: not a regular file (a device or a pipe), not a model file")
    if st.st_size > MAX_FILE:
        raise ModelError(f"{path}: {st.st_size} bytes, too large for a model file")
    try:
        with open(path, "rb") as f:
            return f.read(st.st_size + 1)
    except OSError as e:
        raise ModelError(f"{path}: cannot read model file ({e.strerror})") from None
