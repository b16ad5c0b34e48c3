"""Part-of-speech tagging: the :class:`Tagger`, its model and its file.

A word's tag is decided over its whole sentence: every word gets a score for each tag from
hashed features of itself and its neighbours (its key, its syllables, its shape, the tags it
took in training, whether an outside word list knows it), and a Viterbi search adds the
scores of tag bigrams.  Weights are 8-bit integers and the scores sums of them, so the
compiled decoder and its numpy twin give the same tags, bit for bit.

Words are given as written, the syllables of a word separated by white space (as
:attr:`tieng.Word.text`); what the model looks at is a view of them (:func:`word_key`): NFC,
one tone placement, lower case, digits as 0.

>>> tagger = Tagger()
>>> tagger.tag_words([["Hươu", "là", "loài", "vật", "nhút nhát", "."]])
[['N', 'V', 'N', 'N', 'A', 'CH']]
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _accel
from .capitals import CAPS_MIN, in_capitals
from .container import ModelError, pack_file, read_arrays, unpack_file
from .decoding import decode, pad_sentences, program_rows
from .normalization import canonical_key
from .registry import BUNDLED_TAGGERS, ModelSource
from .values import Segmented, Word, parse_segmented

__all__ = [
    "BUNDLED_TAGGERS",
    "UPOS",
    "Tagger",
    "TaggerModel",
    "default_tagger",
    "upos",
    "word_key",
    "word_shape",
]

# The attributes of a word the templates combine (columns of the token table).
ATTRIBUTES = (
    "key",  # hash of the word's key (lower case, digits as 0, one tone placement)
    "shape",  # WordShape code, of the word as written
    "cls",  # its ambiguity class: the set of tags it took in training (0: unseen)
    "first",  # hash of its first syllable's key
    "last",  # hash of its last syllable's key
    "size",  # number of syllables, at most 4
    "cls_first",  # ambiguity class of its first syllable as a word alone (0: one syllable)
    "cls_last",  # ... of its last syllable
    "prefix",  # hash of its first two characters
    "suffix",  # hash of its last two characters
    "listed",  # 1 + 2 * (in an outside word list) + 4 * (several syllables) + 8 * (seen)
)
_COL = {name: i for i, name in enumerate(ATTRIBUTES)}

# Feature templates: each a tuple of (attribute, offset from the word) pairs.
DEFAULT_TEMPLATES: tuple[tuple[tuple[str, int], ...], ...] = (
    (),  # the bias of each tag
    (("key", 0),),
    (("key", 0), ("shape", 0)),
    (("key", -1),),
    (("key", 1),),
    (("key", -2),),
    (("key", 2),),
    (("key", -1), ("key", 0)),
    (("key", 0), ("key", 1)),
    (("key", -1), ("key", 1)),
    (("first", 0),),
    (("last", 0),),
    (("size", 0),),
    (("shape", 0),),
    (("shape", -1),),
    (("shape", 1),),
    (("shape", -1), ("shape", 0)),
    (("cls", 0),),
    (("cls", -1),),
    (("cls", 1),),
    (("cls", 0), ("key", -1)),
    (("cls", 0), ("key", 1)),
    (("cls", -1), ("cls", 0)),
    (("cls", 0), ("cls", 1)),
    (("cls_first", 0), ("cls_last", 0)),
    (("prefix", 0),),
    (("suffix", 0),),
    (("listed", 0),),
)
REACH = 2  # the widest offset a template may use (words before or after)
MAX_TEMPLATES = 256  # what the compiled decoder takes (MAX_TAG_TEMPLATES)
MAX_TEMPLATE_LENGTH = 8
MAX_TRANSITION = 1 << 24


class WordShape:
    """What a word looks like as written (the ``shape`` attribute)."""

    LOWER = 1
    TITLE = 2  # every syllable capitalized
    CAPITALIZED = 3  # the first syllable capitalized, not every one
    UPPER = 4
    MIXED = 5
    DIGITS = 6  # digits only
    NUMBER = 7  # digits with . , / - : %
    ALNUM = 8  # letters and digits
    PUNCT = 9  # no letter or digit
    OTHER = 10


# What _uncap (and its compiled twin) needs of the shapes: LOWER, TITLE, UPPER, MIXED.
_LETTER_SHAPES = (WordShape.LOWER, WordShape.TITLE, WordShape.UPPER, WordShape.MIXED)


def word_shape(word: str) -> int:
    """The :class:`WordShape` of a word as written (syllables separated by white space).

    >>> word_shape("Hà Nội") == WordShape.TITLE, word_shape("2.500") == WordShape.NUMBER
    (True, True)
    """
    if not word:
        return WordShape.OTHER
    letters = any(c.isalpha() for c in word)
    digits = any(c.isdigit() for c in word)
    if not letters:
        if word.isdigit():
            return WordShape.DIGITS
        if digits:
            return WordShape.NUMBER
        return WordShape.PUNCT
    if digits:
        return WordShape.ALNUM
    sylls = word.split()
    if all(s.islower() or not any(c.isalpha() for c in s) for s in sylls):
        return WordShape.LOWER
    if word.isupper() and sum(c.isalpha() for c in word) > 1:
        return WordShape.UPPER
    titled = [s[:1].isupper() and not any(c.isupper() for c in s[1:]) for s in sylls]
    if all(titled):
        return WordShape.TITLE
    if titled[0]:
        return WordShape.CAPITALIZED
    return WordShape.MIXED


def word_key(word: str) -> str:
    """What the tagger sees of a word: its syllables' keys (NFC, classic tone placement,
    lower case, digits as 0) joined by ``_``.

    >>> word_key("Thủ  tướng"), word_key("Hoà Bình"), word_key("năm 2004")
    ('thủ_tướng', 'hoà_bình', 'năm_0000')
    """
    return "_".join(canonical_key(s, 2) for s in word.split()) or word


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


# Universal POS tags for the VLSP 2013 tags (XPOS), as in UD Vietnamese-VTB where it has
# them; the rest by what the tag means in the VLSP guidelines.
UPOS = {
    "N": "NOUN",
    "Nc": "NOUN",  # classifier noun (con, cái, chiếc)
    "Nu": "NOUN",  # unit noun (kg, mét)
    "Nb": "NOUN",  # borrowed noun
    "Ni": "NOUN",  # noun written with letters and digits
    "Ny": "NOUN",  # abbreviated noun
    "Np": "PROPN",
    "V": "VERB",
    "Vb": "VERB",
    "Vy": "VERB",
    "A": "ADJ",
    "Ab": "ADJ",
    "P": "PRON",
    "Pb": "PRON",
    "R": "ADV",
    "L": "DET",  # quantity determiner (các, những, mỗi)
    "M": "NUM",
    "Mb": "NUM",
    "E": "ADP",
    "Eb": "ADP",
    "C": "SCONJ",
    "Cb": "SCONJ",
    "Cc": "CCONJ",
    "I": "INTJ",
    "T": "PART",
    "Y": "X",  # abbreviation
    "Z": "X",  # bound morpheme
    "X": "X",
    "Xy": "X",
    "B": "X",  # borrowed word
    "CH": "PUNCT",
}


def upos(tag: str) -> str:
    """The Universal POS tag for a VLSP tag (``"X"`` for one it does not know).

    >>> upos("Np"), upos("CH"), upos("Cc")
    ('PROPN', 'PUNCT', 'CCONJ')
    """
    return UPOS.get(tag, "X")


@dataclass
class TaggerModel:
    """Weights and word knowledge of a trained tagger.

    ``weights`` are ``(2**bits, len(tags))`` int8 rows, found by hashing each feature;
    ``transitions[i, j]`` scores tag ``j`` after tag ``i`` (row ``len(tags)``: at a sentence
    start), in the same units; ``scale`` turns units into the trained scores.  ``words``
    (keys) and ``classes`` give each word seen in training its ambiguity class, an index
    into ``class_names``; ``listed`` holds sorted hashes of the outside lists' word keys.
    """

    tags: list[str]
    weights: np.ndarray
    transitions: np.ndarray
    scale: float
    words: list[str]
    classes: np.ndarray
    class_names: list[str]
    listed: np.ndarray
    templates: tuple[tuple[tuple[str, int], ...], ...] = DEFAULT_TEMPLATES
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(self.tags)
        if not 1 <= k <= 255:
            raise ModelError(f"a tagger has 1 to 255 tags, not {k}")
        if len(set(self.tags)) != k or not all(
            t and not any(c.isspace() for c in t) for t in self.tags
        ):
            raise ModelError("tags must be distinct, not empty, and without white space")
        rows = self.weights.shape[0] if self.weights.ndim == 2 else 0
        if self.weights.ndim != 2 or self.weights.shape[1] != k or rows & (rows - 1) or rows < 2:
            raise ModelError(f"tagger weights of shape {self.weights.shape} for {k} tags")
        if self.transitions.shape != (k + 1, k):
            raise ModelError(f"tag transitions of shape {self.transitions.shape} for {k} tags")
        if self.classes.shape != (len(self.words),):
            raise ModelError("one ambiguity class is needed for each known word")
        if self.classes.size and int(self.classes.max()) >= len(self.class_names) + 1:
            raise ModelError("an ambiguity class past the class names")
        if not 1 <= len(self.templates) <= MAX_TEMPLATES:
            raise ModelError(f"{len(self.templates)} feature templates; 1 to {MAX_TEMPLATES}")
        for t in self.templates:
            if len(t) > MAX_TEMPLATE_LENGTH:
                raise ModelError(f"a feature template of {len(t)} parts (at most 8)")
            for name, off in t:
                if name not in _COL or not -REACH <= off <= REACH:
                    raise ModelError(f"unknown feature template {t!r}")
        # Scores are summed in 32-bit integers by the compiled decoder: transitions far from
        # the limits keep every sum exact (the trained ones are in the hundreds).
        if self.transitions.size and int(np.abs(self.transitions.astype(np.int64)).max()) > (
            MAX_TRANSITION
        ):
            raise ModelError(f"tag transitions beyond ±{MAX_TRANSITION}")
        self.bits = rows.bit_length() - 1
        self.weights = np.ascontiguousarray(self.weights, dtype=np.int8)
        self.transitions = np.ascontiguousarray(self.transitions, dtype=np.int32)
        self.listed = np.ascontiguousarray(self.listed, dtype=np.uint32)
        self.metadata = dict(self.metadata or {})
        self._padded: tuple[np.ndarray, np.ndarray] | None = None
        self._class_of = dict(zip(self.words, self.classes.tolist()))

    # ------------------------------------------------------------- file format
    def to_bytes(self) -> bytes:
        """The model in the tieng model file format (``kind: "tagger"``)."""
        arrays = {
            "weights": self.weights,
            "transitions": self.transitions.astype("<i4"),
            "words": np.frombuffer("\n".join(self.words).encode("utf-8"), np.uint8),
            "classes": self.classes.astype("<u2"),
            "listed": self.listed.astype("<u4"),
        }
        fields = {
            "kind": "tagger",
            "metadata": self.metadata,
            "tags": self.tags,
            "class_names": self.class_names,
            "scale": self.scale,
            "templates": [[[n, o] for n, o in t] for t in self.templates],
        }
        return pack_file(fields, arrays)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` atomically."""
        from .files import write_atomically

        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, source: str = "<bytes>") -> TaggerModel:
        """Parse and check a tagger model file's contents; raises :class:`ModelError`."""
        try:
            return cls._parse(memoryview(data), source)
        except ModelError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError, UnicodeDecodeError) as e:
            raise ModelError(f"{source}: corrupt tagger model file ({e})") from None

    @classmethod
    def _parse(cls, data: memoryview, source: str) -> TaggerModel:
        _, header, payload = unpack_file(data, source)
        kind = header.get("kind", "segmenter")
        if kind != "tagger":
            raise ModelError(f"{source}: a {kind} model, not a tagger model")
        arrays = read_arrays(
            header.get("arrays"),
            payload,
            {
                "weights": ("|i1",),
                "transitions": ("<i4",),
                "words": ("|u1",),
                "classes": ("<u2",),
                "listed": ("<u4",),
            },
            source,
        )
        tags, names = header.get("tags"), header.get("class_names")
        scale, templates = header.get("scale"), header.get("templates")
        metadata = header.get("metadata", {})
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ModelError(f"{source}: corrupt tagger model (tags)")
        if not isinstance(names, list) or not all(isinstance(t, str) for t in names):
            raise ModelError(f"{source}: corrupt tagger model (class names)")
        if not isinstance(scale, float) or not 0 < scale < 1e6:
            raise ModelError(f"{source}: corrupt tagger model (scale)")
        if not isinstance(templates, list) or not isinstance(metadata, dict):
            raise ModelError(f"{source}: corrupt tagger model (templates or metadata)")
        try:
            words = arrays["words"].tobytes().decode("utf-8").split("\n")
        except UnicodeDecodeError:
            raise ModelError(f"{source}: corrupt tagger model (words are not UTF-8)") from None
        if words == [""]:
            words = []
        try:
            parsed = tuple(tuple((str(n), int(o)) for n, o in t) for t in templates)
            return cls(
                tags,
                arrays["weights"],
                arrays["transitions"],
                scale,
                words,
                arrays["classes"],
                names,
                arrays["listed"],
                parsed,
                metadata,
            )
        except ModelError as e:
            raise ModelError(f"{source}: corrupt tagger model ({e})") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TaggerModel:
        """Load a tagger model file; raises :class:`ModelError` if it is unusable."""
        return cls.from_bytes(*ModelSource(path=os.fspath(path)).read())

    # ------------------------------------------------------------- features
    def attributes(self, key: str, written: str) -> tuple[int, ...]:
        """The attribute row (see :data:`ATTRIBUTES`) of a word from its key and its text."""
        sylls = key.split("_")
        cls_of = self._class_of
        several = len(sylls) > 1
        seen = key in cls_of
        h = _hash(key)
        listed = bool(self.listed.size) and _member(self.listed, h)
        return (
            h,
            word_shape(written),
            cls_of.get(key, 0),
            _hash(sylls[0]),
            _hash(sylls[-1]),
            min(len(sylls), 4),
            cls_of.get(sylls[0], 0) + 1 if several else 0,
            cls_of.get(sylls[-1], 0) + 1 if several else 0,
            _hash(key[:2]),
            _hash(key[-2:]),
            1 + 2 * listed + 4 * several + 8 * seen,
        )

    def feature_rows(self, attrs: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Weight row of every feature of every word: ``(n, len(templates))`` uint32.

        ``attrs`` has one attribute row per word (:meth:`attributes`), ``bounds`` the index
        of each sentence's first word and one past the last.
        """
        values, pos = padded(attrs, bounds)
        return program_rows(values, pos, self.program(), self.bits)

    def padded(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Weights and transitions as the compiled decoder reads them: the weights as they
        are (it reads ``width`` bytes a row, the last rows from a padded copy of its own), the
        transitions with the tags padded to ``width``.  The padding tags score far below any
        real one, so they are never chosen, and the real tags' scores are unchanged."""
        cached = self._padded
        if cached is None or cached[1].shape[1] != width:
            k = len(self.tags)
            t = np.full((width + 1, width), -(1 << 28), np.int32)
            t[:k, :k] = self.transitions[:k]
            t[width, :k] = self.transitions[k]
            cached = self._padded = (np.ascontiguousarray(self.weights, np.int8), t)
        return cached

    def program(self) -> np.ndarray:
        """The templates as the compiled decoder reads them: for each, its length, then
        (attribute column, offset) pairs."""
        out: list[int] = []
        for template in self.templates:
            out.append(len(template))
            for name, off in template:
                out += (_COL[name], off)
        return np.array(out, np.int32)


def padded(attrs: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The attribute rows with ``REACH`` sentinel rows around every sentence (before it
    ``BOS``, after it ``EOS``), as uint64, and each word's row in it."""
    return pad_sentences(attrs, bounds, REACH)


def _member(sorted_hashes: np.ndarray, h: int) -> bool:
    i = int(np.searchsorted(sorted_hashes, h))
    return i < len(sorted_hashes) and int(sorted_hashes[i]) == h


DEFAULT_TAGGER = "vlsp2013-pos"

_CACHE_MAX = 1 << 20  # distinct words whose attributes are kept
_CHUNK_WORDS = 100_000  # words tagged at once by tag_words


class Tagger:
    """Tags words with their part of speech (the VLSP 2013 tag set; :func:`upos` maps it
    to Universal POS tags).

    ``model`` is a path to a tagger model file, its bytes, a :class:`TaggerModel`, the name
    of a bundled one (:data:`BUNDLED_TAGGERS`), or ``None`` for ``"vlsp2013-pos"``.  Most
    users tag raw text through the segmenter, ``Segmenter()(text, tags=True)`` or
    :func:`tieng.tag`; :meth:`tag_words` tags words that are segmented already.  A tagger
    is safe to share between threads and pickles as its model's name or path.

    >>> Tagger().tag_words([["Tôi", "là", "sinh viên", "."]])
    [['P', 'V', 'N', 'CH']]

    A tagger is the pipeline's tagging stage (:mod:`tieng.stages`): it fills ``tags``.
    """

    name = "tags"  # the stage's option and field

    def __init__(self, model: str | os.PathLike[str] | bytes | TaggerModel | None = None) -> None:
        source: ModelSource | None = None
        if isinstance(model, TaggerModel):
            self.model = model
        else:
            source = ModelSource.of(model or DEFAULT_TAGGER, BUNDLED_TAGGERS, "TaggerModel")
            self.model = TaggerModel.from_bytes(*source.read())
        self.source = source
        self._lock = threading.Lock()
        self._cache: dict[str, int] = {}  # word as written -> row of self._attrs
        self._table: Any = None  # the compiled twin of _cache, keyed by characters
        self._attrs = np.zeros((1024, len(ATTRIBUTES)), np.int64)
        self._program = self.model.program()

    def __reduce__(self):
        source = self.source or ModelSource(data=self.model.to_bytes())
        return (_rebuild, (source,))

    def __repr__(self) -> str:
        return f"Tagger({self.source.describe() if self.source else '<model>'!r})"

    @property
    def tags(self) -> list[str]:
        """The tags the model chooses from."""
        return list(self.model.tags)

    @property
    def labels(self) -> list[str]:
        """The tags, as the stage's values index them."""
        return self.model.tags

    def annotate(
        self, text: str, starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray
    ) -> np.ndarray:
        """The stage's call (:mod:`tieng.stages`): :meth:`tag_spans`."""
        return self.tag_spans(text, starts, ends, bounds)

    def tag_words(self, sentences: Iterable[Sequence[str]]) -> list[list[str]]:
        """The tag of every word of every sentence (each a sequence of words, a word's
        syllables separated by white space).

        >>> Tagger().tag_words([["Hà Nội", "có", "nhiều", "hồ"], []])
        [['Np', 'V', 'A', 'N'], []]
        """
        names = self.model.tags
        out: list[list[str]] = []
        flat: list[str] = []
        bounds = [0]

        def flush() -> None:
            idx = self.tag_indices(flat, np.array(bounds, np.int64)).tolist()
            out.extend([names[i] for i in idx[a:b]] for a, b in zip(bounds[:-1], bounds[1:]))
            flat.clear()
            del bounds[1:]

        for s in sentences:
            if isinstance(s, str):
                raise TypeError("each sentence is a sequence of words, not a str")
            flat.extend(s)
            bounds.append(len(flat))
            if len(flat) >= _CHUNK_WORDS:  # memory stays bounded however many there are
                flush()
        if len(bounds) > 1:
            flush()
        return out

    def tag_indices(self, words: Sequence[str], bounds: np.ndarray) -> np.ndarray:
        """Tag indices (into :attr:`tags`) of a flat run of words; sentence ``i`` is words
        ``bounds[i]`` to ``bounds[i + 1]``."""
        if not len(words):
            return np.zeros(0, np.uint8)
        return self._decode(self._attributes(words), bounds)

    def tag_spans(
        self, text: str, starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray
    ) -> np.ndarray:
        """Like :meth:`tag_indices` for the words ``text[starts[i]:ends[i]]``: with the
        compiled helpers they are looked up by their characters, without a str for each."""
        if not len(starts):
            return np.zeros(0, np.uint8)
        with self._lock:
            self._bound_cache()
            if not isinstance(self._table, _accel.kernels.CodeTable):  # (or by the other kernels)
                self._table = _accel.kernels.CodeTable(_CACHE_MAX)
            rows = np.empty(len(starts), np.int64)
            _accel.kernels.codes_of_spans(
                self._table,
                text,
                np.ascontiguousarray(starts, np.int64),
                np.ascontiguousarray(ends, np.int64),
                self._row_of,
                rows,
            )
            table = self._attrs  # rows index this array (a later one only grows it)
        model = self.model
        kernels = _accel.kernels
        one = len(bounds) == 2 and bounds[0] == 0 and bounds[1] == len(rows)
        if one and len(model.tags) <= kernels.TAG_WIDTH:
            # One sentence, the per-call case: gathered, read, padded and decoded at once.
            weights, transitions = model.padded(kernels.TAG_WIDTH)
            tags = kernels.tag_rows(
                table,
                rows,
                self._program,
                model.bits,
                weights,
                transitions,
                REACH,
                _COL["shape"],
                _LETTER_SHAPES,
            )
            return np.frombuffer(tags, np.uint8)
        return self._decode(table[rows], bounds)

    def _decode(self, attrs: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        _uncap(attrs, bounds)
        model = self.model
        kernels = _accel.kernels
        if len(model.tags) > kernels.TAG_WIDTH:  # (more tags than the compiled decoder pads to)
            rows = model.feature_rows(attrs, bounds)
            return decode(rows, model.weights, model.transitions, bounds)
        # The decoder hashes the features itself, word by word.
        values, pos = padded(attrs, bounds)
        weights, transitions = model.padded(kernels.TAG_WIDTH)
        out = np.empty(len(attrs), np.uint8)
        kernels.viterbi(values, pos, self._program, model.bits, weights, transitions, bounds, out)
        return out

    def _bound_cache(self) -> None:
        """Start the word caches afresh when they hold too many words (under the lock)."""
        if len(self._cache) > _CACHE_MAX:
            self._cache.clear()
            self._table = None  # its codes are rows of the old cache

    def _row_of(self, word: str) -> int:
        """The row of ``word``'s attributes, computed on first sight (under the lock)."""
        row = self._cache.get(word)
        if row is None:
            if not isinstance(word, str):
                raise TypeError(f"a word is a str, not {type(word).__name__}")
            row = self._cache[word] = len(self._cache)
            if row >= len(self._attrs):
                grown = np.zeros((2 * len(self._attrs), len(ATTRIBUTES)), np.int64)
                grown[: len(self._attrs)] = self._attrs
                self._attrs = grown
            self._attrs[row] = self.model.attributes(word_key(word), word)
        return row

    def _attributes(self, words: Sequence[str]) -> np.ndarray:
        """The attribute rows of ``words`` (a copy: the caller may change it)."""
        with self._lock:
            self._bound_cache()
            cache = self._cache
            rows = [cache.get(w, -1) for w in words]
            if -1 in rows:
                rows = [r if r >= 0 else self._row_of(w) for r, w in zip(rows, words)]
            return self._attrs[np.array(rows, np.int64)]


def _uncap(attrs: np.ndarray, bounds: np.ndarray) -> None:
    """In sentences written in capitals (:func:`tieng.capitals.in_capitals`), read UPPER words
    as lower case, and the first as Title, the way the same sentence looks in running text."""
    shapes = attrs[:, _COL["shape"]]
    upper = shapes == WordShape.UPPER
    if upper.sum() < CAPS_MIN:
        return
    starts = bounds[:-1][np.diff(bounds) > 0]
    letters = (shapes >= WordShape.LOWER) & (shapes <= WordShape.MIXED)
    n_letters = np.add.reduceat(letters.astype(np.int32), starts)
    n_upper = np.add.reduceat(upper.astype(np.int32), starts)
    caps = in_capitals(n_letters, n_upper)
    if not caps.any():
        return
    new = np.zeros(len(attrs), np.int64)
    new[starts] = 1
    in_caps = caps[np.cumsum(new) - 1]
    shapes[in_caps & letters] = WordShape.LOWER
    first = starts[caps]
    shapes[first[letters[first]]] = WordShape.TITLE


def _rebuild(source: ModelSource) -> Tagger:
    t = Tagger(TaggerModel.from_bytes(*source.read()))
    t.source = source
    return t


_default: list[Tagger] = []
_default_lock = threading.Lock()


def default_tagger() -> Tagger:
    """The shared tagger with the bundled model, loaded on first use."""
    if not _default:
        with _default_lock:
            if not _default:
                _default.append(Tagger())
    return _default[0]


_NON_SPACE = re.compile(r"\S+")


def tag_segmented(lines: list[str], tagger: Tagger) -> list[Segmented]:
    r"""Lines already in the underscore format (words by white space, syllables by ``_``,
    escapes as :func:`parse_segmented` reads them), each taken as one sentence and tagged.

    A word's text and offsets are those of its chunk of the line, underscores included.

    >>> from tieng import Tagger
    >>> doc = tag_segmented(["Hà_Nội có nhiều hồ ."], Tagger())[0]
    >>> doc.tagged
    'Hà_Nội/Np có/V nhiều/A hồ/N ./CH'
    >>> doc.words[0][:5]
    ('Hà_Nội', 0, 6, None, 'Np')
    """
    chunks = [
        [(m.start(), m.end(), m.group()) for m in _NON_SPACE.finditer(line)] for line in lines
    ]
    words = [" ".join(parse_segmented(c)[0]) for cs in chunks for _, _, c in cs]
    bounds = np.zeros(len(lines) + 1, np.int64)
    bounds[1:] = np.cumsum([len(cs) for cs in chunks])
    idx = tagger.tag_indices(words, bounds)
    names = np.array(tagger.model.tags, dtype=object)[idx].tolist()
    out = []
    for k, cs in enumerate(chunks):
        tags = names[bounds[k] : bounds[k + 1]]
        ws = [Word(c, a, b, None, t) for (a, b, c), t in zip(cs, tags)]
        text = " ".join(c for _, _, c in cs)
        tagged = " ".join(f"{w.text}/{w.tag}" for w in ws)
        out.append(Segmented(text, ws, None, tagged))
    return out
