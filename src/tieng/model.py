"""The segmentation model: what its file holds, and its scores of the gaps between tokens.

The file is the container of :mod:`tieng.container` (magic, version, checked JSON header,
aligned arrays under a checksum).  A segmentation model's header holds the metadata (training
data, settings, figures, the calibration), the feature settings and the bias; its arrays the
weights, the vocabulary, the lexicon and, since version 3, what loading used to build.

Version 3 files also hold what loading used to build: the outside word lists as their hash
table (``lists_keys``, ``lists_flags``; header field ``word_lists``: its size in bits and
each list's entry count), in place of rows of syllable ids, and the weights regrouped for
scoring (``score_tables``, see :meth:`tieng.engine.features.ScoreTables.flat`).  They are read
straight from the (memory-mapped) file, their shapes checked so that every lookup stays
inside them, so the first call costs what the second does.  Version 2 files (lists as rows,
tables built at first use) and version 1 files (no header checksum either) still load.

Version 4 files (2026-12-07) may hold the weights in 8 bits (``weights`` of uint8 and the
``codebook`` of 256 float32 values they index: :func:`quantize`), the lexicon and the word
lists as ragged rows (``lexicon_ids`` and ``lexicon_lengths``, ``lists_ids`` and
``lists_lengths``: every id one after another and each row's length; the lists' hash table,
whose version 3 form they may still hold, is then built at load in a few milliseconds), and
the ``syllable_flags`` (a :class:`SyllableFlag` byte for each vocabulary id).  Half the size
of a version 3 file; each part checked at load (a codebook that is not finite, not sorted or
too large, rows past the vocabulary, flags of unknown bits are refused).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import _accel
from .calibration import Calibration
from .capitals import TITLE_MIN, in_capitals, in_title_case
from .container import (
    FORMAT_VERSION,
    MAGIC,
    MAX_FILE,
    ModelError,
    is_int,
    pack_file,
    read_arrays,
    read_file,
    unpack_file,
)
from .engine.features import (
    JOINABLE,
    PAD,
    FeatureSpec,
    Lexicon,
    ScoreTables,
    Shape,
    SpanTable,
    SyllableFlag,
    WordLists,
    gap_features,
)
from .engine.vocabulary import UNKNOWN, Vocabulary
from .hashing import lexicon_hashes
from .registry import BUNDLED_MODELS, BUNDLED_TAGGERS, ModelSource

__all__ = [
    "BUNDLED_MODELS",
    "BUNDLED_TAGGERS",
    "FORMAT_VERSION",
    "MAGIC",
    "Calibration",
    "Model",
    "ModelError",
    "ModelSource",
    "resolve_model",
]

# The dtypes each array may have.
_ARRAY_DTYPES = {
    "weights": ("<f2", "<f4", "|u1"),
    "codebook": ("<f4",),
    "lexicon": ("<u2", "<u4"),
    "lexicon_ids": ("<u2", "<u4"),
    "lexicon_lengths": ("|u1",),
    "vocabulary": ("|u1",),
    "classes": ("<u2",),
    "lists_keys": ("<u8",),
    "lists_flags": ("<u2",),
    "lists_ids": ("<u2", "<u4"),
    "lists_lengths": ("|u1",),
    "score_tables": ("<f2", "<f4", "|u1"),
    "syllable_flags": ("|u1",),
}
CODEBOOK_SIZE = 256  # 8-bit weights: each byte is an index into a codebook of this many floats
MAX_CODE = 1000.0  # no codebook entry may be larger in size (a trained weight is under 10)
_LIST_DTYPES = ("<u2", "<u4")


def _uncap(
    shapes: np.ndarray,
    starts: np.ndarray,
    ids: np.ndarray | None = None,
    flags: np.ndarray | None = None,
) -> np.ndarray:
    """Shapes as if ALL-CAPS and Title Case sentences were written in sentence case.

    In a sentence in capitals or in Title Case (:mod:`tieng.capitals`: headings, titles of
    works and of organisations), case says nothing about names, so UPPER and Title tokens are
    seen as lower case and the first token as Title, the way the same sentence looks in
    running text.

    With the model's syllable flags (``flags``, indexed by the tokens' ``ids``; see
    :class:`SyllableFlag`), two more rules make the text look like running text:

    * in such a sentence, a family name, a middle name and one more capitalized syllable
      stay Title, as a person's name is written in running text (``PHẠM MINH CHÍNH``);
    * elsewhere, a capitalized word that is capitalized mostly because it opens a sentence
      (``Bà``, ``Ông``) is seen in lower case after the end of a sentence within the line
      (``... Hà Nội. Bà Lan, ...``), where the training data, one sentence a line, never
      showed it.
    """
    out = shapes
    f = None if flags is None or ids is None else flags[ids]
    if f is not None:
        opener = ((f & SyllableFlag.OPENER) != 0) & (shapes == Shape.TITLE)
        opener[1:] &= ((f[:-1] & SyllableFlag.SENTENCE_END) != 0) & ~starts[1:]
        opener[0] = False
        if opener.any():
            out = shapes.copy()
            out[opener] = Shape.LOWER
    upper = shapes == Shape.UPPER
    # (models with foreign-word shapes; a country's name counts as any capitalized syllable)
    foreign = (shapes == Shape.FOREIGN) | (shapes == Shape.FOREIGN_TITLE)
    country = shapes == Shape.COUNTRY
    title = (shapes == Shape.TITLE) | (shapes == Shape.FOREIGN_TITLE) | country
    if not upper.any() and int(np.count_nonzero(title)) < TITLE_MIN:
        return out
    sent = np.cumsum(starts) - 1  # starts[0] is True
    first_of = np.flatnonzero(starts)
    letters = ((shapes >= Shape.LOWER) & (shapes <= Shape.MIXED)) | foreign | country
    n_letters = np.add.reduceat(letters.astype(np.int64), first_of)
    n_upper = np.add.reduceat(upper.astype(np.int64), first_of)
    n_title = np.add.reduceat(title.astype(np.int64), first_of)
    caps = in_capitals(n_letters, n_upper) | in_title_case(n_letters, n_upper, n_title)
    if not caps.any():
        return out
    in_caps = caps[sent]
    out = out.copy() if out is shapes else out
    out[in_caps & (upper | title)] = Shape.LOWER
    out[in_caps & foreign] = Shape.FOREIGN
    first = in_caps & starts & letters
    out[first] = np.where(foreign[first], Shape.FOREIGN_TITLE, Shape.TITLE)
    if f is not None and len(shapes) >= 3:
        # family, middle, given: capitalized, in one sentence in capitals or Title Case
        capped = upper | (shapes == Shape.TITLE) | country
        name = in_caps[:-2] & ((f[:-2] & SyllableFlag.FAMILY) != 0)
        name &= (f[1:-1] & SyllableFlag.MIDDLE) != 0
        name &= capped[:-2] & capped[1:-1] & capped[2:] & ~starts[1:-1] & ~starts[2:]
        for k in range(3):
            out[k : len(out) - 2 + k][name] = Shape.TITLE
    return out


def quantize(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8-bit codes for ``weights`` and the codebook they index: ``codebook[codes]`` is the
    weight each is rounded to (the nearest codebook value).

    The codebook is a grid even in ``asinh(w / s)``, ``s`` a 12th of the largest weight in
    size, from the smallest weight to the largest, plus zero (the weights no feature
    reached stay exact): steps of about a 480th of the largest weight near zero, where most
    weights are, and of about 2.5% of the weight's size past ``s``.  (The k-means of the
    weights, which minimizes the mean error instead, rounded the few large weights by up to
    3.1 and changed 14% of the sentences of a sample.  With this grid the dev-fold F1 is the
    float16 model's, and so is every sentence of the modern dev set: docs/REPORT.md.)  It is
    sorted and always holds :data:`CODEBOOK_SIZE` values (the last repeated if fewer differ),
    so that every byte is a valid code.  Deterministic.

    >>> w = np.array([0.0, 0.5, -1.25, 2.0], np.float32)
    >>> codes, book = quantize(w)
    >>> codes.dtype, len(book), book[codes][0], bool(np.all(np.abs(book[codes] - w) < 0.02))
    (dtype('uint8'), 256, np.float32(0.0), True)
    """
    w = np.asarray(weights, np.float64).ravel()
    top = float(np.abs(w).max()) if w.size else 0.0
    if top > 0:
        s = top / 12
        grid = np.linspace(np.arcsinh(w.min() / s), np.arcsinh(w.max() / s), CODEBOOK_SIZE - 1)
        book = np.unique(np.append((np.sinh(grid) * s).astype(np.float32), np.float32(0)))
    else:
        book = np.zeros(1, np.float32)
    book = np.append(book, np.repeat(book[-1], CODEBOOK_SIZE - len(book)))
    wide = book.astype(np.float64)
    codes = np.searchsorted((wide[1:] + wide[:-1]) / 2, w).astype(np.uint8)
    return codes.reshape(np.shape(weights)), book


def _stored_rows(
    entry: object, arrays: dict[str, np.ndarray], spec: FeatureSpec, vocab_size: int, source: str
) -> list[np.ndarray]:
    """The word lists of a version 4 file that stores them as rows: one array of rows a list,
    split by the header's entry counts, each row checked to fit the vocabulary."""
    sizes = entry.get("sizes") if isinstance(entry, dict) else None
    rows = _unragged(
        arrays["lists_ids"],
        arrays["lists_lengths"],
        spec.max_word,
        vocab_size,
        "word lists",
        source,
    )
    if (
        not isinstance(sizes, list)
        or len(sizes) != len(spec.lists)
        or not all(is_int(n) and n >= 0 for n in sizes)
        or sum(sizes) != len(rows)
    ):
        raise ModelError(f"{source}: corrupt model (word lists: entry counts)")
    return np.split(rows, np.cumsum(sizes)[:-1])


def _check_codebook(codebook: np.ndarray | None, weights: np.ndarray) -> np.ndarray | None:
    """The codebook of 8-bit weights, checked: :data:`CODEBOOK_SIZE` finite float32 values,
    sorted, none larger than :data:`MAX_CODE` in size; ``None`` for float weights."""
    if weights.dtype != np.uint8:
        if codebook is not None:
            raise ModelError("a codebook goes with 8-bit weights only")
        return None
    if codebook is None:
        raise ModelError("8-bit weights need their codebook")
    book = np.asarray(codebook)
    if book.dtype != np.float32 or book.shape != (CODEBOOK_SIZE,):
        raise ModelError(f"the codebook must be {CODEBOOK_SIZE} float32 values")
    if not (np.all(np.isfinite(book)) and np.all(np.abs(book) <= MAX_CODE)):
        raise ModelError(f"the codebook holds values that are not finite or past ±{MAX_CODE:g}")
    if np.any(np.diff(book) < 0):
        raise ModelError("the codebook is not sorted")
    return book


def ragged(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ids (0-padded) as their ids one after another and each row's length: what a
    version 4 file stores for the lexicon and the word lists."""
    rows = np.asarray(rows)
    lengths = np.count_nonzero(rows, axis=1).astype(np.uint8)
    return rows[rows != 0], lengths


def _unragged(
    ids: np.ndarray, lengths: np.ndarray, width: int, vocab_size: int, what: str, source: str
) -> np.ndarray:
    """The 0-padded rows of :func:`ragged`'s output, checked to fit ``width`` and the
    vocabulary (every id in ``1 .. vocab_size + 1``, every row 2 ids or longer)."""
    if (
        ids.ndim != 1
        or lengths.ndim != 1
        or (lengths.size and (int(lengths.min()) < 2 or int(lengths.max()) > width))
        or int(lengths.sum(dtype=np.int64)) != len(ids)
        or (ids.size and (int(ids.min()) < 1 or int(ids.max()) >= vocab_size + 2))
    ):
        raise ModelError(f"{source}: corrupt model ({what} does not fit the vocabulary)")
    rows = np.zeros((len(lengths), width), np.uint32)
    rows[np.arange(width) < lengths[:, None].astype(np.int64)] = ids
    return rows


_FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_PROBE = 1024  # slots a lookup in a stored word-list table may read (see _stored_lists)


def _stored_lists(
    entry: object, arrays: dict[str, np.ndarray], count: int, source: str
) -> WordLists:
    """The word lists' hash table of a version 3 file, its shape checked so that every
    lookup stays inside it (see :class:`tieng.engine.features.SpanTable`)."""

    def corrupt(what: str) -> ModelError:
        return ModelError(f"{source}: corrupt model (word lists: {what})")

    if not count:
        if entry is not None:
            raise corrupt("the features use none")
        return WordLists([])
    if not isinstance(entry, dict):
        raise corrupt("no table")
    bits, sizes = entry.get("bits"), entry.get("sizes")
    if not is_int(bits) or not 4 <= bits <= 40:
        raise corrupt("table size")
    if (
        not isinstance(sizes, list)
        or len(sizes) != count
        or not all(is_int(n) and 0 <= n <= MAX_FILE for n in sizes)
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
    # A lookup reads from a key's home slot to the next empty one: a table built by tieng is
    # at most half full and its runs of full slots are short (25 slots at most in the bundled
    # models); a crafted full one would make every lookup read to its end.
    empty = np.flatnonzero(keys == 0)
    if len(keys) - len(empty) > 1 << (bits - 1):
        raise corrupt("table more than half full")
    longest = int(np.diff(empty, prepend=-1).max()) - 1
    if longest > MAX_PROBE:
        raise corrupt(f"a run of {longest} full slots, more than {MAX_PROBE}")
    return WordLists.from_table(SpanTable.from_slots(keys, flags, bits), sizes)


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
        codebook: np.ndarray | None = None,
        syllable_flags: np.ndarray | None = None,
    ) -> None:
        """``lists``: the outside word lists, as rows of syllable ids (one a list), or as
        their hash table already built (a :class:`tieng.engine.features.WordLists`); None: none.
        ``weights``: float16 or float32, or 8-bit codes into ``codebook`` (see :func:`quantize`).
        ``syllable_flags``: a :class:`SyllableFlag` byte for each vocabulary id, or None."""
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
        if weights.dtype not in (np.float16, np.float32, np.uint8):
            weights = weights.astype(np.float32)
        self.codebook = _check_codebook(codebook, weights)
        if syllable_flags is not None:
            syllable_flags = np.asarray(syllable_flags)
            if (
                syllable_flags.dtype != np.uint8
                or syllable_flags.shape != (len(vocabulary),)
                or np.any(syllable_flags & ~np.uint8(SyllableFlag.ALL))
            ):
                raise ModelError(
                    f"syllable flags must be {len(vocabulary)} bytes (one a vocabulary id) "
                    f"with no bit past {SyllableFlag.ALL}"
                )
        self.syllable_flags = syllable_flags
        self.weights = weights  # float16 (what training writes), float32, or 8-bit codes
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
        shapes = _uncap(codes % Shape.COUNT, starts, ids, self.syllable_flags)
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
        flags = self.syllable_flags
        if flags is not None:
            codes = np.where(codes < 0, UNKNOWN * Shape.COUNT, codes)
            _accel.kernels.tie_gaps(scores, codes // Shape.COUNT, flags)
        return scores

    def score_tables(self) -> ScoreTables:
        """The weights regrouped for scoring (built on first use, shared by :meth:`with_words`)."""
        tables = self._tables
        if tables is None:
            tables = self._tables = ScoreTables(
                self.weights, self.spec, len(self.vocabulary), codebook=self.codebook
            )
        return tables

    def compiled_scorer(self):
        """The compiled scorer of this model (its lexicon and word lists included); ``None``
        without the compiled helpers."""
        return self.score_tables().scorer(self._lexicon, self._lists)

    def _classes(self, pid: np.ndarray) -> np.ndarray | None:
        return None if self.classes is None else self.classes[pid]

    # ----------------------------------------------------------------- file format
    def to_bytes(self) -> bytes:
        """Serialize to the model file format (version 4)."""
        vocab_blob = np.frombuffer("\n".join(self.vocabulary.keys).encode("utf-8"), np.uint8)
        narrow = "<u2" if len(self.vocabulary) + 2 <= 1 << 16 else "<u4"
        lexicon_ids, lexicon_lengths = ragged(self.lexicon)
        arrays = {"weights": self.weights}
        if self.codebook is not None:
            arrays["codebook"] = self.codebook
        arrays.update(
            lexicon_ids=lexicon_ids.astype(narrow),
            lexicon_lengths=lexicon_lengths,
            vocabulary=vocab_blob,
        )
        if self.classes is not None:
            arrays["classes"] = self.classes.astype("<u2")
        fields: dict[str, Any] = {}
        # The word lists: as rows (one after another, with their lengths: small) when this
        # model has them, else as the hash table a version 3 file held (loading builds the
        # table from rows in a few milliseconds).  The weights regrouped for scoring are
        # stored ready to use.
        if self._list_rows:
            ids, lengths = ragged(np.concatenate(self._list_rows))
            arrays["lists_ids"] = ids.astype(narrow)
            arrays["lists_lengths"] = lengths
            fields["word_lists"] = {"sizes": [len(rows) for rows in self._list_rows]}
        elif self._lists is not None:
            lists = self._lists
            arrays["lists_keys"] = lists.table.keys
            arrays["lists_flags"] = lists.table.flags
            fields["word_lists"] = {"bits": lists.table.bits, "sizes": list(lists.sizes)}
        arrays["score_tables"] = self.score_tables().flat()
        if self.syllable_flags is not None:
            arrays["syllable_flags"] = self.syllable_flags
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
                    else " (give it to tieng.Restorer, or to --restorer on the command line)"
                    if header["kind"] == "restorer"
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
        names = ["weights", "vocabulary"] + (["classes"] if spec.classes else [])
        names += ["lexicon_ids", "lexicon_lengths"] if version >= 4 else ["lexicon"]
        # Word lists: rows in version 2, a hash table in version 3, either in version 4.
        list_rows = version >= 4 and "lists_ids" in table
        if version < 3:
            names += [f"list{i}" for i in range(len(spec.lists))]
        elif spec.lists:
            names += ["lists_ids", "lists_lengths"] if list_rows else ["lists_keys", "lists_flags"]
        if version >= 3:
            names.append("score_tables")
        entry = table.get("weights")
        eight_bit = version >= 4 and isinstance(entry, dict) and entry.get("dtype") == "|u1"
        if eight_bit:
            names.append("codebook")
        if version >= 4 and "syllable_flags" in table:
            names.append("syllable_flags")
        dtypes = {name: _ARRAY_DTYPES.get(name, _LIST_DTYPES) for name in names}
        if version < 4:  # (8-bit weights came with version 4)
            for name in ("weights", "score_tables"):
                if name in dtypes:
                    dtypes[name] = ("<f2", "<f4")
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
        try:
            codebook = _check_codebook(arrays.get("codebook"), weights)
        except ModelError as e:
            raise ModelError(f"{source}: corrupt model ({e})") from None
        if version >= 4:
            lexicon = _unragged(
                arrays["lexicon_ids"],
                arrays["lexicon_lengths"],
                spec.max_word,
                len(keys),
                "lexicon",
                source,
            )
        else:
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
        if list_rows:
            lists = _stored_rows(header.get("word_lists"), arrays, spec, len(keys), source)
        elif version >= 3:
            lists = _stored_lists(header.get("word_lists"), arrays, len(spec.lists), source)
        vocabulary = Vocabulary(keys, spec.key_version, spec.foreign, spec.countries)
        flags = arrays.get("syllable_flags")
        if flags is not None and (
            flags.shape != (len(keys) + 2,) or np.any(flags & ~np.uint8(SyllableFlag.ALL))
        ):
            raise ModelError(f"{source}: corrupt model (syllable flags do not fit)")
        model = cls(
            vocabulary,
            lexicon,
            weights,
            float(bias),
            spec,
            metadata,
            classes,
            lists,
            codebook,
            flags,
        )
        if version >= 3:
            try:
                model._tables = ScoreTables(
                    model.weights, spec, len(vocabulary), arrays["score_tables"], codebook
                )
            except ValueError as e:
                raise ModelError(f"{source}: corrupt model ({e})") from None
        model.format_version = version
        return model

    @classmethod
    def from_source(cls, source: ModelSource) -> Model:
        """Load the model ``source`` names (a new object each time)."""
        return cls.from_bytes(*source.read())

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
            self.codebook,
            self.syllable_flags,
        )
        new._tables = self.score_tables()  # same weights: the score tables are shared, not rebuilt
        new.calibration = self.calibration
        return new

    def with_countries(self, names: Iterable[str]) -> Model:
        """This model reading more names of countries (one token each: ``Canada``,
        ``Indonesia``) with the shape its trained ones have (``Shape.COUNTRY``, capitalized),
        everything else shared.  A name it has already is kept once.

        >>> from tieng import Segmenter
        >>> m = Segmenter().model.with_countries(["Canada"])
        >>> "Canada" in m.spec.countries
        True
        """
        names = list(self.spec.countries) + [n for n in names if n not in self.spec.countries]
        spec = FeatureSpec.from_dict({**self.spec.to_dict(), "countries": names})
        vocabulary = Vocabulary(self.vocabulary.keys, spec.key_version, spec.foreign, names)
        new = Model(
            vocabulary,
            self.lexicon,
            self.weights,
            self.bias,
            spec,
            self.metadata,
            self.classes,
            self._list_rows or self._lists,
            self.codebook,
            self.syllable_flags,
        )
        new._tables = self.score_tables()
        new.calibration = self.calibration
        return new

    def with_syllable_flags(self, flags: np.ndarray | None) -> Model:
        """This model with other syllable flags (:class:`SyllableFlag`, one byte a vocabulary
        id; ``None``: none), everything else shared (see
        :func:`tieng.training.segmenter.syllable_flags`)."""
        new = Model(
            self.vocabulary,
            self.lexicon,
            self.weights,
            self.bias,
            self.spec,
            self.metadata,
            self.classes,
            self._list_rows or self._lists,
            self.codebook,
            flags,
        )
        new._tables = self.score_tables()
        new.calibration = self.calibration
        return new

    def quantized(self) -> Model:
        """This model with its weights stored in 8 bits (:func:`quantize`): half the size of
        float16 weights, every score within a few hundredths of this model's.

        >>> from tieng import Segmenter
        >>> small = Segmenter().model.quantized()
        >>> small.weights.dtype, Segmenter(small)("Hà Nội có nhiều hồ").text
        (dtype('uint8'), 'Hà_Nội có nhiều hồ')
        """
        weights = self.weights
        if self.codebook is not None:
            return self
        codes, codebook = quantize(weights)
        new = Model(
            self.vocabulary,
            self.lexicon,
            codes,
            self.bias,
            self.spec,
            self.metadata,
            self.classes,
            self._list_rows or self._lists,
            codebook,
            self.syllable_flags,
        )
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


def resolve_model(
    model: str | os.PathLike[str] | bytes | Model | None,
) -> tuple[Model, ModelSource | None]:
    """The segmentation model ``model`` names (a bundled name, a path, bytes, a
    :class:`Model`, or ``None`` for ``"vlsp2013"``), and its source (``None`` for a
    :class:`Model` given as an object: it has no source but itself).

    >>> model, source = resolve_model(None)
    >>> source
    ModelSource(bundled='vlsp2013', path=None, data=None)
    """
    if isinstance(model, Model):
        return model, None
    source = ModelSource.of("vlsp2013" if model is None else model)
    return Model.from_source(source), source
