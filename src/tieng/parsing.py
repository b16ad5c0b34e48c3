"""Dependency parsing: each word's head and relation (Universal Dependencies), from its words
and their tags.

Two models in one file.  An arc-hybrid transition parser reads a sentence left to right with
a stack: SHIFT, LEFT (the top of the stack takes the next word as its head) or RIGHT (it takes
the word under it), chosen by the sum of the 8-bit weight rows of hashed features of the
configuration (the words and tags on the stack and in the buffer, their children, distance);
every sentence gets a tree (one root, no cycle).  A labeller then gives each arc its relation
from features of the head, the dependent and their neighbours.  Trained with an averaged
perceptron and a dynamic oracle (:mod:`tieng.training.parser`).

>>> from tieng.training.parser import train_parser
>>> tree = [[("Tôi", "P", 2, "nsubj"), ("đi", "V", 0, "root"), ("học", "V", 2, "xcomp")]]
>>> parser = Parser(train_parser(tree * 20, epochs=3, bits=10, label_bits=8))
>>> parser.parse([["Tôi", "đi", "học"]], [["P", "V", "V"]])
[([2, 0, 2], ['nsubj', 'root', 'xcomp'])]

The model file is a tieng model file of ``kind: "parser"`` (:mod:`tieng.container`).  A parser
trained on the UD Vietnamese-VTB treebank is under CC BY-SA 4.0, as the treebank is.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _accel
from .container import ModelError, pack_file, read_arrays, unpack_file
from .registry import BUNDLED_PARSERS, ModelSource
from .stages import Layer

__all__ = [
    "BUNDLED_PARSERS",
    "Parser",
    "ParserModel",
    "Tree",
    "default_parser",
    "parse_segmented_docs",
]

DEFAULT_PARSER = "vtb-parser"

SHIFT, LEFT, RIGHT = 0, 1, 2
_NONE_W, _NONE_T = 7, 5  # the word and tag of an empty position
Tree = tuple[list[int], list[str]]  # heads (1-based in the sentence, 0: the root), relations


def word_hash(word: str) -> int:
    """A word's hash for the parser's features: of its lower case, syllables joined by ``_``."""
    return zlib.crc32("_".join(word.lower().split()).encode("utf-8", "surrogatepass")) + 11


def tag_hash(tag: str) -> int:
    return zlib.crc32(tag.encode("utf-8", "surrogatepass")) % 1_000_003 + 11


def _rows(values: list[tuple[int, ...]], bits: int) -> list[int]:
    """The weight row of each feature (its template is its place in ``values``), by the
    compiled helpers or their twin (:func:`tieng._pure.parser_rows`, the definition)."""
    return _accel.kernels.parser_rows(values, bits)


class _Sentence:
    """A sentence being parsed: its words' hashes and the arcs found so far."""

    def __init__(self, words: Sequence[str], tags: Sequence[str]) -> None:
        n = len(words)
        self.n = n
        self.w = [_NONE_W + 1] + [word_hash(x) for x in words]  # position 0: the root
        self.t = [_NONE_T + 1] + [tag_hash(x) for x in tags]
        self.heads = [-1] * (n + 1)
        self.left = [-1] * (n + 1)  # leftmost child
        self.right = [-1] * (n + 1)  # rightmost child
        self.n_left = [0] * (n + 1)
        self.n_right = [0] * (n + 1)

    def attach(self, d: int, h: int) -> None:
        self.heads[d] = h
        if d < h:
            self.n_left[h] += 1
            if self.left[h] == -1 or d < self.left[h]:
                self.left[h] = d
        else:
            self.n_right[h] += 1
            if d > self.right[h]:
                self.right[h] = d

    def features(self, stack: list[int], b: int, bits: int) -> list[int]:
        """The weight rows of the configuration's features."""
        w, t, n = self.w, self.t, self.n
        s0 = stack[-1] if stack else -1
        s1 = stack[-2] if len(stack) > 1 else -1
        s2 = stack[-3] if len(stack) > 2 else -1
        b0 = b if b <= n else -1
        b1 = b + 1 if b + 1 <= n else -1
        b2 = b + 2 if b + 2 <= n else -1

        def W(i: int) -> int:
            return w[i] if i >= 0 else _NONE_W

        def T(i: int) -> int:
            return t[i] if i >= 0 else _NONE_T

        s0l = self.left[s0] if s0 >= 0 else -1
        s0r = self.right[s0] if s0 >= 0 else -1
        s1r = self.right[s1] if s1 >= 0 else -1
        b0l = self.left[b0] if b0 >= 0 else -1
        d = min(b0 - s0, 6) if s0 >= 0 and b0 >= 0 else 0
        ws0, ts0, ws1, ts1, wb0, tb0 = W(s0), T(s0), W(s1), T(s1), W(b0), T(b0)
        tb1 = T(b1)
        return _rows(
            [
                (ws0,), (ts0,), (ws0, ts0), (ws1,), (ts1,), (ws1, ts1),
                (wb0,), (tb0,), (wb0, tb0), (W(b1),), (tb1,), (W(b1), tb1), (T(b2),),
                (T(s2),), (ws0, wb0), (ts0, tb0), (ts0, wb0), (ws0, tb0),
                (ws0, ts0, tb0), (ts0, wb0, tb0), (ts1, ts0), (ts1, ts0, tb0),
                (ts0, tb0, tb1), (tb0, tb1, T(b2)), (T(s2), ts1, ts0),
                (ws1, ws0), (ts1, ws0), (ws1, ts0),
                (ts0, T(s0l), tb0), (ts0, T(s0r), tb0), (ts1, T(s1r), ts0), (ts0, tb0, T(b0l)),
                (d, ts0, tb0), (d, ws0), (d, wb0),
                (ts0, self.n_left[s0] if s0 >= 0 else 9, self.n_right[s0] if s0 >= 0 else 9),
                (tb0, self.n_left[b0] if b0 >= 0 else 9),
                (wb0, W(b1)), (tb0, W(b1)), (ws0, W(s0r)), (wb0, W(b0l)),
                (),
            ],
            bits,
        )  # fmt: skip

    def label_features(self, d: int, bits: int) -> list[int]:
        """The weight rows of the features of the arc into word ``d``."""
        w, t, h = self.w, self.t, self.heads[d]
        right = 1 if d > h else 0
        dist = min(abs(d - h), 6) if h > 0 else 7
        gp = self.heads[h] if h > 0 else -1
        tp = t[d - 1] if d > 1 else _NONE_T
        tn = t[d + 1] if d < self.n else _NONE_T
        th, td = t[h] if h >= 0 else _NONE_T, t[d]
        fl = self.left[d]
        fr = self.right[d]
        return _rows(
            [
                (w[d],), (td,), (w[h] if h >= 0 else _NONE_W,), (th,), (th, td), (th, td, right),
                (w[h] if h >= 0 else _NONE_W, td), (th, w[d]), (w[d], right), (dist, th, td),
                (td, t[gp] if gp >= 0 else _NONE_T, th), (td, tp), (td, tn), (td, tp, tn),
                (td, t[fl] if fl >= 0 else _NONE_T), (td, t[fr] if fr >= 0 else _NONE_T),
                (td, self.n_left[d], self.n_right[d]), (w[d], th, right), (int(h == 0), td), (),
            ],
            bits,
        )  # fmt: skip


def legal(stack: list[int], b: int, n: int) -> tuple[bool, bool, bool]:
    """Which of SHIFT, LEFT, RIGHT the configuration allows (the root stays at the bottom)."""
    s0 = stack[-1] if stack else 0
    return b <= n, s0 > 0 and b <= n, len(stack) >= 2 and s0 > 0


def apply(sent: _Sentence, stack: list[int], b: int, move: int) -> int:
    """Make ``move``; the new buffer front."""
    if move == SHIFT:
        stack.append(b)
        return b + 1
    d = stack.pop()
    sent.attach(d, b if move == LEFT else stack[-1])
    return b


def one_root(heads: list[int]) -> None:
    """The first word attached to the root stays its only child; later ones hang from it."""
    roots = [d for d in range(1, len(heads)) if heads[d] == 0]
    for d in roots[1:]:
        heads[d] = roots[0]


@dataclass
class ParserModel:
    """What a trained parser knows: ``weights`` rows of three transition scores (int8, times
    ``scale``), ``label_weights`` rows of one score per relation in ``labels``."""

    labels: list[str]
    weights: np.ndarray
    label_weights: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    move_temperature: float = 1.0  # the confidences' temperatures (scripts/parser_dev.py)
    label_temperature: float = 1.0

    def __post_init__(self) -> None:
        self.weights = np.ascontiguousarray(self.weights)
        self.label_weights = np.ascontiguousarray(self.label_weights)
        rows, lrows = len(self.weights), len(self.label_weights)
        if self.weights.ndim != 2 or self.weights.shape[1] != 3 or rows < 2 or rows & (rows - 1):
            raise ModelError(f"parser weights of shape {self.weights.shape}")
        k = len(self.labels)
        if not 1 <= k <= 1000 or len(set(self.labels)) != k or "root" not in self.labels:
            raise ModelError("parser labels: distinct, at most 1000, with 'root'")
        if (
            self.label_weights.ndim != 2
            or self.label_weights.shape[1] != k
            or lrows < 2
            or (lrows & (lrows - 1))
        ):
            raise ModelError(f"label weights of shape {self.label_weights.shape} for {k} labels")
        for t in (self.move_temperature, self.label_temperature):
            if not (isinstance(t, float) and 0.01 <= t <= 10_000):
                raise ModelError(f"parser temperature {t!r}")
        self.bits = rows.bit_length() - 1
        self.label_bits = lrows.bit_length() - 1
        self.metadata = dict(self.metadata or {})
        self._root = self.labels.index("root")

    def to_bytes(self) -> bytes:
        """The model in the tieng model file format (``kind: "parser"``); the weights are
        stored compressed (most are 0)."""
        arrays = {
            "weights": np.frombuffer(zlib.compress(self.weights.astype(np.int8).tobytes(), 9),
                                     np.uint8),
            "label_weights": np.frombuffer(
                zlib.compress(self.label_weights.astype(np.int8).tobytes(), 9), np.uint8
            ),
        }  # fmt: skip
        fields = {
            "kind": "parser",
            "metadata": self.metadata,
            "labels": self.labels,
            "shapes": [list(self.weights.shape), list(self.label_weights.shape)],
            "temperatures": [self.move_temperature, self.label_temperature],
        }
        return pack_file(fields, arrays)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` atomically."""
        from .files import write_atomically

        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, source: str = "<bytes>") -> ParserModel:
        """Parse and check a parser model file's contents; raises :class:`ModelError`."""
        try:
            _, header, payload = unpack_file(memoryview(data), source)
            if header.get("kind", "segmenter") != "parser":
                raise ModelError(f"{source}: a {header.get('kind')} model, not a parser model")
            arrays = read_arrays(
                header.get("arrays"),
                payload,
                {"weights": ("|u1",), "label_weights": ("|u1",)},
                source,
            )
            labels, shapes = header.get("labels"), header.get("shapes")
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise ModelError(f"{source}: corrupt parser model (labels)")
            if not (isinstance(shapes, list) and len(shapes) == 2):
                raise ModelError(f"{source}: corrupt parser model (shapes)")
            unpacked = []
            for name, shape in zip(("weights", "label_weights"), shapes):
                if not (
                    isinstance(shape, list)
                    and len(shape) == 2
                    and all(isinstance(x, int) and 0 < x <= 1 << 26 for x in shape)
                ):
                    raise ModelError(f"{source}: corrupt parser model (shapes)")
                size = shape[0] * shape[1]
                z = zlib.decompressobj()
                raw = z.decompress(arrays[name].tobytes(), size + 1)
                if len(raw) != size or not z.eof:
                    raise ModelError(f"{source}: corrupt parser model ({name} do not unpack)")
                unpacked.append(np.frombuffer(raw, np.int8).reshape(shape))
            metadata = header.get("metadata", {})
            if not isinstance(metadata, dict):
                raise ModelError(f"{source}: corrupt parser model (metadata)")
            temps = header.get("temperatures", [1.0, 1.0])
            if not (isinstance(temps, list) and len(temps) == 2):
                raise ModelError(f"{source}: corrupt parser model (temperatures)")
            return cls(labels, unpacked[0], unpacked[1], metadata, temps[0], temps[1])
        except ModelError as e:
            if str(e).startswith(source):
                raise
            raise ModelError(f"{source}: corrupt parser model ({e})") from None
        except (ValueError, TypeError, KeyError, zlib.error) as e:
            raise ModelError(f"{source}: corrupt parser model file ({e})") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ParserModel:
        """Load a parser model file; raises :class:`ModelError` if it is unusable."""
        return cls.from_bytes(*ModelSource(path=os.fspath(path)).read())

    # ------------------------------------------------------------- parsing
    def parse_one(self, words: Sequence[str], tags: Sequence[str]) -> Tree:
        """The tree of one sentence: each word's head (0: the root) and relation."""
        heads, rels, _ = self.parse_scored(words, tags)
        return heads, rels

    def parse_scored(
        self, words: Sequence[str], tags: Sequence[str]
    ) -> tuple[list[int], list[str], list[float]]:
        """:meth:`parse_one`, with each arc's confidence: the probability of the move that
        made it among those the parser could make then, times that of its relation (softmaxes
        of the integer scores divided by the model's temperatures, fitted on held-out trees);
        halved for a word the one-root rule moved."""
        n = len(words)
        if n == 0:
            return [], [], []
        sent = _Sentence(words, tags)
        stack, b = [0], 1
        weights, bits = self.weights, self.bits
        p_move = [1.0] * (n + 1)
        while not (b > n and len(stack) == 1):
            scores = weights[sent.features(stack, b, bits)].sum(axis=0, dtype=np.int32)
            ok = legal(stack, b, n)
            allowed = [m for m in (SHIFT, LEFT, RIGHT) if ok[m]]
            move = max(allowed, key=scores.__getitem__)
            if move != SHIFT:
                z = np.exp((scores[allowed] - scores[move]) / self.move_temperature)
                p_move[stack[-1]] = float(1.0 / z.sum())
            b = apply(sent, stack, b, move)
        heads = sent.heads
        roots = [d for d in range(1, n + 1) if heads[d] == 0]
        one_root(heads)
        for d in roots[1:]:
            p_move[d] *= 0.5
        rels, p_label = self._labels(sent)
        return heads[1:], rels, [p_move[d] * p_label[d - 1] for d in range(1, n + 1)]

    def label(self, sent: _Sentence) -> list[str]:
        """The relation of each word's arc (its head found): the root's is ``root``."""
        return self._labels(sent)[0]

    def _labels(self, sent: _Sentence) -> tuple[list[str], list[float]]:
        """Each arc's relation and its probability (the root's: 1)."""
        n = sent.n
        rows = np.array([sent.label_features(d, self.label_bits) for d in range(1, n + 1)])
        scores = self.label_weights[rows].sum(axis=1, dtype=np.int32)
        heads = np.array(sent.heads[1:])
        root = heads == 0
        scores[:, self._root] = np.where(root, 1 << 30, -(1 << 30))
        best = scores.argmax(axis=1)
        top = scores[np.arange(n), best][:, None]
        z = np.exp(np.maximum(scores - top, -(1 << 20)) / self.label_temperature)
        return [self.labels[k] for k in best.tolist()], (1.0 / z.sum(axis=1)).tolist()


class Parser:
    """Parses tagged sentences into dependency trees: the stage after tagging
    (:mod:`tieng.stages`; ``parse=True`` of a segmenter).

    ``model`` is a bundled parser's name (``"vtb-parser"``, the default), a path to a parser
    model file, its bytes, or a :class:`ParserModel`; loaded at the first call.  The object
    pickles as its model's name or path (cheap for worker processes).
    """

    name = "parse"  # the stage's option and field
    reads = ("tags",)  # the stages it reads

    def __init__(self, model: str | os.PathLike[str] | bytes | ParserModel | None = None) -> None:
        if model is None:
            model = DEFAULT_PARSER
        if isinstance(model, ParserModel):
            self._source: ModelSource | None = None
            self._model: ParserModel | None = model
        else:
            self._source = ModelSource.of(model, BUNDLED_PARSERS, "ParserModel")
            self._model = None
        self._lock = threading.Lock()

    def __reduce__(self):
        if self._source is None:
            return (Parser, (self.model,))
        return (_rebuild, (self._source,))

    @property
    def labels(self) -> list[str]:
        """The relations the parser gives."""
        return self.model.labels

    def annotate(
        self,
        text: str,
        starts: np.ndarray,
        ends: np.ndarray,
        bounds: np.ndarray,
        layers: dict[str, Layer],
    ) -> Layer:
        """The stage's work: the words ``text[starts[i]:ends[i]]``, sentence by sentence
        (``bounds``), with the tags of ``layers["tags"]``: each word's relation (an index of
        :attr:`labels`) and head."""
        model = self.model
        tags = layers["tags"].names()
        words = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        heads = np.zeros(len(words), np.int64)
        values = np.zeros(len(words), np.int64)
        confidence = np.ones(len(words))
        index = {r: i for i, r in enumerate(model.labels)}
        cuts = bounds.tolist()
        for a, b in zip(cuts[:-1], cuts[1:]):
            hs, rs, cs = model.parse_scored(words[a:b], tags[a:b])
            heads[a:b] = hs
            values[a:b] = [index[r] for r in rs]
            confidence[a:b] = cs
        return Layer(values, model.labels, heads, confidence)

    @property
    def model(self) -> ParserModel:
        """The parser's model (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    assert self._source is not None
                    self._model = ParserModel.from_bytes(*self._source.read())
        return self._model

    def __repr__(self) -> str:
        return f"Parser({self._source.describe() if self._source else '<model>'!r})"

    def parse(
        self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
    ) -> list[Tree]:
        """The tree of each sentence (its words and their tags): every word's head, 1-based in
        its sentence (0: the root), and its relation; one root, no cycle."""
        if len(sentences) != len(tags):
            raise ValueError("one list of tags a sentence")
        model = self.model
        out = []
        for words, ts in zip(sentences, tags):
            if len(words) != len(ts):
                raise ValueError("one tag a word")
            out.append(model.parse_one(words, ts))
        return out


def parse_segmented_docs(docs: list[Any], parser: Parser) -> list[Any]:
    """Tagged results of given words (:func:`tieng.tagging.tag_segmented`, one sentence a
    result) with each word's head and relation; their words as the treebank writes them
    (syllables by spaces)."""
    words = [[" ".join(w.text.replace("_", " ").split()) for w in d.words] for d in docs]
    trees = parser.parse(words, [[w.tag for w in d.words] for d in docs])
    out = []
    for d, (heads, rels) in zip(docs, trees):
        ws = [w._replace(head=h, deprel=r) for w, h, r in zip(d.words, heads, rels)]
        out.append(type(d)(d.text, ws, d.sentences, d.tagged, d.model, d.restored))
    return out


def _rebuild(source: ModelSource) -> Parser:
    p = Parser.__new__(Parser)
    p._source, p._model = source, None
    p._lock = threading.Lock()
    return p


_default: Parser | None = None
_default_lock = threading.Lock()


def default_parser() -> Parser:
    """The shared parser with the bundled model (loaded at its first call)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Parser()
    return _default
