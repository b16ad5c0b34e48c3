"""Word segmentation: the :class:`Segmenter` and the module-level shortcuts."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice, repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._accel import speedups as _speedups
from .dictionary import UserDictionary
from .model import Model, ModelError
from .normalization import UNACCENTED
from .pool import available_cores, ordered_map
from .sentences import credit_breaks, has_credit, sentence_breaks
from .tokenization import Span, scan_arrays, scan_offsets

__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "Segmentation",
    "Segmenter",
    "Word",
    "default_segmenter",
    "escape_token",
    "parse_segmented",
    "segment",
    "segment_spans",
    "segment_text",
]

DEFAULT_MODEL = "vlsp2013.tieng"
# Models that ship inside the package, by the name a Segmenter (or --model) accepts.
BUNDLED_MODELS: dict[str, str] = {
    "vlsp2013": DEFAULT_MODEL,  # the default
    "vlsp2013-unaccented": "vlsp2013-unaccented.tieng",  # also reads text without diacritics
}
_BATCH = 1024
_new_tuple = tuple.__new__
_JOINER = " \n "
_SEPARATORS = np.array([" ", "_", "\n", "\x1f"], dtype=object)


def _bundled_model_bytes(file: str = DEFAULT_MODEL) -> bytes:
    try:
        return (Path(__file__).parent / "models" / file).read_bytes()
    except OSError:  # imported from a zip (e.g. a wheel on spark-submit --py-files)
        from importlib import resources

        return resources.files("tieng").joinpath("models", file).read_bytes()


class Segmentation(NamedTuple):
    """One text segmented: the underscore format and the words with their offsets."""

    text: str
    words: list[Span]


class Word(NamedTuple):
    """A word with its offsets and the probability that it is exactly right.

    ``confidence`` is the model's probability that the text has a word boundary just before
    ``start`` and just after ``end`` and none in between (1.0 where a user dictionary or the
    tokenizer decided).  The probabilities are calibrated on held-out training data: of the
    words given 0.9, about nine in ten are right.
    """

    text: str
    start: int
    end: int
    confidence: float


class _Batch:
    """Tokens of a batch of texts with their join decisions."""

    __slots__ = (
        "big",
        "doc_bounds",
        "ends",
        "fixed",
        "gstarts",
        "joins",
        "scores",
        "sent_starts",
        "starts",
        "texts",
        "tokens",
    )

    def __init__(
        self,
        texts,
        tokens,
        starts,
        doc_bounds,
        joins,
        sent_starts,
        scores,
        fixed,
        big="",
        gstarts=None,
        ends=None,
    ):
        self.texts = texts
        self.tokens = tokens  # list[str], all documents; None on the offsets-only path
        self.big = big  # the texts joined (offsets-only path: the tokens are slices of it)
        self.gstarts = gstarts  # offsets-only path: where each token starts in ``big``
        self.ends = ends  # and where it ends
        self.starts = starts  # np.ndarray: offset of each token in its own text
        self.doc_bounds = doc_bounds  # np.ndarray: tokens of doc k are [b[k], b[k+1])
        self.joins = joins  # np.ndarray[bool]: token i and i+1 are one word
        self.sent_starts = sent_starts  # np.ndarray[bool] or None: a sentence starts here
        self.scores = scores  # np.ndarray[float32]: the model's join score of each gap
        self.fixed = fixed  # np.ndarray[bool] or None: gaps a user dictionary decided


class Segmenter:
    """Splits Vietnamese text into words with a trained model.

    ``model`` is a path to a model file, the file's bytes, a loaded :class:`~tieng.model.Model`,
    the name of a model that ships with ``tieng`` (:data:`BUNDLED_MODELS`:
    ``"vlsp2013-unaccented"`` also reads text typed without diacritics), or ``None`` for the
    default one, ``"vlsp2013"``.  A bundled name wins over a file of the same name in the
    working directory; write ``"./vlsp2013"`` for the file.  With ``pretokenized=True`` the input
    is taken as already tokenized: only white space separates tokens.  A
    :class:`~tieng.UserDictionary` adds words that are always joined, sequences that are
    never joined, and known words that the model weighs in context (see
    :meth:`with_dictionary`).

    A segmenter is safe to share between threads, and pickles as its model path (or the
    model's bytes), so it travels cheaply to worker processes.

    >>> seg = Segmenter()
    >>> seg.segment_text("Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.")
    'Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm .'
    >>> seg.segment("Hà Nội có nhiều hồ")
    ['Hà Nội', 'có', 'nhiều', 'hồ']
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes | Model | None = None,
        *,
        pretokenized: bool = False,
        dictionary: UserDictionary | None = None,
    ) -> None:
        if dictionary is not None and not isinstance(dictionary, UserDictionary):
            raise TypeError(f"dictionary must be a UserDictionary, not {type(dictionary).__name__}")
        self.dictionary = dictionary
        self._path: str | None = None
        self._bytes: bytes | None = None
        if model is None:
            model = "vlsp2013"
        self._bundled: str | None = None
        if isinstance(model, str) and model in BUNDLED_MODELS:
            self._bundled = model
            file = BUNDLED_MODELS[model]
            self.model = Model.from_bytes(_bundled_model_bytes(file), f"<bundled {file}>")
        elif isinstance(model, Model):
            self.model = model
        elif isinstance(model, (bytes, bytearray, memoryview)):
            self._bytes = bytes(model)
            self.model = Model.from_bytes(self._bytes)
        elif isinstance(model, (str, os.PathLike)):
            self._path = os.fspath(Path(model).resolve())
            if isinstance(model, str) and os.sep not in model and not os.path.exists(model):
                names = ", ".join(BUNDLED_MODELS)
                raise ModelError(
                    f"{self._path}: model file not found, and {model!r} is not the name of "
                    f"a bundled model ({names})"
                )
            self.model = Model.load(self._path)
        else:
            raise TypeError(
                "model must be a path, a bundled model's name, bytes, a Model or None, "
                f"not {type(model).__name__}"
            )
        self.pretokenized = bool(pretokenized)
        self._lock = threading.Lock()
        self._scorer = self._scoring_model()
        self._rules = self._matching_rules()

    # -------------------------------------------------------------- pickling
    def __reduce__(self):
        d = self.dictionary
        if self._path is not None:
            return (_rebuild, (self._path, None, self.pretokenized, d))
        if self._bytes is not None:
            return (_rebuild, (None, self._bytes, self.pretokenized, d))
        if self._bundled is not None:
            return (_rebuild, (self._bundled, None, self.pretokenized, d))
        return (_rebuild, (None, self.model.to_bytes(), self.pretokenized, d))

    def __repr__(self) -> str:
        src = self._path or self._bundled or "<bytes>"
        extra = f", dictionary={self.dictionary!r}" if self.dictionary is not None else ""
        return f"Segmenter({src!r}, pretokenized={self.pretokenized}{extra})"

    def with_dictionary(self, dictionary: UserDictionary | None) -> Segmenter:
        """A new segmenter with the same model and ``dictionary`` (``None``: without one).

        The model is shared, not copied or reloaded; this segmenter is left as it was.

        >>> seg = Segmenter()
        >>> seg.segment_text("Ông Nguyễn Văn An làm kỹ sư phần mềm")
        'Ông Nguyễn_Văn_An làm kỹ_sư phần_mềm'
        >>> mine = seg.with_dictionary(UserDictionary(["kỹ sư phần mềm"], never_join=["Văn An"]))
        >>> mine.segment_text("Ông Nguyễn Văn An làm kỹ sư phần mềm")
        'Ông Nguyễn_Văn An làm kỹ_sư_phần_mềm'
        """
        if dictionary is not None and not isinstance(dictionary, UserDictionary):
            raise TypeError(f"dictionary must be a UserDictionary, not {type(dictionary).__name__}")
        new = object.__new__(Segmenter)
        new.__dict__.update(self.__dict__)  # the model and its lock are shared
        new.dictionary = dictionary
        new._scorer = new._scoring_model()
        new._rules = new._matching_rules()
        return new

    def _matching_rules(self) -> UserDictionary | None:
        """The dictionary's user words and never-join entries, matched as the model reads:
        without regard to diacritics when the model reads text without them."""
        d = self.dictionary
        if d is None or not (d.words or d.never_join):
            return None
        return d.ignoring_diacritics() if self.model.spec.key_version >= UNACCENTED else d

    def _scoring_model(self) -> Model:
        """The model, with the dictionary's ``known`` words added to its lexicon."""
        d = self.dictionary
        return (
            self.model.with_words(d.known_syllables()) if d is not None and d.known else self.model
        )

    # -------------------------------------------------------------- core
    def _analyze(
        self, texts: list[str], sentences: bool = False, text_only: bool = False
    ) -> _Batch:
        # Texts are joined by " \n ": a line break the tokenizer sees as a chunk of its own.
        big = _JOINER.join(texts)
        # Only the underscore format is wanted, and nothing needs the tokens' strings (no
        # sentences, user dictionary or credit lines): the compiled helpers work on offsets.
        credit = has_credit(big)
        offsets_only = (
            text_only
            and _speedups is not None
            and self._rules is None
            and not (sentences or credit)
        )
        tokens: list[str] | None = None
        gends = None
        if offsets_only:
            gstarts, gends, line_breaks = scan_offsets(big, self.pretokenized)
            with self._lock:  # the vocabulary's token caches are shared between threads
                codes = self.model.vocabulary.codes_of_spans(big, gstarts, gends)
        else:
            tokens, gstarts, line_breaks = scan_arrays(big, self.pretokenized)
            with self._lock:
                codes = self.model.vocabulary.codes(tokens)
        n = len(codes)
        # Documents: offsets where each text starts in ``big``.
        doc_off = np.zeros(len(texts) + 1, np.int64)
        doc_off[1:] = np.cumsum(np.array(list(map(len, texts)), np.int64) + len(_JOINER))
        doc_bounds = np.append(np.searchsorted(gstarts, doc_off[:-1]), n)
        doc_of = np.repeat(np.arange(len(texts)), np.diff(doc_bounds))
        starts = gstarts - doc_off[doc_of]
        # A new sentence starts after every line break (documents are joined by one): at
        # the first token after it.
        breaks = np.zeros(n, dtype=bool)
        if n:
            breaks[0] = True
            if line_breaks:
                after = np.searchsorted(gstarts, np.array(line_breaks, np.int64), side="right")
                breaks[after[after < n]] = True
        sent = None
        if sentences:
            assert tokens is not None
            lens = np.fromiter(map(len, tokens), np.int64, n)
            space_before = np.ones(n, dtype=bool)
            space_before[1:] = gstarts[1:] != gstarts[:-1] + lens[:-1]
            sent = breaks.copy()
            for a, b in zip(doc_bounds[:-1].tolist(), doc_bounds[1:].tolist()):
                if b - a > 1:
                    for k in sentence_breaks(tokens[a:b], space_before[a:b].tolist()):
                        sent[a + k] = True
            breaks = sent
        elif credit:
            assert tokens is not None
            for a, b in zip(doc_bounds[:-1].tolist(), doc_bounds[1:].tolist()):
                if b - a > 2 and has_credit(texts[int(doc_of[a])]):
                    for k in credit_breaks(tokens[a:b]):
                        breaks[a + k] = True
        scores = self._scorer.join_scores(codes, breaks)
        joins = scores > 0
        fixed = None
        if self._rules is not None:
            assert tokens is not None
            fixed = self._rules.apply(tokens, breaks, joins)
        return _Batch(
            texts, tokens, starts, doc_bounds, joins, sent, scores, fixed, big, gstarts, gends
        )

    def _batches(
        self,
        texts: Iterable[str],
        batch_size: int,
        sentences: bool = False,
        text_only: bool = False,
    ) -> Iterator[_Batch]:
        # A batch ends at ``batch_size`` texts or ``_BATCH_CHARS`` characters, whichever
        # comes first, so long texts (cut into windows) do not pile up in one batch.
        chunk: list[str] = []
        size = 0
        for t in texts:
            chunk.append(t)
            size += len(t)
            if len(chunk) >= batch_size or size >= _BATCH_CHARS:
                yield self._analyze(chunk, sentences, text_only)
                chunk, size = [], 0
        if chunk:
            yield self._analyze(chunk, sentences, text_only)

    @staticmethod
    def _texts_of(batch: _Batch, sentence_lines: bool) -> list[str]:
        n = len(batch.starts)
        b = batch.doc_bounds
        if n == 0:
            return [""] * len(batch.texts)
        # Separator after each token: 0 " ", 1 "_", 2 "\n" (sentence end), 3 end of text.
        # "\x1f" is white space to the tokenizer, so no token holds it.
        kind = batch.joins.astype(np.int8)
        if sentence_lines and batch.sent_starts is not None:
            kind[:-1][batch.sent_starts[1:]] = 2
        nonempty = b[1:] > b[:-1]
        kind[b[1:][nonempty] - 1] = 3
        if batch.tokens is None:  # the offsets-only path: written in C from the offsets
            return _speedups.write_segmented(
                batch.big, batch.gstarts, batch.ends, kind, b.astype(np.int64)
            )
        flat: list[str | None] = [None] * (2 * n)
        tokens = batch.tokens
        if any("_" in t or "\\" in t for t in batch.texts):
            tokens = [escape_token(t) for t in tokens]
        flat[::2] = tokens
        flat[1::2] = _SEPARATORS[kind].tolist()
        parts = "".join(flat).split("\x1f")
        if nonempty.all():
            return parts[:-1]
        it = iter(parts)
        return [next(it) if ne else "" for ne in nonempty.tolist()]

    @staticmethod
    def _word_bounds(batch: _Batch) -> tuple[list[int], list[int], list[int], np.ndarray]:
        """Where the words of a batch are: start and end of each word in its own text, the
        index of each text's first word (and one past the last), and each word's first token.

        A word is a run of tokens joined one to the next, never across two texts.
        """
        n = len(batch.starts)
        b = batch.doc_bounds
        first = np.ones(n, dtype=bool)  # a word starts at this token
        if n > 1:
            first[1:] = ~batch.joins[:-1]
        first[b[:-1][b[:-1] < n]] = True
        last = np.ones(n, dtype=bool)  # a word ends at this token
        last[:-1] = first[1:]
        if batch.tokens is None:
            lens = batch.ends - batch.gstarts
        else:
            lens = np.fromiter(map(len, batch.tokens), np.int64, n)
        heads = np.flatnonzero(first)
        starts = batch.starts[heads].tolist()
        ends = (batch.starts + lens)[last].tolist()
        return starts, ends, np.searchsorted(heads, b).tolist(), heads

    def _words_of(
        self, batch: _Batch, scored: bool = False, bounds: tuple | None = None
    ) -> list[list[Any]]:
        """The words of each text: :class:`Span` objects, or :class:`Word` with ``scored``."""
        starts, ends, wb, _ = bounds or self._word_bounds(batch)
        conf = self._confidences(batch) if scored else None
        out: list[list[Any]] = []
        for k, text in enumerate(batch.texts):
            s, e = starts[wb[k] : wb[k + 1]], ends[wb[k] : wb[k + 1]]
            words = map(text.__getitem__, map(slice, s, e))
            # tuple.__new__(Span, (text, start, end)) is Span(text, start, end), made in C
            if conf is None:
                out.append(list(map(_new_tuple, repeat(Span), zip(words, s, e))))
            else:
                fields = zip(words, s, e, conf[wb[k] : wb[k + 1]])
                out.append(list(map(_new_tuple, repeat(Word), fields)))
        return out

    def _confidences(self, batch: _Batch) -> list[float]:
        """Confidence of every word of the batch, in order.

        A word is right when the decisions at the gap before it, the gaps inside it and the
        gap after it are; the model takes them as independent, so the confidence is the
        product of their calibrated probabilities.  Each word's sum is taken over its own
        gaps only, so it does not depend on what else is in the batch.  The decisions are
        not quite independent (a wrong gap tends to have wrong neighbours), so when the model
        holds a word-level calibration the product goes through it: a monotone map
        ``sigmoid(word_scale * logit(p) + word_shift)`` fitted on held-out words.  A word
        all of whose gaps are certain keeps confidence 1.
        """
        n = len(batch.tokens)
        if n == 0:
            return []
        cal = self.model.metadata.get("calibration") or {}
        z = batch.scores.astype(np.float64) * float(cal.get("scale", 1.0)) + float(
            cal.get("shift", 0.0)
        )
        with np.errstate(over="ignore"):
            # log sigmoid(z) for a join, log sigmoid(-z) for a boundary; -inf scores give 0.
            logp = -np.logaddexp(0.0, -np.where(batch.joins, z, -z))
        if batch.fixed is not None:
            logp[batch.fixed] = 0.0
        first = np.ones(n, dtype=bool)
        first[1:] = ~batch.joins[:-1]
        first[batch.doc_bounds[:-1][batch.doc_bounds[:-1] < n]] = True
        starts = np.flatnonzero(first)
        total = np.add.reduceat(logp, starts)  # the gaps inside each word and the one after
        before = np.zeros(len(starts))
        inner = starts > 0
        before[inner] = logp[starts[inner] - 1]  # 0 at a text's start: that gap is certain
        logc = total + before
        if "word_scale" not in cal:
            return np.exp(logc).tolist()
        with np.errstate(divide="ignore", over="ignore"):
            logit = logc - np.log(-np.expm1(logc))  # +inf where the word is certain
            word_z = float(cal["word_scale"]) * logit + float(cal.get("word_shift", 0.0))
            conf = np.where(logc < 0.0, 1.0 / (1.0 + np.exp(-word_z)), 1.0)
        return conf.tolist()

    def _sentences_of(self, batch: _Batch, scored: bool = False) -> list[list[list[Any]]]:
        """The sentences of each text, each a list of words (as :meth:`_words_of` gives)."""
        bounds = self._word_bounds(batch)
        words_of = self._words_of(batch, scored, bounds)
        _, _, wb, heads = bounds
        # Words (by index in the batch) that begin a sentence.
        if batch.sent_starts is None:
            cuts: list[int] = []
        else:
            cuts = np.flatnonzero(batch.sent_starts[heads]).tolist()
        out: list[list[list[Any]]] = []
        at = 0
        for k, words in enumerate(words_of):
            first, stop = wb[k], wb[k + 1]
            while at < len(cuts) and cuts[at] <= first:
                at += 1
            sentences: list[list[Any]] = []
            prev = first
            while at < len(cuts) and cuts[at] < stop:
                sentences.append(words[prev - first : cuts[at] - first])
                prev = cuts[at]
                at += 1
            if stop > prev:
                sentences.append(words[prev - first :])
            out.append(sentences)
        return out

    # -------------------------------------------------------------- public API
    def segment(self, text: str) -> list[str]:
        """The words of ``text``, each exactly as written in ``text``.

        >>> Segmenter().segment("Tôi yêu Việt Nam")
        ['Tôi', 'yêu', 'Việt Nam']
        """
        return [w.text for w in self.segment_spans(text)]

    __call__ = segment

    def segment_spans(self, text: str) -> list[Span]:
        """The words of ``text`` as :class:`~tieng.Span` objects with offsets into ``text``.

        >>> Segmenter().segment_spans("Việt Nam")
        [Span(text='Việt Nam', start=0, end=8)]
        """
        return next(self._run("spans", [text], 1))

    def segment_scored(self, text: str) -> list[Word]:
        """The words of ``text`` as :class:`~tieng.Word` objects: offsets and confidence.

        >>> words = Segmenter().segment_scored("Hà Nội mưa to")
        >>> [(w.text, w.start, w.end) for w in words]
        [('Hà Nội', 0, 6), ('mưa', 7, 10), ('to', 11, 13)]
        >>> all(0.5 < w.confidence <= 1.0 for w in words)
        True
        """
        return next(self._run("scored", [text], 1))

    def segment_sentences(self, text: str) -> list[list[Span]]:
        """The sentences of ``text``, each a list of word :class:`~tieng.Span` objects.

        >>> sentences = Segmenter().segment_sentences("Trời mưa. Học sinh nghỉ học.")
        >>> [[w.text for w in s] for s in sentences]
        [['Trời', 'mưa', '.'], ['Học sinh', 'nghỉ', 'học', '.']]
        """
        return next(self._run("sentences", [text], 1))

    def segment_text(self, text: str, *, sentence_lines: bool = False) -> str:
        """``text`` in the VLSP format: words separated by spaces, syllables joined by "_".

        Each line of ``text`` gives one line of output, with its line ending kept.  With
        ``sentence_lines=True`` every sentence goes on a line of its own.

        >>> Segmenter().segment_text("Học sinh đi học.\\nTrời mưa to")
        'Học_sinh đi học .\\nTrời mưa to'
        """
        if not isinstance(text, str):
            raise TypeError(f"expected str, not {type(text).__name__}")
        lines = text.splitlines(keepends=True)
        if not lines:
            return ""
        bodies = [ln.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029") for ln in lines]
        outs = self.pipe_text(bodies, sentence_lines=sentence_lines)
        return "".join(o + ln[len(b) :] for o, b, ln in zip(outs, bodies, lines))

    def pipe(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[str]]:
        """Segment many texts; yields the word list of each, in order.

        ``n_process`` > 1 spreads batches of ``batch_size`` texts over that many worker
        processes (-1: one per available core); results still come in input order, and
        only a few batches are read ahead, so memory does not grow with the input.

        >>> list(Segmenter().pipe(["Hà Nội", "Sài Gòn"]))
        [['Hà Nội'], ['Sài Gòn']]
        """
        for spans in self.pipe_spans(texts, batch_size, n_process=n_process):
            yield [w.text for w in spans]

    def pipe_spans(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[Span]]:
        """Like :meth:`pipe`, yielding :class:`~tieng.Span` lists with offsets."""
        if _processes(n_process) > 1:
            yield from self._parallel("spans", texts, batch_size, n_process, False)
            return
        yield from self._run("spans", texts, batch_size)

    def pipe_text(
        self,
        texts: Iterable[str],
        batch_size: int = _BATCH,
        *,
        sentence_lines: bool = False,
        n_process: int = 1,
    ) -> Iterator[str]:
        """Like :meth:`segment_text` for many single-line texts; yields one string per text.

        >>> list(Segmenter().pipe_text(["Hà Nội có nhiều hồ", ""]))
        ['Hà_Nội có nhiều hồ', '']
        """
        if _processes(n_process) > 1:
            yield from self._parallel("text", texts, batch_size, n_process, sentence_lines)
            return
        yield from self._run("text", texts, batch_size, sentence_lines)

    def pipe_scored(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[Word]]:
        """Like :meth:`segment_scored` for many texts, in order."""
        if _processes(n_process) > 1:
            yield from self._parallel("scored", texts, batch_size, n_process, False)
            return
        yield from self._run("scored", texts, batch_size)

    def pipe_sentences(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[list[list[Span]]]:
        """Like :meth:`segment_sentences` for many texts, in order."""
        if _processes(n_process) > 1:
            yield from self._parallel("sentences", texts, batch_size, n_process, True)
            return
        yield from self._run("sentences", texts, batch_size)

    def pipe_results(
        self, texts: Iterable[str], batch_size: int = _BATCH, *, n_process: int = 1
    ) -> Iterator[Segmentation]:
        """Both forms at once: a :class:`Segmentation` (underscore text and word spans) a text.

        >>> r = next(Segmenter().pipe_results(["Hà Nội mưa"]))
        >>> r.text, r.words[0]
        ('Hà_Nội mưa', Span(text='Hà Nội', start=0, end=6))
        """
        if _processes(n_process) > 1:
            yield from self._parallel("results", texts, batch_size, n_process, False)
            return
        yield from self._run("results", texts, batch_size)

    def pipe_scored_results(
        self, texts: Iterable[str], batch_size: int = _BATCH
    ) -> Iterator[Segmentation]:
        """Like :meth:`pipe_results`, with :class:`Word` objects (with confidence) in ``words``.

        >>> r = next(Segmenter().pipe_scored_results(["Hà Nội mưa"]))
        >>> r.text, r.words[0].text, 0.5 < r.words[0].confidence <= 1
        ('Hà_Nội mưa', 'Hà Nội', True)
        """
        yield from self._run("scored_results", texts, batch_size)

    def pipe_scored_sentences(
        self, texts: Iterable[str], batch_size: int = _BATCH
    ) -> Iterator[list[list[Word]]]:
        """Like :meth:`pipe_sentences`, with :class:`Word` objects (with confidence)."""
        yield from self._run("scored_sentences", texts, batch_size)

    def _run(
        self, kind: str, texts: Iterable[str], batch_size: int, sentence_lines: bool = False
    ) -> Iterator[Any]:
        """Results of one ``kind`` for every text, in order, in batches.

        A text longer than ``_WINDOW`` characters is cut into windows (at sentence ends when
        it can be) that are analyzed apart and put back together, so memory stays bounded
        however long a single text is.
        """
        meta: deque[tuple[int, bool]] = deque()

        def pieces() -> Iterator[str]:
            for t in texts:
                if not isinstance(t, str):
                    raise TypeError(f"expected str, not {type(t).__name__}")
                if len(t) <= _WINDOW:
                    meta.append((0, True))
                    yield t
                    continue
                for off, piece, last in _windows(t):
                    meta.append((off, last))
                    yield piece

        sentences = kind in ("sentences", "scored_sentences") or sentence_lines
        parts: list[tuple[int, Any]] = []
        text_only = kind == "text"  # only the underscore format: the offsets-only path
        for batch in self._batches(pieces(), batch_size, sentences, text_only):
            if kind == "text":
                outs: Iterable[Any] = self._texts_of(batch, sentence_lines)
            elif kind == "spans":
                outs = self._words_of(batch)
            elif kind == "sentences":
                outs = self._sentences_of(batch)
            elif kind == "scored":
                outs = self._words_of(batch, scored=True)
            elif kind == "scored_sentences":
                outs = self._sentences_of(batch, scored=True)
            elif kind == "scored_results":
                outs = map(Segmentation, self._texts_of(batch, False), self._words_of(batch, True))
            else:
                outs = map(Segmentation, self._texts_of(batch, False), self._words_of(batch))
            for out in outs:
                off, last = meta.popleft()
                if last and not parts:
                    yield out
                    continue
                parts.append((off, out))
                if last:
                    yield _merge(kind, parts, "\n" if sentence_lines else " ")
                    parts = []

    def _parallel(self, kind, texts, batch_size, n_process, sentence_lines) -> Iterator[Any]:
        def tasks():
            it = iter(texts)
            while chunk := list(islice(it, batch_size)):
                yield kind, chunk, sentence_lines

        for results in ordered_map(
            _work, tasks(), jobs=_processes(n_process), setup=_same, setup_args=(self,)
        ):
            yield from results


_WINDOW = 20_000  # characters: longer texts are analyzed in windows of about this size
_BATCH_CHARS = 500_000  # characters analyzed at once, at most (plus one text)
_CUTS = (". ", "? ", "! ", "… ", "\n", "; ", ", ", " ")


def _windows(text: str) -> Iterator[tuple[int, str, bool]]:
    """``(offset, piece, is_last)`` windows of a long text, cut at white space after a
    sentence end where possible, else at any space, else anywhere."""
    pos, n = 0, len(text)
    while n - pos > _WINDOW:
        end = pos + _WINDOW
        cut = -1
        for mark in _CUTS:
            i = text.rfind(mark, pos + _WINDOW // 2, end)
            if i >= 0:
                cut = i + len(mark) - 1
                break
        if cut <= pos:
            cut = end
        yield pos, text[pos:cut], False
        pos = cut
    yield pos, text[pos:], True


def _shift(spans: list[Any], off: int) -> list[Any]:
    if not off:
        return spans
    return [w._replace(start=w.start + off, end=w.end + off) for w in spans]


def _merge(kind: str, parts: list[tuple[int, Any]], sep: str) -> Any:
    """One text's result from the results of its windows."""
    if kind == "text":
        return sep.join(out for _, out in parts if out)
    if kind in ("spans", "scored"):
        return [w for off, out in parts for w in _shift(out, off)]
    if kind in ("sentences", "scored_sentences"):
        return [_shift(sent, off) for off, out in parts for sent in out]
    text = " ".join(out.text for _, out in parts if out.text)
    return Segmentation(text, [w for off, out in parts for w in _shift(out.words, off)])


def escape_token(token: str) -> str:
    r"""A token as written in the underscore format: "\" and "_" get a backslash before them.

    "_" joins the syllables of a word, so an underscore that was in the input must be told
    apart; :func:`parse_segmented` undoes this.

    >>> print(escape_token("snake_case"), escape_token("a\\b"), escape_token("Hà"))
    snake\_case a\\b Hà
    """
    if "_" not in token and "\\" not in token:
        return token
    return token.replace("\\", "\\\\").replace("_", "\\_")


def parse_segmented(line: str) -> list[list[str]]:
    r"""Words of a line in the underscore format, each a list of its tokens (escapes undone).

    The inverse of the text output.

    >>> print(Segmenter().segment_text("Hà Nội có biến my_var"))
    Hà_Nội có biến my\_var
    >>> parse_segmented("Hà_Nội có biến my\\_var a \\_ b")
    [['Hà', 'Nội'], ['có'], ['biến'], ['my_var'], ['a'], ['_'], ['b']]
    """
    words: list[list[str]] = []
    for chunk in line.split():
        if "\\" not in chunk:
            words.append(chunk.split("_"))
            continue
        parts: list[str] = []
        cur: list[str] = []
        i = 0
        while i < len(chunk):
            c = chunk[i]
            if c == "\\" and i + 1 < len(chunk):
                cur.append(chunk[i + 1])
                i += 2
                continue
            if c == "_":
                parts.append("".join(cur))
                cur = []
            else:
                cur.append(c)
            i += 1
        parts.append("".join(cur))
        words.append(parts)
    return words


def _processes(n: int) -> int:
    """Worker count for ``n_process``: -1 (or 0) means one per core this process may use."""
    return n if n > 0 else available_cores()


def _same(seg: Segmenter) -> Segmenter:
    return seg


def _work(seg: Segmenter, task: tuple[str, list[str], bool]) -> list[Any]:
    kind, texts, sentence_lines = task
    if kind == "text":
        return list(seg.pipe_text(texts, len(texts) or 1, sentence_lines=sentence_lines))
    if kind == "results":
        return list(seg.pipe_results(texts, len(texts) or 1))
    if kind == "sentences":
        return list(seg.pipe_sentences(texts, len(texts) or 1))
    if kind == "scored":
        return list(seg.pipe_scored(texts, len(texts) or 1))
    return list(seg.pipe_spans(texts, len(texts) or 1))


def _rebuild(
    path: str | None,
    data: bytes | None,
    pretokenized: bool,
    dictionary: UserDictionary | None = None,
) -> Segmenter:
    if path is not None:  # a file path, or the name of a bundled model
        return Segmenter(path, pretokenized=pretokenized, dictionary=dictionary)
    return Segmenter(data, pretokenized=pretokenized, dictionary=dictionary)


_default: dict[bool, Segmenter] = {}
_default_lock = threading.Lock()


def default_segmenter(pretokenized: bool = False) -> Segmenter:
    """The shared segmenter with the bundled model, loaded on first use."""
    seg = _default.get(pretokenized)
    if seg is None:
        with _default_lock:
            seg = _default.get(pretokenized)
            if seg is None:
                seg = _default[pretokenized] = Segmenter(pretokenized=pretokenized)
    return seg


def segment(text: str) -> list[str]:
    """The words of ``text`` with the bundled model, each exactly as written.

    >>> segment("Hà Nội có nhiều hồ")
    ['Hà Nội', 'có', 'nhiều', 'hồ']
    """
    return default_segmenter().segment(text)


def segment_spans(text: str) -> list[Span]:
    """The words of ``text`` with their offsets, with the bundled model.

    >>> segment_spans("Tôi yêu Việt Nam")[2]
    Span(text='Việt Nam', start=8, end=16)
    """
    return default_segmenter().segment_spans(text)


def segment_text(text: str, *, sentence_lines: bool = False) -> str:
    """``text`` in the VLSP format (words by spaces, syllables by "_"), with the bundled model.

    >>> segment_text("Tôi là sinh viên.")
    'Tôi là sinh_viên .'
    """
    return default_segmenter().segment_text(text, sentence_lines=sentence_lines)
