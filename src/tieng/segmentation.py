"""Word segmentation: the :class:`Segmenter` and the module-level shortcuts."""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice, tee
from typing import TYPE_CHECKING, Any, NamedTuple, cast, overload

import numpy as np

from . import _accel
from .dictionary import UserDictionary
from .engine.batch import (
    WINDOW_CHARS,
    Batch,
    layers_of,
    merge_pieces,
    results_of,
    text_pieces,
    texts_of,
)
from .engine.features import JOINABLE
from .model import Model, resolve_model
from .normalization import UNACCENTED, reads_unaccented
from .pool import available_cores, ordered_map
from .registry import BUNDLED_MODELS, ModelSource
from .sentences import credit_breaks, has_credit, sentence_breaks
from .stages import Stage, annotate
from .tagging import Tagger, default_tagger
from .tokenization import LINE_BREAKS, scan_arrays, scan_offsets, scan_settings
from .values import Segmented, Word, escape_token, parse_segmented, styled_text

if TYPE_CHECKING:  # pragma: no cover
    from .parsing import Parser
    from .restoration import Restorer

__all__ = [
    "BUNDLED_MODELS",
    "Segmented",
    "Segmenter",
    "Word",
    "default_segmenter",
    "escape_token",
    "parse_segmented",
    "segment",
    "segment_text",
    "tag",
]

_BATCH = 1024  # texts analysed at once, at most
DEFAULT_MODEL_NAME = "vlsp2013"  # what Segmenter() loads
_has_line_break = re.compile(f"[{re.escape(LINE_BREAKS)}]").search
UNACCENTED_MODEL = "vlsp2013-unaccented"  # where it sends text typed without diacritics
# The share of the default model's scores (of the text restored) in those of text typed
# without diacritics, on the default route (chosen on dev folds: docs/REPORT.md).
PARTNER_WEIGHT = 0.2
_BATCH_CHARS = 500_000  # characters analysed at once, at most (plus one text)
_JOINER = " \n "  # between the texts of a batch: a line break the tokenizer sees alone


# The methods of 0.1, deprecated in 0.2 and removed in 0.3, and what replaced them.
_REMOVED = {
    "segment": "[w.text for w in segmenter(text)]",
    "segment_spans": "segmenter(text).words",
    "segment_scored": "segmenter(text, confidence=True).words",
    "segment_sentences": "segmenter(text, sentences=True).sentences",
    "pipe_spans": "(doc.words for doc in segmenter.pipe(texts))",
    "pipe_scored": "segmenter.pipe(texts, confidence=True)",
    "pipe_sentences": "segmenter.pipe(texts, sentences=True)",
    "pipe_results": "segmenter.pipe(texts)",
    "pipe_scored_results": "segmenter.pipe(texts, confidence=True)",
    "pipe_scored_sentences": "segmenter.pipe(texts, sentences=True, confidence=True)",
}


class LineOut:
    """What the per-call path (``kernels.Line.run``) gives for one text: the underscore
    text; with the words; with the words and their (start, end) pairs, for the stages; or the
    tokens' offsets and join scores, for confidences."""

    TEXT = 0
    WORDS = 1
    SCORES = 2
    WORD_SPANS = 3


_TEXT, _WORDS, _SCORES, _WORD_SPANS = (
    LineOut.TEXT,
    LineOut.WORDS,
    LineOut.SCORES,
    LineOut.WORD_SPANS,
)


class _Options(NamedTuple):
    """What a run produces: the underscore text only, or :class:`Segmented` results; with
    sentences (one a line in the text), with confidences, with tags."""

    text_only: bool = False
    sentences: bool = False
    confidence: bool = False
    tags: bool = False
    restore: bool = False
    parse: bool = False


class Segmenter:
    """Splits Vietnamese text into words with a trained model.

    ``model`` is a path to a model file, the file's bytes, a loaded :class:`~tieng.Model`,
    the name of a model that ships with ``tieng`` (:data:`BUNDLED_MODELS`:
    ``"vlsp2013-unaccented"`` also reads text typed without diacritics), or ``None`` for the
    default one, ``"vlsp2013"``, which hands each text typed without diacritics to
    ``"vlsp2013-unaccented"`` (see :attr:`routing`).  A bundled name wins over a file of the
    same name in the working directory; write ``"./vlsp2013"`` for the file.  With
    ``pretokenized=True`` the input is taken as already tokenized: only white space separates
    tokens.  A
    :class:`~tieng.UserDictionary` adds words that are always joined, sequences that are
    never joined, and known words that the model weighs in context (see
    :meth:`with_dictionary`).

    Call it on a text for a :class:`~tieng.Segmented` result, or use :meth:`pipe` for many
    texts; :meth:`segment_text` and :meth:`pipe_text` give the underscore format alone, the
    fastest way.  A segmenter is safe to share between threads, and pickles as its model's
    name or path (or the model's bytes), so it travels cheaply to worker processes.

    >>> seg = Segmenter()
    >>> doc = seg("Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.")
    >>> doc.text
    'Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm .'
    >>> doc.words[0][:3]
    ('Thành phố', 0, 9)
    >>> seg.segment_text("Hà Nội có nhiều hồ")
    'Hà_Nội có nhiều hồ'
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes | Model | None = None,
        *,
        pretokenized: bool = False,
        dictionary: UserDictionary | None = None,
        tagger: Tagger | str | os.PathLike[str] | None = None,
        restorer: Restorer | str | os.PathLike[str] | None = None,
        parser: Parser | str | os.PathLike[str] | None = None,
    ) -> None:
        if dictionary is not None and not isinstance(dictionary, UserDictionary):
            raise TypeError(f"dictionary must be a UserDictionary, not {type(dictionary).__name__}")
        self.dictionary = dictionary
        # The part-of-speech tagger (tags=True): the bundled one, loaded on first use, unless
        # one is given.
        self._tagger = tagger if tagger is None or isinstance(tagger, Tagger) else Tagger(tagger)
        # The diacritics restorer (restore=True, and the words a model of text without
        # diacritics hands to the tagger): the bundled one unless one is given.
        # (the restorer's and the parser's modules load when one is given or first needed: a
        # dataclass each, a few milliseconds of every start otherwise)
        self._restorer: Restorer | None = None
        if restorer is not None:
            from .restoration import Restorer

            self._restorer = restorer if isinstance(restorer, Restorer) else Restorer(restorer)
        # The dependency parser (parse=True): the bundled one, loaded on first use.
        self._parser: Parser | None = None
        if parser is not None:
            from .parsing import Parser

            self._parser = parser if isinstance(parser, Parser) else Parser(parser)
        self.model, self.source = resolve_model(model)
        # A model that reads text without diacritics hands the tagger the words restored.
        self._reads_bare = self.model.spec.key_version >= UNACCENTED
        # The default segmenter sends text typed without diacritics to the model made for it
        # (loaded on first need); a model chosen by the caller reads everything.
        self._route = model is None
        self._unaccented: Segmenter | None = None
        # On the default route, the segmenter whose scores of the text restored join this
        # one's (set on the segmenter that routing sends text without diacritics to).
        self._partner: Segmenter | None = None
        self.pretokenized = bool(pretokenized)
        self._lock = threading.Lock()
        self._scorer = self._scoring_model()
        self._rules = self._matching_rules()
        self._line: Any = None  # the per-call path (kernels.Line), made on first use

    # -------------------------------------------------------------- identity
    def __reduce__(self):
        source = self.source or ModelSource(data=self.model.to_bytes())
        return (
            _rebuild,
            (
                source,
                self.pretokenized,
                self.dictionary,
                self._tagger,
                self._route,
                self._restorer,
                self._parser,
            ),
        )

    @property
    def routing(self) -> bool:
        """True for the default segmenter (``Segmenter()``): each text that looks typed
        without diacritics is read by ``"vlsp2013-unaccented"``, and each result says which
        model read it (:attr:`Segmented.model`).  A model given by name, path or object
        reads every text.

        >>> Segmenter().routing, Segmenter("vlsp2013").routing
        (True, False)
        >>> Segmenter()("Ha Noi co nhieu ho dep").model
        'vlsp2013-unaccented'
        """
        return self._route

    @property
    def tagger(self) -> Tagger:
        """The part-of-speech tagger that ``tags=True`` uses (loaded on first use)."""
        if self._tagger is None:
            self._tagger = default_tagger()
        return self._tagger

    @property
    def parser(self) -> Parser:
        """The dependency parser that ``parse=True`` uses (loaded on first use)."""
        if self._parser is None:
            from .parsing import default_parser

            self._parser = default_parser()
        return self._parser

    @property
    def restorer(self) -> Restorer:
        """The diacritics restorer that ``restore=True`` uses, and through which a model of
        text without diacritics hands its words to the tagger (loaded on first use)."""
        if self._restorer is None:
            from .restoration import default_restorer

            self._restorer = default_restorer()
        return self._restorer

    def __repr__(self) -> str:
        src = self.source.describe() if self.source else "<model>"
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
        new._line = None
        new._unaccented = None
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

    # -------------------------------------------------------------- public API
    def __call__(
        self,
        text: str,
        *,
        sentences: bool = False,
        confidence: bool = False,
        tags: bool = False,
        restore: bool = False,
        parse: bool = False,
    ) -> Segmented:
        """``text`` segmented: a :class:`~tieng.Segmented` with the underscore format, the
        words with their offsets, and, when asked for, the sentences (``sentences=True``:
        then the underscore text also puts each sentence on a line of its own, as
        ``tieng segment --sentences`` does), each word's confidence (``confidence=True``) and
        its part of speech (``tags=True``: :attr:`Word.tag`, and :attr:`Segmented.tagged`),
        the text with its diacritics restored (``restore=True``: :attr:`Segmented.restored`;
        the words still point at the text as written), and each word's head and relation in
        its sentence's dependency tree (``parse=True``, which implies ``sentences`` and
        ``tags``: :attr:`Word.head`, :attr:`Word.deprel`).

        >>> doc = Segmenter()("Trời mưa. Học sinh nghỉ học.", sentences=True)
        >>> [[w.text for w in s] for s in doc.sentences]
        [['Trời', 'mưa', '.'], ['Học sinh', 'nghỉ', 'học', '.']]
        >>> 0.5 < Segmenter()("Hà Nội", confidence=True).words[0].confidence <= 1
        True
        >>> Segmenter()("Học sinh nghỉ học.", tags=True).tagged
        'Học_sinh/N nghỉ/V học/V ./CH'
        """
        _scalar(text, "a Segmenter call")
        opts = _Options(False, sentences or parse, confidence, tags or parse, restore, parse)
        one = self._one(text, opts)
        return one if one is not None else next(self._run([text], _BATCH, opts))

    @overload
    def pipe(
        self,
        texts: Iterable[str],
        *,
        batch_size: int = ...,
        n_process: int = ...,
        sentences: bool = ...,
        confidence: bool = ...,
        tags: bool = ...,
        restore: bool = ...,
        parse: bool = ...,
    ) -> Iterator[Segmented]: ...
    @overload
    def pipe(
        self,
        texts: Iterable[str | None],
        *,
        batch_size: int = ...,
        n_process: int = ...,
        sentences: bool = ...,
        confidence: bool = ...,
        tags: bool = ...,
        restore: bool = ...,
        parse: bool = ...,
    ) -> Iterator[Segmented | None]: ...
    def pipe(
        self,
        texts: Iterable[str | None],
        *,
        batch_size: int = _BATCH,
        n_process: int = 1,
        sentences: bool = False,
        confidence: bool = False,
        tags: bool = False,
        restore: bool = False,
        parse: bool = False,
    ) -> Iterator[Segmented | None]:
        """Segment many texts; yields a :class:`~tieng.Segmented` for each, in order.

        Texts are analysed in batches of up to ``batch_size``.  ``n_process`` > 1 spreads the
        batches over that many worker processes (-1: one per available core); results still
        come in input order, and only a few batches are read ahead, so memory does not grow
        with the input.  Every option works with every ``n_process``.  A gap in a column
        (``None``, or a float NaN as pandas writes one) gives ``None``, as Spark keeps nulls;
        anything else that is not a string is a TypeError naming its position.

        >>> [doc.text for doc in Segmenter().pipe(["Hà Nội", "Sài Gòn"])]
        ['Hà_Nội', 'Sài_Gòn']
        >>> [doc and doc.text for doc in Segmenter().pipe(["Hà Nội", None])]
        ['Hà_Nội', None]
        """
        opts = _Options(False, sentences or parse, confidence, tags or parse, restore, parse)
        return self._pipe(texts, batch_size, n_process, opts)

    def segment_text(
        self,
        text: str,
        *,
        sentence_lines: bool = False,
        tags: bool = False,
        escape: bool = True,
        nfc: bool = False,
    ) -> str:
        """``text`` in the VLSP format: words separated by spaces, syllables joined by "_".

        The fast path: no word objects are made.  Each line of ``text`` gives one line of
        output, with its line ending kept (as in :attr:`Segmented.text`).  With
        ``sentence_lines=True`` every sentence goes on a line of its own; with ``tags=True``
        every word is followed by ``/`` and its part of speech (:attr:`Segmented.tagged`).

        PhoBERT and its kin read this format, but neither escapes nor Unicode forms: with
        ``escape=False`` a ``_`` or ``\\`` inside a token is written as it is (``bao_cao.docx``,
        not ``bao\\_cao.docx``: the output no longer reads back exactly), and with ``nfc=True``
        the output is in NFC, as PhoBERT's vocabulary is (the words' offsets then no longer
        index it: they are the input's, in :meth:`__call__`).

        >>> Segmenter().segment_text("Học sinh đi học.\\nTrời mưa to")
        'Học_sinh đi học .\\nTrời mưa to'
        >>> Segmenter().segment_text("Trời mưa to", tags=True)
        'Trời/N mưa/V to/A'
        >>> Segmenter().segment_text("Gửi file bao_cao.docx", escape=False)
        'Gửi file bao_cao.docx'
        """
        _scalar(text, "segment_text")
        opts = _Options(True, sentence_lines, False, tags)
        one = self._one(text, opts)
        out = one if one is not None else next(self._run([text], _BATCH, opts))
        return out if escape and not nfc else styled_text(out, escape=escape, nfc=nfc)

    @overload
    def pipe_text(
        self,
        texts: Iterable[str],
        batch_size: int = ...,
        *,
        sentence_lines: bool = ...,
        n_process: int = ...,
        tags: bool = ...,
        escape: bool = ...,
        nfc: bool = ...,
        parse: bool = ...,
    ) -> Iterator[str]: ...
    @overload
    def pipe_text(
        self,
        texts: Iterable[str | None],
        batch_size: int = ...,
        *,
        sentence_lines: bool = ...,
        n_process: int = ...,
        tags: bool = ...,
        escape: bool = ...,
        nfc: bool = ...,
        parse: bool = ...,
    ) -> Iterator[str | None]: ...
    def pipe_text(
        self,
        texts: Iterable[str | None],
        batch_size: int = _BATCH,
        *,
        sentence_lines: bool = False,
        n_process: int = 1,
        tags: bool = False,
        escape: bool = True,
        nfc: bool = False,
        parse: bool = False,
    ) -> Iterator[str | None]:
        """Like :meth:`segment_text` for many texts; yields one string per text, in order
        (``None`` for a gap in a column, as :meth:`pipe`).  With ``parse=True`` each string is
        the text's CoNLL-U (its sentences' words, tags, heads and relations, as ``tieng
        parse`` writes them; ``# sent_id`` numbers each text's sentences from 1).

        >>> list(Segmenter().pipe_text(["Hà Nội có nhiều hồ", "", None]))
        ['Hà_Nội có nhiều hồ', '', None]
        """
        if parse:
            return self._conllu(texts, batch_size, n_process)
        opts = _Options(True, sentence_lines, False, tags)
        out = self._pipe(texts, batch_size, n_process, opts)
        return out if escape and not nfc else (styled_text(t, escape=escape, nfc=nfc) for t in out)

    def _conllu(
        self, texts: Iterable[str | None], batch_size: int, n_process: int
    ) -> Iterator[str | None]:
        """:meth:`pipe_text` with ``parse=True``: the CoNLL-U of each text."""
        from .formats import conllu

        if isinstance(texts, str):
            raise TypeError("pipe_text takes many texts (a list, say); for one text, call "
                            "the segmenter")  # fmt: skip
        mine, theirs = tee(texts)
        docs = self.pipe(theirs, batch_size=batch_size, n_process=n_process, parse=True)
        for k, (text, doc) in enumerate(zip(mine, docs), 1):
            yield (
                None
                if doc is None or text is None
                else conllu(doc.sentences or [], text, "text", k)
            )

    # -------------------------------------------------------------- core
    def _one(self, text: str, opts: _Options) -> Any:
        """The per-call path: ``text``'s result from one compiled call (by the model routing
        chooses, and labelled with it), or ``None`` when the batch path must run instead (no
        compiled helpers, a user dictionary's rules, sentences asked for, a photo credit, a
        text of several lines or a long one).  Its output is the batch path's, byte for byte
        (tests/test_speedups.py checks it)."""
        if opts.restore or (
            self._route
            and isinstance(text, str)
            and not text.isprintable()  # (a printable text has no line break: cheaper first)
            and _has_line_break(text)
        ):
            return None  # (routed line by line, on the batch path)
        if self._route and isinstance(text, str) and reads_unaccented(text):
            other = self._unaccented_segmenter()
            one = other._one_model(text, opts)
            if one is None:
                one = next(other._run_model([text], _BATCH, opts))
            return self._labelled(one, UNACCENTED_MODEL)
        one = self._one_model(text, opts)
        return None if one is None else self._labelled(one, DEFAULT_MODEL_NAME)

    def _one_model(self, text: str, opts: _Options) -> Any:
        """:meth:`_one` by this segmenter's own model."""
        if opts.sentences or self._rules is not None or self._partner is not None:
            return None
        if not isinstance(text, str) or has_credit(text):
            return None
        line = self._line
        if line is None:
            line = self._line = self._make_line()
        if opts.confidence:
            mode = _SCORES  # confidences are made from the scores, as in a batch
        elif opts.tags:  # a stage after segmentation reads the words' offsets
            mode = _WORD_SPANS
        else:
            mode = _TEXT if opts.text_only else _WORDS
        with self._lock:  # the vocabulary's code cache is shared between threads
            out = line.run(text, mode)
        if out is None or mode == _TEXT:
            return out
        if mode == _WORDS:
            return Segmented(out[0], out[1])
        stages = self._stages(opts)
        # (a model of text without diacritics hands the tagger the text restored)
        view = self.restorer.restore(text) if opts.tags and self._reads_bare else None
        if mode == _WORD_SPANS:
            joined, words = out[0], out[1]
            if not words:
                return joined if opts.text_only else Segmented(joined, words, None, joined)
            pairs = np.frombuffer(out[2], np.int64).reshape(-1, 2)
            bounds = np.array([0, len(words)], np.int64)
            read = text if view is None else view
            tags = annotate(stages, read, pairs[:, 0], pairs[:, 1], bounds)["tags"]
            words, tagged = _accel.kernels.with_tags(words, joined, tags.values, tags.labels)
            return tagged if opts.text_only else Segmented(joined, words, None, tagged)
        starts = np.frombuffer(out[1], np.int64)
        scores = np.frombuffer(out[3], np.float32)
        batch = Batch(
            [text],
            text,
            starts,
            np.frombuffer(out[2], np.int64),
            starts,
            np.array([0, len(starts)], np.int64),
            scores > 0,
            scores,
            view=view,
        )
        return results_of(
            batch,
            calibration=self.model.calibration,
            confidence=True,
            layers=layers_of(batch, stages),
        )[0]

    def _stages(self, opts: _Options) -> list[Stage]:
        """The stages after segmentation that ``opts`` ask for (:mod:`tieng.stages`)."""
        stages: list[Stage] = [self.tagger] if opts.tags else []
        if opts.parse:
            stages.append(cast(Stage, self.parser))  # (a stage that reads the tags' layer)
        return stages

    def _make_line(self) -> Any:
        model = self._scorer
        classes = None if model.classes is None else np.ascontiguousarray(model.classes, np.int64)
        return _accel.kernels.Line(
            model.compiled_scorer(),
            model.vocabulary.code_table(),
            model.vocabulary._compute,
            *scan_settings(self.pretokenized),
            classes,
            model.bias,
            JOINABLE.astype(np.uint8),
            Word,
            WINDOW_CHARS,
            model.syllable_flags,
        )

    def _pipe(self, texts: Iterable[Any], batch_size: int, n_process: int, opts: _Options):
        if isinstance(texts, str):
            raise TypeError("pipe takes many texts (a list, say); for one text, call the segmenter")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if isinstance(texts, (list, tuple)) and len(texts) == 1 and isinstance(texts[0], str):
            # One text (the service's single-text request, say): the per-call path.
            one = self._one(texts[0], opts)
            if one is not None:
                return iter([one])
        gaps: deque[bool] = deque()  # for each text read: whether it was a gap (None, NaN)
        strings = _strings(texts, gaps)
        if _processes(n_process) > 1:
            results = self._parallel(strings, batch_size, n_process, opts)
        else:
            results = self._run(strings, batch_size, opts)
        return _with_gaps(results, gaps)

    def _unaccented_segmenter(self) -> Segmenter:
        """The segmenter that reads text typed without diacritics for this one (made on first
        need, with the same options, dictionary and tagger)."""
        other = self._unaccented
        if other is None:
            with self._lock:
                other = self._unaccented
                if other is None:
                    other = Segmenter(
                        UNACCENTED_MODEL,
                        pretokenized=self.pretokenized,
                        dictionary=self.dictionary,
                        tagger=self._tagger,
                        restorer=self._restorer,
                        parser=self._parser,
                    )
                    other._partner = self
                    self._unaccented = other
        return other

    def _labelled(self, out: Any, name: str) -> Any:
        """A result with the name of the model that read it (routing segmenters only)."""
        if self._route and isinstance(out, Segmented):
            out.model = name
        return out

    def _run(self, texts: Iterable[str], batch_size: int, opts: _Options) -> Iterator[Any]:
        """:meth:`_routed`, and with ``restore`` each result's text restored."""
        if not opts.restore:
            yield from self._routed(texts, batch_size, opts)
            return
        it = iter(texts)
        while chunk := list(islice(it, batch_size)):
            restored = self.restorer.restore_many(chunk)
            for out, text in zip(self._routed(chunk, batch_size, opts), restored):
                out.restored = text
                yield out

    def _routed(self, texts: Iterable[str], batch_size: int, opts: _Options) -> Iterator[Any]:
        """The result of every text, in order: with routing, each line typed without
        diacritics goes to the model made for it, the others to this segmenter's (one rule
        for the API, the service and the command line, which reads a line at a time).  A
        text whose lines all read alike goes to one model whole; one whose lines differ is
        read in runs of lines and put back together (its ``model`` names both)."""
        if not self._route:
            yield from self._run_model(texts, batch_size, opts)
            return
        it = iter(texts)
        while chunk := list(islice(it, batch_size)):
            # (a printable text has no line break: the cheap test first)
            if not any(
                isinstance(t, str) and not t.isprintable() and _has_line_break(t) for t in chunk
            ):
                yield from self._route_whole(chunk, batch_size, opts)  # (the common case)
                continue
            runs = [_line_runs(t) for t in chunk]  # (offset, piece, unaccented) of each text
            pieces = [r for text_runs in runs for r in text_runs]
            if not any(u for _, _, u in pieces):
                for out in self._run_model(chunk, batch_size, opts):
                    yield self._labelled(out, DEFAULT_MODEL_NAME)
                continue
            mine = self._run_model([p for _, p, u in pieces if not u], batch_size, opts)
            other = self._unaccented_segmenter()
            theirs = other._run_model([p for _, p, u in pieces if u], batch_size, opts)
            for text_runs in runs:
                parts = [(off, next(theirs) if u else next(mine), u) for off, _, u in text_runs]
                if len(parts) == 1:
                    name = UNACCENTED_MODEL if parts[0][2] else DEFAULT_MODEL_NAME
                    yield self._labelled(parts[0][1], name)
                    continue
                merged = merge_pieces([(off, "", out) for off, out, _ in parts], "", opts.text_only)
                yield self._labelled(merged, f"{DEFAULT_MODEL_NAME}+{UNACCENTED_MODEL}")

    def _route_whole(self, chunk: list[str], batch_size: int, opts: _Options) -> Iterator[Any]:
        """:meth:`_run` for a chunk of texts of one line each: each text to one model."""
        flags = [isinstance(t, str) and reads_unaccented(t) for t in chunk]
        if not any(flags):
            for out in self._run_model(chunk, batch_size, opts):
                yield self._labelled(out, DEFAULT_MODEL_NAME)
            return
        mine = self._run_model([t for t, f in zip(chunk, flags) if not f], batch_size, opts)
        other = self._unaccented_segmenter()
        theirs = other._run_model([t for t, f in zip(chunk, flags) if f], batch_size, opts)
        for f in flags:
            if f:
                yield self._labelled(next(theirs), UNACCENTED_MODEL)
            else:
                yield self._labelled(next(mine), DEFAULT_MODEL_NAME)

    def _run_model(self, texts: Iterable[str], batch_size: int, opts: _Options) -> Iterator[Any]:
        """The result of every text by this segmenter's model, in order, analysed in batches.

        A text with line breaks is analysed line by line, and a line longer than
        ``results.WINDOW_CHARS`` characters in windows (cut at sentence ends when it can be), so
        memory stays bounded however long a single text is; the pieces' results are put
        back together.
        """
        meta: deque[tuple[int, str | None, bool]] = deque()
        parts: list[tuple[int, str | None, Any]] = []
        sep = "\n" if opts.sentences else " "
        stages = self._stages(opts)
        for batch in self._batches(text_pieces(texts, meta), batch_size, opts, meta):
            layers = layers_of(batch, stages)
            if opts.text_only:
                outs: list[Any] = texts_of(batch, opts.sentences, layers.get("tags"))
            else:
                outs = results_of(
                    batch,
                    sentences=opts.sentences,
                    calibration=self.model.calibration,
                    confidence=opts.confidence,
                    layers=layers,
                )
            for out in outs:
                off, ending, last = meta.popleft()
                if last and ending is None and not parts:
                    yield out  # a whole text: nothing to put together
                    continue
                parts.append((off, ending, out))
                if last:
                    yield merge_pieces(parts, sep, opts.text_only)
                    parts = []

    def _batches(
        self,
        pieces: Iterable[str],
        batch_size: int,
        opts: _Options,
        meta: deque[tuple[int, str | None, bool]] | None = None,
    ) -> Iterator[Batch]:
        # A batch ends at ``batch_size`` texts, ``_BATCH`` pieces or ``_BATCH_CHARS``
        # characters, whichever comes first, so long texts do not pile up in one batch and
        # the lines of one text (``meta`` says where each text ends) share batches.
        chunk: list[str] = []
        size = texts = 0
        view = opts.tags and self._reads_bare
        for t in pieces:
            chunk.append(t)
            size += len(t)
            texts += meta is None or meta[-1][2]  # this piece ends a text
            if texts >= batch_size or len(chunk) >= _BATCH or size >= _BATCH_CHARS:
                yield self._analyze(chunk, opts.sentences, view)
                chunk, size, texts = [], 0, 0
        if chunk:
            yield self._analyze(chunk, opts.sentences, view)

    def _analyze(self, texts: list[str], sentences: bool = False, view: bool = False) -> Batch:
        """Tokenize, find sentences if asked, and score a batch of texts (no line breaks
        inside them but the ones the pieces keep); with ``view``, the stages after
        segmentation will read the texts with their diacritics restored."""
        big = _JOINER.join(texts)
        credit = has_credit(big)
        # The token strings are needed for sentences, credit lines and user dictionaries,
        # and by the Python code; otherwise the compiled helpers work on offsets alone.
        need_tokens = sentences or credit or self._rules is not None
        tokens: list[str] | None = None
        if need_tokens:
            tokens, gstarts, line_breaks = scan_arrays(big, self.pretokenized)
            gends = gstarts + np.fromiter(map(len, tokens), np.int64, len(tokens))
            with self._lock:  # the vocabulary's token caches are shared between threads
                codes = self.model.vocabulary.codes(tokens)
        else:
            gstarts, gends, line_breaks = scan_offsets(big, self.pretokenized)
            with self._lock:
                codes = self.model.vocabulary.codes_of_spans(big, gstarts, gends)
        n = len(codes)
        # Documents: offsets where each text starts in ``big``.
        doc_off = np.zeros(len(texts) + 1, np.int64)
        doc_off[1:] = np.cumsum(np.array(list(map(len, texts)), np.int64) + len(_JOINER))
        doc_bounds = np.append(np.searchsorted(gstarts, doc_off[:-1]), n).astype(np.int64)
        doc_of = np.repeat(np.arange(len(texts)), np.diff(doc_bounds))
        starts = gstarts - doc_off[doc_of]
        # A new sentence starts after every line break (texts are joined by one): at the
        # first token after it.
        breaks = np.zeros(n, dtype=bool)
        if n:
            breaks[0] = True
            if line_breaks:
                after = np.searchsorted(gstarts, np.array(line_breaks, np.int64), side="right")
                breaks[after[after < n]] = True
        sent = None
        if sentences or credit:
            assert tokens is not None
            space_before = np.ones(n, dtype=bool)
            space_before[1:] = gstarts[1:] != gends[:-1]
            for a, b in zip(doc_bounds[:-1].tolist(), doc_bounds[1:].tolist()):
                if sentences and b - a > 1:
                    for k in sentence_breaks(tokens[a:b], space_before[a:b].tolist()):
                        breaks[a + k] = True
                elif not sentences and b - a > 2 and has_credit(texts[int(doc_of[a])]):
                    for k in credit_breaks(tokens[a:b]):
                        breaks[a + k] = True
            if sentences:
                sent = breaks
        scores = self._scorer.join_scores(codes, breaks)
        restored = None
        if view or self._partner is not None:
            restored = _JOINER.join(self.restorer.restore_many(texts))
        if self._partner is not None:
            assert restored is not None
            scores = self._partner.with_scores_of(restored, gstarts, gends, breaks, scores)
        joins = scores > 0
        fixed = None
        if self._rules is not None:
            assert tokens is not None
            fixed = self._rules.apply(tokens, breaks, joins)
        return Batch(
            texts,
            big,
            gstarts,
            gends,
            starts,
            doc_bounds,
            joins,
            scores,
            sent,
            fixed,
            tokens,
            view=restored,
        )

    def with_scores_of(
        self,
        restored: str,
        gstarts: np.ndarray,
        gends: np.ndarray,
        breaks: np.ndarray,
        scores: np.ndarray,
    ) -> np.ndarray:
        """``scores`` (of text typed without diacritics, by the model made for it) averaged
        with this segmenter's scores of the same tokens in ``restored``, the text with its
        diacritics restored, ``PARTNER_WEIGHT`` to this one: the route for such text (docs/
        REPORT.md, "Restoring diacritics")."""
        with self._lock:
            codes = self.model.vocabulary.codes_of_spans(restored, gstarts, gends)
        mine = self._scorer.join_scores(codes, breaks)
        return (1.0 - PARTNER_WEIGHT) * scores + PARTNER_WEIGHT * mine

    def _parallel(
        self, texts: Iterable[str], batch_size: int, n_process: int, opts: _Options
    ) -> Iterator[Any]:
        def tasks():
            it = iter(texts)
            while chunk := list(islice(it, batch_size)):
                yield opts, chunk

        for results in ordered_map(
            _work, tasks(), jobs=_processes(n_process), setup=_same, setup_args=(self,)
        ):
            yield from results


def _line_runs(text: Any) -> list[tuple[int, str, bool]]:
    """The runs of consecutive lines of ``text`` that read alike (typed without diacritics,
    or not): each run's offset, its text (line endings included) and whether it reads
    unaccented.  A blank line goes with the run before it (or, first, the one after it); a
    text of one line, or whose lines all read alike, is one run."""
    if not isinstance(text, str):
        return [(0, text, False)]
    if not _has_line_break(text):
        return [(0, text, reads_unaccented(text))]
    lines = text.splitlines(keepends=True)
    flags = [reads_unaccented(line) if line.strip() else None for line in lines]
    known = [f for f in flags if f is not None]
    if len(set(known)) <= 1:
        return [(0, text, bool(known and known[0]))]
    last = known[0]
    runs: list[tuple[int, str, bool]] = []
    off = 0
    for line, flag in zip(lines, flags):
        flag = last if flag is None else flag
        last = flag
        if runs and runs[-1][2] == flag:
            runs[-1] = (runs[-1][0], runs[-1][1] + line, flag)
        else:
            runs.append((off, line, flag))
        off += len(line)
    return runs


def routed_model(text: str) -> str:
    r"""The model a routing segmenter reads ``text`` with: ``vlsp2013``,
    ``vlsp2013-unaccented``, or both, joined by ``+``, for a text whose lines differ.

    >>> routed_model("Hà Nội"), routed_model("Ha Noi co ho")
    ('vlsp2013', 'vlsp2013-unaccented')
    >>> routed_model("Hà Nội\nHa Noi co ho")
    'vlsp2013+vlsp2013-unaccented'
    """
    flags = {u for _, _, u in _line_runs(text)}
    if len(flags) > 1:
        return f"{DEFAULT_MODEL_NAME}+{UNACCENTED_MODEL}"
    return UNACCENTED_MODEL if flags == {True} else DEFAULT_MODEL_NAME


def _strings(texts: Iterable[Any], gaps: deque[bool]) -> Iterator[str]:
    """The strings of ``texts``; for each text read, ``gaps`` gets whether it was a gap in a
    column (``None``, or a float NaN as pandas writes a missing value), which yields no
    string.  Anything else is a TypeError that names its position."""
    for i, text in enumerate(texts):
        if isinstance(text, str):
            gaps.append(False)
            yield text
        elif text is None or (isinstance(text, float) and text != text):
            gaps.append(True)
        else:
            raise TypeError(
                f"text {i} is {type(text).__name__}, not a string (None passes through as None)"
            )


def _with_gaps(results: Iterator[Any], gaps: deque[bool]) -> Iterator[Any]:
    """``results`` (one a string of :func:`_strings`) with ``None`` put back where the gaps
    were, in input order."""
    for result in results:
        while gaps.popleft():
            yield None
        yield result
    while gaps:
        gaps.popleft()
        yield None


def _scalar(text: Any, call: str) -> None:
    """A clear TypeError for a call that takes one text and was given something else."""
    if isinstance(text, str):
        return
    if text is None:
        hint = " (pipe and pipe_text pass None through as None)"
    elif not isinstance(text, (bytes, bytearray)) and hasattr(text, "__iter__"):
        hint = " (for many texts, use pipe or pipe_text)"
    else:
        hint = ""
    raise TypeError(f"{call}: expected str, not {type(text).__name__}{hint}")


def _removed(name: str, replacement: str) -> property:
    """A name 0.3 removed: reading it raises an AttributeError that says what replaced it."""

    def gone(self: Segmenter) -> Any:
        raise AttributeError(
            f"Segmenter.{name} was removed in tieng 0.3; use {replacement} (see CHANGELOG.md)"
        )

    return property(gone)


for _name, _replacement in _REMOVED.items():
    setattr(Segmenter, _name, _removed(_name, _replacement))


def _processes(n: int) -> int:
    """Worker count for ``n_process``: -1 (or 0) means one per core this process may use."""
    return n if n > 0 else available_cores()


def _same(seg: Segmenter) -> Segmenter:
    return seg


def _work(seg: Segmenter, task: tuple[_Options, list[str]]) -> list[Any]:
    opts, texts = task
    return list(seg._run(texts, len(texts) or 1, opts))


def _rebuild(
    source: ModelSource,
    pretokenized: bool,
    dictionary: UserDictionary | None = None,
    tagger: Tagger | None = None,
    route: bool = False,
    restorer: Restorer | None = None,
    parser: Parser | None = None,
) -> Segmenter:
    model = Model.from_source(source)
    seg = Segmenter(
        model,
        pretokenized=pretokenized,
        dictionary=dictionary,
        tagger=tagger,
        restorer=restorer,
        parser=parser,
    )
    seg.source = source
    seg._route = route
    return seg


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


def segment(
    text: str,
    *,
    sentences: bool = False,
    confidence: bool = False,
    tags: bool = False,
    restore: bool = False,
    parse: bool = False,
) -> Segmented:
    """``text`` segmented with the bundled model (see :meth:`Segmenter.__call__`).

    >>> [w.text for w in segment("Hà Nội có nhiều hồ")]
    ['Hà Nội', 'có', 'nhiều', 'hồ']
    """
    return default_segmenter()(
        text, sentences=sentences, confidence=confidence, tags=tags, restore=restore, parse=parse
    )


def tag(text: str, *, sentences: bool = False, confidence: bool = False) -> Segmented:
    """``text`` segmented and tagged with the bundled models: ``segment(text, tags=True)``.

    >>> [(w.text, w.tag) for w in tag("Hà Nội có nhiều hồ")]
    [('Hà Nội', 'Np'), ('có', 'V'), ('nhiều', 'A'), ('hồ', 'N')]
    """
    return segment(text, sentences=sentences, confidence=confidence, tags=True)


def segment_text(
    text: str,
    *,
    sentence_lines: bool = False,
    tags: bool = False,
    escape: bool = True,
    nfc: bool = False,
) -> str:
    """``text`` in the VLSP format (words by spaces, syllables by "_"), with the bundled model
    (see :meth:`Segmenter.segment_text`).

    >>> segment_text("Tôi là sinh viên.")
    'Tôi là sinh_viên .'
    >>> segment_text("Tôi là sinh viên.", tags=True)
    'Tôi/P là/V sinh_viên/N ./CH'
    """
    return default_segmenter().segment_text(
        text, sentence_lines=sentence_lines, tags=tags, escape=escape, nfc=nfc
    )
