"""The segmentation model and its file format.

A model file is one self-describing binary file::

    magic      8 bytes   b"TIENGMDL"
    version    uint32    FORMAT_VERSION, little-endian
    header     uint32    length of the JSON header (UTF-8, padded with spaces)
    crc        uint32    CRC-32 of the 16 bytes above and the header (version 2 on)
    the header, then the arrays: raw little-endian arrays, each at an offset (from the start
               of the payload) aligned to 64 bytes, as listed in the header

The header holds the metadata (training data, settings, figures), the feature settings, and
for each array its dtype, shape, offset and size; ``payload_crc32`` checks the arrays, so
every byte of the file is covered by a checksum.  Every field of the header is checked
before any array is made, and anything amiss is one :class:`ModelError`.  Loading parses
JSON and wraps bytes with :func:`numpy.frombuffer`: no pickle, no code execution.

Version 3 files also hold what loading used to build: the outside word lists as their hash
table (``lists_keys``, ``lists_flags``; header field ``word_lists``: its size in bits and
each list's entry count), in place of rows of syllable ids, and the weights regrouped for
scoring (``score_tables``, see :meth:`tieng.features.ScoreTables.flat`).  They are read
straight from the (memory-mapped) file, their shapes checked so that every lookup stays
inside them, so the first call costs what the second does.  Version 2 files (lists as rows,
tables built at first use) and version 1 files (no header checksum either) still load.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import stat
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from .features import (
    JOINABLE,
    PAD,
    FeatureSpec,
    Lexicon,
    ScoreTables,
    Shape,
    SpanTable,
    WordLists,
    gap_features,
    lexicon_hashes,
)
from .vocabulary import UNKNOWN, Vocabulary

__all__ = [
    "BUNDLED_MODELS",
    "BUNDLED_TAGGERS",
    "DEFAULT_MODEL",
    "FORMAT_VERSION",
    "MAGIC",
    "Calibration",
    "Model",
    "ModelError",
    "ModelSource",
]

MAGIC = b"TIENGMDL"
FORMAT_VERSION = 3
_PREFIX = struct.Struct("<8sII")  # magic, version, header length
_CRC = struct.Struct("<I")  # version 2 on: CRC-32 of the prefix and the header
_ALIGN = 64
# The dtypes each array may have.
_ARRAY_DTYPES = {
    "weights": ("<f2", "<f4"),
    "lexicon": ("<u2", "<u4"),
    "vocabulary": ("|u1",),
    "classes": ("<u2",),
    "lists_keys": ("<u8",),
    "lists_flags": ("<u2",),
    "score_tables": ("<f2", "<f4"),
}
_LIST_DTYPES = ("<u2", "<u4")
_MAX_FILE = 1 << 31  # no model file is anywhere near 2 GB


# A sentence is read as if in sentence case when it is in capitals (UPPER: at least 2 tokens
# and 3/4 of its letter tokens) or in Title Case (TITLE or UPPER: at least TITLE_MIN tokens
# and 9/10 of its letter tokens), as headings are; _speedups.Line has the same rule.
TITLE_MIN = 4


def _uncap(shapes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Shapes as if ALL-CAPS and Title Case sentences were written in sentence case.

    In a sentence where at least 3/4 of the letter tokens are upper case (and there are at
    least two), or 9/10 are capitalized (and there are at least four; headings, titles of
    works and of organisations), case says nothing about names, so UPPER and Title tokens
    are seen as lower case and the first token as Title, the way the same sentence looks in
    running text.
    """
    upper = shapes == Shape.UPPER
    # (models with foreign-word shapes; a country's name counts as any capitalized syllable)
    foreign = (shapes == Shape.FOREIGN) | (shapes == Shape.FOREIGN_TITLE)
    country = shapes == Shape.COUNTRY
    title = (shapes == Shape.TITLE) | (shapes == Shape.FOREIGN_TITLE) | country
    if not upper.any() and int(np.count_nonzero(title)) < TITLE_MIN:
        return shapes
    sent = np.cumsum(starts) - 1  # starts[0] is True
    first_of = np.flatnonzero(starts)
    letters = ((shapes >= Shape.LOWER) & (shapes <= Shape.MIXED)) | foreign | country
    n_letters = np.add.reduceat(letters.astype(np.int64), first_of)
    n_upper = np.add.reduceat(upper.astype(np.int64), first_of)
    n_title = np.add.reduceat(title.astype(np.int64), first_of)
    caps = (n_upper >= 2) & (4 * n_upper >= 3 * n_letters)
    caps |= (n_title >= TITLE_MIN) & (10 * (n_title + n_upper) >= 9 * n_letters)
    if not caps.any():
        return shapes
    in_caps = caps[sent]
    out = shapes.copy()
    out[in_caps & (upper | title)] = Shape.LOWER
    out[in_caps & foreign] = Shape.FOREIGN
    first = in_caps & starts & letters
    out[first] = np.where(foreign[first], Shape.FOREIGN_TITLE, Shape.TITLE)
    return out


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _is_int(x: Any) -> TypeGuard[int]:
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
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
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
    if not _is_int(size) or not 0 <= size <= _MAX_FILE or not _is_int(crc):
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
            or not all(_is_int(x) and 0 <= x <= _MAX_FILE for x in shape)
            or not _is_int(off)
            or not _is_int(nbytes)
        ):
            raise corrupt(f"array {name!r}: shape, offset or size")
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(shape, dtype=np.int64))
        if nbytes != count * dtype.itemsize or not 0 <= off <= size - nbytes:
            raise corrupt(f"array {name!r}: does not fit the file")
        arr = np.frombuffer(payload, dtype=dtype, count=count, offset=off)
        arrays[name] = arr.reshape(shape)
    return arrays


def _stored_lists(
    entry: object, arrays: dict[str, np.ndarray], count: int, source: str
) -> WordLists:
    """The word lists' hash table of a version 3 file, its shape checked so that every
    lookup stays inside it (see :class:`tieng.features.SpanTable`)."""

    def corrupt(what: str) -> ModelError:
        return ModelError(f"{source}: corrupt model (word lists: {what})")

    if not count:
        if entry is not None:
            raise corrupt("the features use none")
        return WordLists([])
    if not isinstance(entry, dict):
        raise corrupt("no table")
    bits, sizes = entry.get("bits"), entry.get("sizes")
    if not _is_int(bits) or not 4 <= bits <= 40:
        raise corrupt("table size")
    if (
        not isinstance(sizes, list)
        or len(sizes) != count
        or not all(_is_int(n) and 0 <= n <= _MAX_FILE for n in sizes)
    ):
        raise corrupt("entry counts")
    keys, flags = arrays["lists_keys"], arrays["lists_flags"]
    allowed = SpanTable.PREFIX | ((1 << count) - 1)
    if (
        keys.ndim != 1
        or flags.shape != keys.shape
        or len(keys) <= 1 << bits
        or keys[-1] != 0
        or (flags.size and int(np.bitwise_or.reduce(flags)) & ~allowed)
    ):
        raise corrupt("malformed table")
    return WordLists.from_table(SpanTable.from_slots(keys, flags, bits), sizes)


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
    if st.st_size > _MAX_FILE:
        raise ModelError(f"{path}: {st.st_size} bytes, too large for a model file")
    try:
        with open(path, "rb") as f:
            return f.read(st.st_size + 1)
    except OSError as e:
        raise ModelError(f"{path}: cannot read model file ({e.strerror})") from None


@dataclass(frozen=True)
class Calibration:
    """How a model's join scores become probabilities (fitted on held-out data).

    A gap's probability of being what the model decided is ``sigmoid(scale * score + shift)``
    for a join (and one minus it for a boundary).  A word's confidence is the product over
    its gaps, through ``sigmoid(word_scale * logit(p) + word_shift)`` when the model holds a
    word-level map: the decisions are not quite independent.
    """

    scale: float = 1.0
    shift: float = 0.0
    word_scale: float | None = None
    word_shift: float = 0.0
    fitted_on: str = ""  # what data it was fitted on, in words

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"fitted_on": self.fitted_on} if self.fitted_on else {}
        d.update(scale=self.scale, shift=self.shift)
        if self.word_scale is not None:
            d.update(word_scale=self.word_scale, word_shift=self.word_shift)
        return d

    @classmethod
    def from_metadata(cls, meta: object) -> Calibration | None:
        """The calibration a model's metadata holds (``None``: none, or not usable)."""
        if not isinstance(meta, dict):
            return None
        try:
            values = {
                k: float(meta[k])
                for k in ("scale", "shift", "word_scale", "word_shift")
                if k in meta
            }
        except (TypeError, ValueError):
            return None
        if not all(math.isfinite(v) for v in values.values()):
            return None
        return cls(**values, fitted_on=str(meta.get("fitted_on", "")))


class ModelError(ValueError):
    """A model file is missing, truncated, corrupt or of an unsupported version."""


class Model:
    """Weights, vocabulary and lexicon of a trained segmenter.

    Most users never touch this class: :class:`tieng.Segmenter` loads and uses it.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        lexicon: np.ndarray,
        weights: np.ndarray,
        bias: float,
        spec: FeatureSpec,
        metadata: dict[str, Any] | None = None,
        classes: np.ndarray | None = None,
        lists: Sequence[np.ndarray] | WordLists | None = (),
    ) -> None:
        """``lists``: the outside word lists, as rows of syllable ids (one a list), or as
        their hash table already built (a :class:`tieng.features.WordLists`); None: none."""
        if weights.shape != (spec.size,):
            raise ModelError(f"weights have shape {weights.shape}, expected ({spec.size},)")
        if vocabulary.foreign != spec.foreign:
            raise ModelError("the vocabulary and the features disagree on foreign-word shapes")
        if tuple(vocabulary.countries) != spec.countries:
            raise ModelError("the vocabulary and the features disagree on country names")
        if vocabulary.key_version != spec.key_version:
            raise ModelError(
                f"vocabulary keys are version {vocabulary.key_version}, "
                f"features expect {spec.key_version}"
            )
        self.vocabulary = vocabulary
        if lexicon.ndim != 2 or lexicon.shape[1] != spec.max_word:
            raise ModelError(f"lexicon has shape {lexicon.shape}, expected (n, {spec.max_word})")
        self.lexicon = lexicon
        if spec.classes:
            if classes is None or classes.shape != (len(vocabulary),):
                raise ModelError(
                    f"the features need a syllable class for each of the {len(vocabulary)} "
                    "vocabulary ids"
                )
            if classes.size and int(classes.max()) > spec.classes:
                raise ModelError(f"syllable classes go past the {spec.classes} the features use")
            classes = classes.astype(np.int64)
        elif classes is not None:
            raise ModelError("syllable classes given, but the features do not use them")
        self.classes = classes  # class of each vocabulary id (0: none), or None
        self._lexicon = Lexicon(lexicon, (lexicon != 0).sum(axis=1))
        lists = () if lists is None else lists
        given = lists.count if isinstance(lists, WordLists) else len(lists)
        if given != len(spec.lists):
            raise ModelError(f"the features use {len(spec.lists)} word lists, {given} were given")
        # Outside word lists, one feature group each: their hash table (built on first use
        # from rows of syllable ids, as the lexicon's; shared by with_words).
        self._list_rows: list[np.ndarray] = []
        self._word_lists: WordLists | None = None
        if isinstance(lists, WordLists):
            self._word_lists = lists if lists.count else None
        else:
            for name, rows in zip(spec.lists, lists):
                if rows.ndim != 2 or rows.shape[1] != spec.max_word:
                    raise ModelError(
                        f"word list {name!r} has shape {rows.shape}, expected (n, {spec.max_word})"
                    )
            self._list_rows = [np.asarray(rows) for rows in lists]
        if weights.dtype not in (np.float16, np.float32):
            weights = weights.astype(np.float32)
        self.weights = weights  # float16 (what training writes) or float32
        if not abs(bias) <= _FLOAT32_MAX:
            raise ModelError(f"bias {bias} is not a float32 number (scores are float32)")
        self.bias = float(bias)
        self.spec = spec
        self.metadata = dict(metadata or {})
        # The confidence calibration, typed; it is written back into the metadata on save.
        self.calibration = Calibration.from_metadata(self.metadata.pop("calibration", None))
        self.format_version = FORMAT_VERSION  # of the file it was read from, if any
        self._tables: ScoreTables | None = None  # built on first use

    @property
    def _lists(self) -> WordLists | None:
        """The word lists' hash table (None without lists), built on first use."""
        if self._word_lists is None and self._list_rows:
            self._word_lists = WordLists(self._list_rows)
        return self._word_lists

    @property
    def list_sizes(self) -> tuple[int, ...]:
        """The number of entries of each outside word list (in ``spec.lists`` order)."""
        if self._word_lists is not None:
            return self._word_lists.sizes
        return tuple(len(rows) for rows in self._list_rows)

    # ----------------------------------------------------------------- scoring
    def _padded(self, codes: np.ndarray, breaks: np.ndarray):
        """Padded id and shape arrays, the decidable gaps, and their padded positions."""
        n = len(codes)
        if codes.min() < 0:  # white space passed as a token: an unknown symbol
            codes = np.where(codes < 0, UNKNOWN * Shape.COUNT + Shape.SYMBOL, codes)
        ids = codes // Shape.COUNT
        starts = breaks.copy()
        starts[0] = True
        shapes = _uncap(codes % Shape.COUNT, starts)
        # Position of each token in the padded array.
        pos = np.arange(n) + PAD * np.cumsum(starts)
        size = int(pos[-1]) + 1 + PAD
        pid = np.zeros(size, dtype=np.int64)
        psh = np.zeros(size, dtype=np.int64)
        pid[pos] = ids
        psh[pos] = shapes
        joinable = JOINABLE[shapes]
        gaps = np.flatnonzero(joinable[:-1] & joinable[1:] & ~starts[1:])
        return pid, psh, gaps, pos[gaps]

    def gap_features(self, codes: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The gaps the model decides, and their feature rows.

        ``codes`` are vocabulary codes of a flat run of tokens, ``breaks[i]`` is True when a
        new sentence starts at token ``i``.  Returns ``(gaps, features)``: ``gaps`` holds the
        indices ``i`` of the token pairs ``(i, i+1)`` that may be one word; every other pair
        (across sentences, or next to punctuation and symbols) is always a boundary.
        """
        if len(codes) < 2:
            return np.zeros(0, np.int64), np.zeros((0, self.spec.template_count), np.uint32)
        pid, psh, gaps, where = self._padded(codes, breaks)
        return gaps, gap_features(
            pid, psh, where, self._lexicon, self.spec, 0, self._classes(pid), self._lists
        )

    def join_scores(self, codes: np.ndarray, breaks: np.ndarray) -> np.ndarray:
        """Score of joining each token to the next: positive means one word.

        Same arguments as :meth:`gap_features`; the score is ``-inf`` where a boundary is
        certain, including after the last token of each sentence.
        """
        scores = np.full(len(codes), -np.inf, dtype=np.float32)
        if len(codes) < 2:
            return scores
        pid, psh, gaps, where = self._padded(codes, breaks)
        if len(gaps):
            tables = self.score_tables()
            found = tables.scores(pid, psh, where, self._lexicon, self._classes(pid), self._lists)
            with np.errstate(over="ignore", invalid="ignore"):  # (as in _numpy_scores)
                scores[gaps] = found + self.bias
        return scores

    def score_tables(self) -> ScoreTables:
        """The weights regrouped for scoring (built on first use, shared by :meth:`with_words`)."""
        tables = self._tables
        if tables is None:
            tables = self._tables = ScoreTables(self.weights, self.spec, len(self.vocabulary))
        return tables

    def compiled_scorer(self):
        """The compiled scorer of this model (its lexicon and word lists included); needs
        the compiled helpers."""
        return self.score_tables().scorer(self._lexicon, self._lists)

    def _classes(self, pid: np.ndarray) -> np.ndarray | None:
        return None if self.classes is None else self.classes[pid]

    def reference_join_scores(self, codes: np.ndarray, breaks: np.ndarray) -> np.ndarray:
        """:meth:`join_scores` the slow, plain way: one weight per feature row, summed."""
        scores = np.full(len(codes), -np.inf, dtype=np.float32)
        gaps, feats = self.gap_features(codes, breaks)
        if len(gaps):
            scores[gaps] = self.weights[feats].sum(axis=1, dtype=np.float32) + self.bias
        return scores

    # ----------------------------------------------------------------- file format
    def to_bytes(self) -> bytes:
        """Serialize to the model file format."""
        vocab_blob = np.frombuffer("\n".join(self.vocabulary.keys).encode("utf-8"), np.uint8)
        arrays = {
            "weights": self.weights,
            "lexicon": self.lexicon.astype("<u2" if len(self.vocabulary) <= 1 << 16 else "<u4"),
            "vocabulary": vocab_blob,
        }
        if self.classes is not None:
            arrays["classes"] = self.classes.astype("<u2")
        fields: dict[str, Any] = {}
        # What loading would otherwise build (version 3 on), stored ready to use: the word
        # lists' hash table (in place of their rows) and the weights regrouped for scoring.
        lists = self._lists
        if lists is not None:
            arrays["lists_keys"] = lists.table.keys
            arrays["lists_flags"] = lists.table.flags
            fields["word_lists"] = {"bits": lists.table.bits, "sizes": list(lists.sizes)}
        arrays["score_tables"] = self.score_tables().flat()
        metadata = dict(self.metadata)
        if self.calibration is not None:
            metadata["calibration"] = self.calibration.to_dict()
        fields.update(metadata=metadata, features=self.spec.to_dict(), bias=self.bias)
        return pack_file(fields, arrays)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` atomically (a temporary file renamed when complete).

        A symbolic link stays a link (the file it points to is replaced); a path that is not
        a regular file (``/dev/null``, a named pipe) is written directly, never replaced.  A
        :class:`tieng.files.FileError` says why when it cannot be written.
        """
        from .files import write_atomically

        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, source: str = "<bytes>") -> Model:
        """Parse and check a model file's contents; raises :class:`ModelError`."""
        try:
            return cls._parse(memoryview(data), source)
        except ModelError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError, UnicodeDecodeError) as e:
            # Every check below should come first; this is the net under them.
            raise ModelError(f"{source}: corrupt model file ({e})") from None

    @classmethod
    def _parse(cls, data: memoryview, source: str) -> Model:
        def corrupt(what: str) -> ModelError:
            return ModelError(f"{source}: corrupt model header ({what})")

        version, header, payload = unpack_file(data, source)
        if header.get("kind", "segmenter") != "segmenter":
            raise ModelError(
                f"{source}: a {header['kind']} model, not a segmentation model"
                + (
                    " (give it to tieng.Tagger, or to --tagger on the command line)"
                    if header["kind"] == "tagger"
                    else ""
                )
            )
        table, metadata, bias = header.get("arrays"), header.get("metadata", {}), header.get("bias")
        if not isinstance(table, dict) or not isinstance(metadata, dict):
            raise corrupt("arrays or metadata")
        if (
            not isinstance(bias, (int, float))
            or isinstance(bias, bool)
            or not abs(bias) <= _FLOAT32_MAX  # (nan too) the scores are float32
        ):
            raise corrupt("bias")
        if not isinstance(header.get("features"), dict):
            raise corrupt("features")
        try:
            spec = FeatureSpec.from_dict(header["features"])
        except (ValueError, KeyError, TypeError) as e:
            raise corrupt(f"features: {e}") from None
        names = ["weights", "lexicon", "vocabulary"] + (["classes"] if spec.classes else [])
        if version < 3:
            names += [f"list{i}" for i in range(len(spec.lists))]
        else:
            names += ["lists_keys", "lists_flags"] if spec.lists else []
            names.append("score_tables")
        dtypes = {name: _ARRAY_DTYPES.get(name, _LIST_DTYPES) for name in names}
        arrays = read_arrays(table, payload, dtypes, source)
        try:
            keys = arrays["vocabulary"].tobytes().decode("utf-8").split("\n")
        except UnicodeDecodeError:
            raise ModelError(f"{source}: corrupt model (vocabulary is not UTF-8)") from None
        if keys == [""]:
            keys = []
        weights = arrays["weights"]
        # (Finite values are not checked weight by weight: every byte is under a checksum,
        # and a crafted file with inf weights only segments badly; the bias is checked.)
        if weights.shape != (spec.size,):
            raise ModelError(f"{source}: corrupt model (weights)")
        lexicon = arrays["lexicon"].astype(np.uint32)  # (stored narrow when it fits)
        if (
            lexicon.ndim != 2
            or lexicon.shape[1] != spec.max_word
            or (lexicon.size and int(lexicon.max()) >= len(keys) + 2)
        ):
            raise ModelError(f"{source}: corrupt model (lexicon does not fit the vocabulary)")
        classes = arrays.get("classes")
        if classes is not None and (
            classes.shape != (len(keys) + 2,) or (classes.size and classes.max() > spec.classes)
        ):
            raise ModelError(f"{source}: corrupt model (syllable classes do not fit)")
        rows: list[np.ndarray] = []
        for i, name in enumerate(spec.lists if version < 3 else ()):
            listed = arrays[f"list{i}"]
            if (
                listed.ndim != 2
                or listed.shape[1] != spec.max_word
                or (listed.size and int(listed.max()) >= len(keys) + 2)
            ):
                raise ModelError(
                    f"{source}: corrupt model (word list {name!r} does not fit the vocabulary)"
                )
            rows.append(listed.astype(np.uint32))
        lists: list[np.ndarray] | WordLists = rows
        if version >= 3:
            lists = _stored_lists(header.get("word_lists"), arrays, len(spec.lists), source)
        vocabulary = Vocabulary(keys, spec.key_version, spec.foreign, spec.countries)
        model = cls(vocabulary, lexicon, weights, float(bias), spec, metadata, classes, lists)
        if version >= 3:
            try:
                model._tables = ScoreTables(
                    model.weights, spec, len(vocabulary), arrays["score_tables"]
                )
            except ValueError as e:
                raise ModelError(f"{source}: corrupt model ({e})") from None
        model.format_version = version
        return model

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Load a model file; raises :class:`ModelError` with the reason if it is unusable.

        Only a regular file is read (a link is followed): a device, a named pipe or a
        directory is refused before it is opened, and no more is read than the file holds.
        """
        data = read_file(path)
        return cls.from_bytes(data, str(path))

    # ----------------------------------------------------------------- helpers
    def with_words(self, words: Iterable[Sequence[str]]) -> Model:
        """A model that also knows ``words`` (each a list of syllables) as words.

        The words go into the lexicon the features look up, as if they had been seen in
        training; the weights are not retrained and are shared with this model, which is left
        as it was.  The model then weighs a known word in its context, as it does the words of
        its training data: it usually joins it, but not everywhere.  Words of one syllable,
        longer than ``spec.max_word`` syllables, or with a syllable the vocabulary does not
        know cannot be represented and are left out (see :meth:`lexicon_status`).

        >>> from tieng import Segmenter
        >>> m = Segmenter().model
        >>> m2 = m.with_words([["hoán", "dụ"]])
        >>> len(m2.lexicon) - len(m.lexicon)
        1
        """
        rows = Model.build_lexicon(self.vocabulary, [list(w) for w in words], self.spec.max_word)
        if not len(rows):
            return self
        lexicon = np.unique(np.concatenate([self.lexicon, rows]), axis=0)
        new = Model(
            self.vocabulary,
            lexicon,
            self.weights,
            self.bias,
            self.spec,
            self.metadata,
            self.classes,
            self._lists,
        )
        new._tables = self.score_tables()  # same weights: the score tables are shared, not rebuilt
        new.calibration = self.calibration
        return new

    def lexicon_status(self, words: Iterable[Sequence[str]]) -> list[str]:
        """For each word (a list of syllables): ``"known"`` when the lexicon has it already,
        ``"new"`` when :meth:`with_words` would add it, ``"unusable"`` when it cannot.

        >>> from tieng import Segmenter
        >>> m = Segmenter().model
        >>> m.lexicon_status([["thành", "phố"], ["hoán", "dụ"], ["xyzzy", "dụ"], ["dụ"]])
        ['known', 'new', 'unusable', 'unusable']
        """
        have = self._lexicon.table
        out = []
        for ids in self.vocabulary.ids_of_words([list(w) for w in words]):
            if not 2 <= len(ids) <= self.spec.max_word or UNKNOWN in ids:
                out.append("unusable")
                continue
            row = np.zeros((1, self.spec.max_word), np.uint32)
            row[0, : len(ids)] = ids
            key = lexicon_hashes(row, np.array([len(ids)]))
            out.append("known" if have.flags_of(key)[0] & Lexicon.WORD else "new")
        return out

    @staticmethod
    def build_lexicon(vocabulary: Vocabulary, words: list[list[str]], max_word: int) -> np.ndarray:
        """Lexicon matrix (one row of syllable ids a word, 0-padded) of multi-syllable
        ``words`` whose syllables are all in ``vocabulary``; rows sorted and unique."""
        seqs = [
            ids
            for ids in vocabulary.ids_of_words(words)
            if 2 <= len(ids) <= max_word and UNKNOWN not in ids
        ]
        mat = np.zeros((len(seqs), max_word), dtype=np.uint32)
        for i, s in enumerate(seqs):
            mat[i, : len(s)] = s
        return np.unique(mat, axis=0) if len(seqs) else mat


DEFAULT_MODEL = "vlsp2013.tieng"
# Models that ship inside the package, by the name a Segmenter (or --model) accepts.
BUNDLED_MODELS: dict[str, str] = {
    "vlsp2013": DEFAULT_MODEL,  # the default
    "vlsp2013-unaccented": "vlsp2013-unaccented.tieng",  # also reads text without diacritics
}
# Part-of-speech taggers that ship inside the package, by the name a Tagger accepts.
BUNDLED_TAGGERS: dict[str, str] = {"vlsp2013-pos": "vlsp2013-pos.tieng"}


def bundled_bytes(file: str) -> bytes | memoryview:
    """The bytes of a model file that ships in the package (``tieng/models/``).

    Mapped into memory rather than read: the arrays of the model are then views of the
    page cache, with no copy (a few ms of the start).  Only the package's own files are
    mapped; they are replaced, never rewritten in place, when tieng is reinstalled.
    """
    path = Path(__file__).parent / "models" / file
    try:
        with open(path, "rb") as f:
            return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
    except (OSError, ValueError):  # imported from a zip (a wheel on spark-submit --py-files)
        from importlib import resources

        return resources.files("tieng").joinpath("models").joinpath(file).read_bytes()


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: a bundled model's name, a file, or the file's bytes.

    What a segmenter (or a tagger) pickles as, so that a worker process loads the same model
    again cheaply (a name or a path, not the weights).  :meth:`resolve` turns anything a
    :class:`~tieng.Segmenter` accepts into a model and its source; :meth:`of` gives the
    source alone, for any kind of model.
    """

    bundled: str | None = None
    path: str | None = None
    data: bytes | None = None

    @classmethod
    def of(
        cls,
        model: str | os.PathLike[str] | bytes,
        bundled: Mapping[str, str] = BUNDLED_MODELS,
        kind: str = "Model",
    ) -> ModelSource:
        """The source of ``model``: one of the ``bundled`` names, the bytes of a file, or a
        path.  A bundled name wins over a file of the same name in the working directory;
        write ``"./vlsp2013"`` for the file.  ``kind`` names the model object the caller
        also accepts, for the error message.

        >>> ModelSource.of("vlsp2013")
        ModelSource(bundled='vlsp2013', path=None, data=None)
        """
        if isinstance(model, str) and model in bundled:
            return cls(bundled=model)
        if isinstance(model, (bytes, bytearray, memoryview)):
            return cls(data=bytes(model))
        if isinstance(model, (str, os.PathLike)):
            if not os.fspath(model):
                raise ModelError("an empty model name: give a path or a bundled model's name")
            try:
                path = os.fspath(Path(model).resolve())
            except (OSError, RuntimeError):  # a loop of links (RuntimeError before 3.13)
                path = os.path.abspath(model)  # read_file says what is wrong with it
            if isinstance(model, str) and os.sep not in model and not os.path.lexists(model):
                names = ", ".join(bundled)
                raise ModelError(
                    f"{path}: model file not found, and {model!r} is not the name of "
                    f"a bundled model ({names})"
                )
            return cls(path=path)
        raise TypeError(
            f"model must be a path, a bundled model's name, bytes, a {kind} or None, "
            f"not {type(model).__name__}"
        )

    @classmethod
    def resolve(
        cls, model: str | os.PathLike[str] | bytes | Model | None
    ) -> tuple[Model, ModelSource | None]:
        """The segmentation model ``model`` names, and its source (``None`` for a
        :class:`Model` given as an object: it has no source but itself).

        >>> model, source = ModelSource.resolve(None)
        >>> source
        ModelSource(bundled='vlsp2013', path=None, data=None)
        """
        if isinstance(model, Model):
            return model, None
        source = cls.of("vlsp2013" if model is None else model)
        return source.load(), source

    def read(self) -> tuple[bytes | memoryview, str]:
        """The model file's bytes, and what to call it in an error message."""
        if self.bundled is not None:
            file = {**BUNDLED_MODELS, **BUNDLED_TAGGERS}[self.bundled]
            return bundled_bytes(file), f"<bundled {file}>"
        if self.path is not None:
            return read_file(self.path), self.path
        if self.data is not None:
            return self.data, "<bytes>"
        raise ModelError("an empty model source")

    def load(self) -> Model:
        """Load the segmentation model (a new object each time)."""
        return Model.from_bytes(*self.read())

    def __repr__(self) -> str:
        if self.data is not None:
            return f"ModelSource(<{len(self.data)} bytes>)"
        return f"ModelSource(bundled={self.bundled!r}, path={self.path!r}, data=None)"

    def describe(self) -> str:
        """The source in a few words: the bundled name, the path, or ``<bytes>``."""
        return self.bundled or self.path or "<bytes>"
