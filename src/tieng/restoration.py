"""Restoring diacritics: text typed without marks, given its tone marks and vowel marks back.

``"Thanh pho se dau tu"`` becomes ``"Thành phố sẽ đầu tư"``.  Each syllable typed in plain
ASCII letters whose bare form the model knows gets the written form, among those seen in
training with that bare form (``ban``: ``bạn``, ``bán``, ``bàn``, ``bản``, ...), that scores
highest in its context: hashed features of the bare syllables around it (one and two on each
side, pairs of them) with the candidate, weights of 8 bits summed as integers, so every
build gives the same result bit for bit.  A multi-syllable word restores as a unit because
its syllables see each other (``tau dien ngam`` -> ``tàu điện ngầm``).

Nothing but letters changes: numbers, URLs, e-mail addresses, words the model does not know
and syllables that already carry a mark stay as written, and a mark never adds a character
(``d`` -> ``đ``, ``a`` -> ``ầ``: one code point for one), so the restored text has the
length and the offsets of the input, and its case.

>>> restore("Thanh pho se dau tu xay dung tau dien ngam.")
'Thành phố sẽ đầu tư xây dựng tàu điện ngầm.'

The model file is a tieng model file of ``kind: "restorer"`` (:mod:`tieng.container`); the
bundled one, trained on Wikipedia text, is under CC BY-SA 4.0 (its model card says so).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import _accel
from .candidates import (
    FIRST_KEY,
    M1,
    NOTHING,
    SHAPE,
    candidate_scores,
    context_hashes,
    unpack,
)
from .container import ModelError, pack_file, read_arrays, unpack_file
from .normalization import fold_i_y
from .registry import BUNDLED_RESTORERS, ModelSource

__all__ = [
    "BUNDLED_RESTORERS",
    "DEFAULT_TEMPLATES",
    "Restorer",
    "RestorerModel",
    "Syllable",
    "bare_key",
    "default_restorer",
    "restore",
]

DEFAULT_RESTORER = "viwiki-restorer"

# Feature templates: the offsets of the bare syllables each combines with the candidate
# ("shape": the case of the syllable itself).  () is the candidate's own weight.
DEFAULT_TEMPLATES: tuple[tuple[Any, ...], ...] = (
    (),
    (-1,),
    (1,),
    (-2,),
    (2,),
    (-1, 1),
    (-2, -1),
    (1, 2),
    ("shape",),
)
BOUNDARY, UNKNOWN = 0, 1  # context ids at a line's ends and of a token the model never saw
_FIRST_KEY = FIRST_KEY  # the first key's id (tieng.candidates defines the packing)

_LATIN_MARKS = re.compile("[\u0300-\u036f]+")
_BARE_D = str.maketrans("đĐðÐ", "dDdD")
_DIGITS = re.compile(r"\d")


def bare_key(token: str) -> str:
    """A token as the restorer sees its context: lower case, no tone or vowel marks, ``đ``
    as ``d``, digits as ``0``.

    >>> bare_key("Đường"), bare_key("2024"), bare_key("HCM")
    ('duong', '0000', 'hcm')
    """
    if not token.isascii():
        token = unicodedata.normalize("NFD", token)
        token = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", token).translate(_BARE_D))
    key = token.lower()
    return _DIGITS.sub("0", key) if not key.isalpha() else key


def _shape(token: str) -> int:
    """0 lower case, 1 Title, 2 CAPS (two letters or more), 3 mixed."""
    if token.islower():
        return 0
    if token[:1].isupper() and (len(token) == 1 or token[1:].islower()):
        return 1
    return 2 if token.isupper() else 3


def _with_case(form: str, written: str) -> str:
    """``form`` (lower case) in the case of ``written`` (the same length), letter by letter."""
    if written.islower():
        return form
    if written.isupper():
        return form.upper()
    return "".join(f.upper() if w.isupper() else f for f, w in zip(form, written))


# The columns of the context table a template reads (tieng.candidates): the neighbours at
# -2, -1, +1, +2, the token's own case shape, and nothing (for a template of one value).
_COLUMNS = {-2: 0, -1: 1, 1: 2, 2: 3, "shape": SHAPE, None: NOTHING}


@dataclass
class RestorerModel:
    """What a trained restorer knows.

    ``keys`` are the bare tokens (:func:`bare_key`) it has seen; key ``keys[i]`` has context id
    ``i + 2`` (0: a line's end, 1: unknown).  ``forms`` are the written forms it can give (lower
    case, NFC); the candidates of key ``i`` are the form ids
    ``candidates[offsets[i]:offsets[i + 1]]``, the commonest first (none: the key is left as
    written).  ``weights`` are ``2**bits`` int8 values found by hashing each feature with a
    candidate; ``scale`` turns their sums into the trained scores, and ``temperature``
    divides those in the probabilities of :meth:`Restorer.syllables` (fitted on held-out
    text, so that they are calibrated).
    """

    keys: list[str]
    forms: list[str]
    offsets: np.ndarray
    candidates: np.ndarray
    weights: np.ndarray
    scale: float
    templates: tuple[tuple[Any, ...], ...] = DEFAULT_TEMPLATES
    metadata: dict[str, Any] = field(default_factory=dict)
    temperature: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.keys)
        self.offsets = np.ascontiguousarray(self.offsets, np.int32)
        self.candidates = np.ascontiguousarray(self.candidates, np.int32)
        self.weights = np.ascontiguousarray(self.weights, np.int8)
        rows = len(self.weights)
        if self.weights.ndim != 1 or rows < 2 or rows & (rows - 1):
            raise ModelError(f"restorer weights of {rows} values (a power of two is needed)")
        if self.offsets.shape != (n + 1,) or (n + 1 and self.offsets[0] != 0):
            raise ModelError("candidate offsets do not match the keys")
        if np.any(np.diff(self.offsets) < 0) or self.offsets[-1] != len(self.candidates):
            raise ModelError("candidate offsets do not match the candidates")
        if self.candidates.size and not (
            0 <= int(self.candidates.min()) and int(self.candidates.max()) < len(self.forms)
        ):
            raise ModelError("a candidate past the forms")
        if not 1 <= len(self.templates) <= 32:
            raise ModelError(f"{len(self.templates)} feature templates; 1 to 32")
        for t in self.templates:
            if len(t) > 2 or not all(o in _COLUMNS and o is not None for o in t):
                raise ModelError(f"unknown feature template {t!r}")
        # Each template as two columns of the context table, and its seed.
        self._columns = np.array(
            [[_COLUMNS[t[0] if t else None], _COLUMNS[t[1] if len(t) > 1 else None]]
             for t in self.templates],
            np.intp,
        )  # fmt: skip
        self._seeds = np.arange(1, len(self.templates) + 1, dtype=np.uint64) * M1
        if not (isinstance(self.scale, float) and 0 < self.scale < 1e6):
            raise ModelError(f"restorer scale {self.scale!r}")
        if not (isinstance(self.temperature, float) and 0.01 <= self.temperature <= 100):
            raise ModelError(f"restorer temperature {self.temperature!r}")
        for key, lo, hi in zip(self.keys, self.offsets[:-1].tolist(), self.offsets[1:].tolist()):
            for f in self.candidates[lo:hi].tolist():
                form = self.forms[f]
                if len(form) != len(key) or bare_key(form) != key:
                    raise ModelError(f"candidate {form!r} is not a form of {key!r}")
        self.bits = rows.bit_length() - 1
        self.metadata = dict(self.metadata or {})
        self._ids = {k: i + _FIRST_KEY for i, k in enumerate(self.keys)}
        # "lý" and "lí" (one syllable, two spellings) share their weights, and "ly" and "li"
        # their context ids: the text one spelling is trained on teaches the other.
        index = {f: i for i, f in enumerate(self.forms)}
        self.classes = np.array(
            [index.get(fold_i_y(f), i) for i, f in enumerate(self.forms)], np.int64
        )
        self._forms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------- file format
    def to_bytes(self) -> bytes:
        """The model in the tieng model file format (``kind: "restorer"``)."""
        arrays = {
            "keys": np.frombuffer("\n".join(self.keys).encode("utf-8"), np.uint8),
            "forms": np.frombuffer("\n".join(self.forms).encode("utf-8"), np.uint8),
            "offsets": self.offsets.astype("<i4"),
            "candidates": self.candidates.astype("<i4"),
            "weights": np.frombuffer(zlib.compress(self.weights.tobytes(), 9), np.uint8),
        }
        fields = {
            "kind": "restorer",
            "weights": {"codec": "zlib", "count": len(self.weights)},
            "metadata": self.metadata,
            "scale": self.scale,
            "temperature": self.temperature,
            "templates": [list(t) for t in self.templates],
        }
        return pack_file(fields, arrays)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` atomically."""
        from .files import write_atomically

        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, source: str = "<bytes>") -> RestorerModel:
        """Parse and check a restorer model file's contents; raises :class:`ModelError`."""
        try:
            return cls._parse(memoryview(data), source)
        except ModelError as e:
            if str(e).startswith(source):
                raise
            raise ModelError(f"{source}: corrupt restorer model ({e})") from None
        except (
            ValueError,
            TypeError,
            KeyError,
            OverflowError,
            UnicodeDecodeError,
            zlib.error,
        ) as e:
            raise ModelError(f"{source}: corrupt restorer model file ({e})") from None

    @classmethod
    def _parse(cls, data: memoryview, source: str) -> RestorerModel:
        _, header, payload = unpack_file(data, source)
        kind = header.get("kind", "segmenter")
        if kind != "restorer":
            raise ModelError(f"{source}: a {kind} model, not a restorer model")
        arrays = read_arrays(
            header.get("arrays"),
            payload,
            {
                "keys": ("|u1",),
                "forms": ("|u1",),
                "offsets": ("<i4",),
                "candidates": ("<i4",),
                "weights": ("|u1",),
            },
            source,
        )
        about = header.get("weights")
        count = about.get("count") if isinstance(about, dict) else None
        if about != {"codec": "zlib", "count": count} or not (
            isinstance(count, int) and 2 <= count <= 1 << 28
        ):
            raise ModelError(f"{source}: corrupt restorer model (weights)")
        packed = zlib.decompressobj()
        raw = packed.decompress(arrays["weights"].tobytes(), count + 1)
        if len(raw) != count or not packed.eof:
            raise ModelError(f"{source}: corrupt restorer model (weights do not unpack)")
        weights = np.frombuffer(raw, np.int8)
        scale, templates = header.get("scale"), header.get("templates")
        metadata = header.get("metadata", {})
        if not isinstance(templates, list) or not isinstance(metadata, dict):
            raise ModelError(f"{source}: corrupt restorer model (templates or metadata)")
        if not isinstance(scale, float):
            raise ModelError(f"{source}: corrupt restorer model (scale)")

        def lines(name: str) -> list[str]:
            text = arrays[name].tobytes().decode("utf-8")
            return text.split("\n") if text else []

        parsed = tuple(tuple(t) for t in templates if isinstance(t, list))
        if len(parsed) != len(templates):
            raise ModelError(f"{source}: corrupt restorer model (templates)")
        return cls(
            lines("keys"),
            lines("forms"),
            arrays["offsets"],
            arrays["candidates"],
            weights,
            scale,
            parsed,
            metadata,
            header.get("temperature", 1.0),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RestorerModel:
        """Load a restorer model file; raises :class:`ModelError` if it is unusable."""
        return cls.from_bytes(*ModelSource(path=os.fspath(path)).read())

    # ------------------------------------------------------------- scoring
    def letters(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The forms' code points in lower case and in capitals (padded rows) and their
        lengths, for writing them into text (made on first use)."""
        if self._forms is None:
            width = max(map(len, self.forms), default=1)
            lower = np.zeros((len(self.forms), width), np.uint32)
            upper = np.zeros_like(lower)
            for i, f in enumerate(self.forms):
                lower[i, : len(f)] = [ord(c) for c in f]
                upper[i, : len(f)] = [ord(c) for c in f.upper()]
            self._forms = lower, upper, np.array([len(f) for f in self.forms], np.int64)
        return self._forms

    def key_id(self, key: str) -> int:
        """The id of a bare token (1 for one the model never saw)."""
        return self._ids.get(key, UNKNOWN)

    def context_id(self, key: str) -> int:
        """The id of a bare token as a neighbour: that of its spelling with ``i`` for a lone
        final ``y`` (:func:`tieng.normalization.fold_i_y`) when the model knows it."""
        ids = self._ids
        return ids.get(fold_i_y(key), ids.get(key, UNKNOWN))

    def feature_hashes(
        self, ids: np.ndarray, line: np.ndarray, shapes: np.ndarray, at: np.ndarray
    ) -> np.ndarray:
        """The hash of each template's feature at the tokens ``at``: ``(len(at),
        len(templates))`` uint64.  ``ids`` are the context ids of a run of tokens, ``line``
        the line each is on (a neighbour on another line is a line's end), ``shapes`` their
        case shapes."""
        return context_hashes(ids, line, shapes, at, self._columns, self._seeds)

    def scores(self, hashes: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate's score at each token (``hashes`` from :meth:`feature_hashes`,
        ``keys`` the tokens' key ids): the candidates' form ids and their int32 scores, the
        tokens' candidates one after another (``offsets`` of the keys say how many)."""
        return candidate_scores(
            hashes,
            keys - _FIRST_KEY,
            self.offsets,
            self.candidates,
            self.classes,
            self.weights,
            self.bits,
        )

    def choices(self, packed: np.ndarray, line: np.ndarray) -> np.ndarray:
        """The form id of the best candidate at each token (-1: left as written), from the
        tokens' packed codes (:meth:`Restorer._read`), by the compiled helpers or their
        twins (the same choices)."""
        out = np.empty(len(packed), np.int64)
        _accel.kernels.restore_choices(
            packed, line, self.offsets, self.candidates, self.classes, self.weights,
            self._columns, self._seeds, self.bits, out,
        )  # fmt: skip
        return out


class Syllable(NamedTuple):
    """A syllable given its marks: its text as written (``original``), where it is, what it
    became (``text``, the same length) and the model's probability for it (``None`` unless
    asked for)."""

    text: str
    start: int
    end: int
    original: str
    confidence: float | None = None


class _Run(NamedTuple):
    """The tokens of texts read together (joined by line breaks, as ``big``)."""

    big: str
    tokens: list[str]
    starts: np.ndarray  # where each starts in ``big``
    line: np.ndarray  # the line it is on (each text starts a line)


class Restorer:
    """Restores the diacritics of text typed without them.

    ``model`` is a bundled restorer's name (``"viwiki-restorer"``, the default), a path to a
    model file, its bytes, or a :class:`RestorerModel`.  The model is loaded at the first
    call; the object pickles as its model's name or path (cheap for worker processes).

    >>> r = Restorer()
    >>> r.restore("email cua toi la test@gmail.com")
    'email của tôi là test@gmail.com'
    >>> r.restore_many(["Ha Noi", "Viet Nam"])
    ['Hà Nội', 'Việt Nam']
    """

    def __init__(self, model: str | os.PathLike[str] | bytes | RestorerModel | None = None):
        if model is None:
            model = DEFAULT_RESTORER
        if isinstance(model, RestorerModel):
            self._source: ModelSource | None = None
            self._model: RestorerModel | None = model
        else:
            self._source = ModelSource.of(model, BUNDLED_RESTORERS, "RestorerModel")
            self._model = None
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}  # token -> its packed code (see _code)

    def __reduce__(self):
        if self._source is None:
            return (Restorer, (self.model,))
        return (_rebuild, (self._source,))

    @property
    def model(self) -> RestorerModel:
        """The restorer's model (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    assert self._source is not None
                    self._model = RestorerModel.from_bytes(*self._source.read())
        return self._model

    @property
    def name(self) -> str:
        """The model's bundled name, path, or ``"<model>"``."""
        return self._source.describe() if self._source is not None else "<model>"

    def __repr__(self) -> str:
        return f"Restorer({self.name!r})"

    # ------------------------------------------------------------- the calls
    def restore(self, text: str) -> str:
        """``text`` with its diacritics restored (the same length and offsets)."""
        return self.restore_many([text])[0]

    def restore_many(self, texts: Sequence[str]) -> list[str]:
        """Each text with its diacritics restored, the batch read at once (faster)."""
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}]: expected str, not {type(t).__name__}")
        run, at, forms, _ = self._decide(texts, False)
        return _apply(texts, run, at, forms, self.model)

    def syllables(self, text: str, confidence: bool = False) -> list[Syllable]:
        """The syllables of ``text`` that the model read (those it could give marks to),
        each with what it became and, with ``confidence``, its probability.

        >>> [(s.original, s.text) for s in Restorer().syllables("Ha Noi, 2024")]
        [('Ha', 'Hà'), ('Noi', 'Nội')]
        """
        if not isinstance(text, str):
            raise TypeError(f"expected str, not {type(text).__name__}")
        run, at, forms, probs = self._decide([text], confidence)
        names = self.model.forms
        out = []
        for j, (i, f) in enumerate(zip(at.tolist(), forms.tolist())):
            written = run.tokens[i]
            start = int(run.starts[i])  # (one text: its offsets are the joined text's)
            p = float(probs[j]) if probs is not None else None
            out.append(
                Syllable(_with_case(names[f], written), start, start + len(written), written, p)
            )
        return out

    # ------------------------------------------------------------- the work
    def _code(self, token: str) -> int:
        """What the model reads of a token, packed in one int: its context id, its own key id
        + 1 (0: left as written) and its case shape (see :meth:`_read`)."""
        model = self.model
        key = bare_key(token)
        kid = model.key_id(key)
        own = -1
        if token.isascii() and token.isalpha() and kid != UNKNOWN:
            if model.offsets[kid - _FIRST_KEY + 1] > model.offsets[kid - _FIRST_KEY]:
                own = kid
        return (model.context_id(key) << 24) | ((own + 1) << 3) | _shape(token)

    def _read(self, texts: list[str]) -> tuple[_Run, np.ndarray]:
        """The tokens of ``texts`` (joined by line breaks, which keep them apart), and each
        token's packed code (:meth:`_code`)."""
        from .tokenization import scan_arrays

        big = "\n".join(texts)
        tokens, starts, breaks = scan_arrays(big)
        seen = self._seen
        if len(seen) > 500_000:
            seen.clear()
        get = seen.get
        codes = [get(t, -1) for t in tokens]
        if -1 in codes:
            code = self._code
            for i, c in enumerate(codes):
                if c == -1:
                    t = tokens[i]
                    codes[i] = seen[t] = code(t)
        packed = np.array(codes, np.int64)
        if breaks:
            line = np.searchsorted(np.array(breaks, np.int64), starts)
        else:
            line = np.zeros(len(tokens), np.int64)
        return _Run(big, tokens, starts, line), packed

    def _decide(self, texts: list[str], confidence: bool):
        """The tokens of ``texts``, the indices of those restored, their form ids and (with
        ``confidence``) their probabilities."""
        model = self.model
        run, packed = self._read(texts)
        if not confidence:
            chosen = model.choices(packed, run.line)
            at = np.flatnonzero(chosen >= 0)
            return run, at, chosen[at], None
        ids, own, shapes = unpack(packed, run.line)
        at = np.flatnonzero(own >= 0)
        keys = own[at]
        k = keys - _FIRST_KEY
        count = model.offsets[k + 1] - model.offsets[k]
        forms = model.candidates[model.offsets[k]].astype(np.int64)
        probs = np.ones(len(at))
        many = np.flatnonzero(count > 1)
        if len(many):
            hashes = model.feature_hashes(ids, run.line, shapes, at[many])
            cand, score = model.scores(hashes, keys[many])
            n = count[many]
            first = np.cumsum(n) - n
            best = np.maximum.reduceat(score, first)
            owner = np.repeat(np.arange(len(many)), n)
            # the first candidate (the commonest) of those with the best score
            top = score == best[owner]
            idx = np.arange(len(score))
            pick = np.minimum.reduceat(np.where(top, idx, len(score)), first)
            forms[many] = cand[pick]
            z = np.exp((score - best[owner]) * (model.scale / model.temperature))
            probs[many] = 1.0 / np.add.reduceat(z, first)
        return run, at, forms, probs


def _apply(
    texts: list[str], run: _Run, at: np.ndarray, forms: np.ndarray, model: RestorerModel
) -> list[str]:
    """The texts with the tokens ``at`` written as ``forms``, letter by letter in the case of
    the letter written (an ASCII capital gives the capital of the marked letter)."""
    if not len(at):
        return list(texts)
    chars = np.frombuffer(run.big.encode("utf-32-le", "surrogatepass"), np.uint32).copy()
    _accel.kernels.write_forms(chars, run.starts[at], forms, *model.letters())
    big = chars.tobytes().decode("utf-32-le", "surrogatepass")
    if len(texts) == 1:
        return [big]
    out = []
    pos = 0
    for t in texts:
        out.append(big[pos : pos + len(t)])
        pos += len(t) + 1
    return out


def _rebuild(source: ModelSource) -> Restorer:
    r = Restorer.__new__(Restorer)
    r._source, r._model = source, None
    r._lock = threading.Lock()
    r._seen = {}
    return r


_default: Restorer | None = None
_default_lock = threading.Lock()


def default_restorer() -> Restorer:
    """The shared restorer with the bundled model (loaded at its first call)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Restorer()
    return _default


def restore(text: str) -> str:
    """``text`` with the diacritics it was typed without restored, with the bundled model.

    Only syllables written in plain letters change, and only their letters: the result has
    the length, offsets and case of ``text``.

    >>> restore("Toi yeu tieng Viet")
    'Tôi yêu tiếng Việt'
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    return default_restorer().restore(text)
