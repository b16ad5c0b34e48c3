"""Training a dependency parser (:class:`tieng.ParserModel`) from a treebank.

The transitions are learned with an averaged perceptron and the dynamic oracle of the
arc-hybrid system (Goldberg and Nivre, 2013): at each step the best move that loses no gold
arc reachable from the configuration is the answer, and after the first epoch the parser
follows its own choice nine times in ten, so that it learns to recover from its mistakes.
The relations are learned by a second averaged perceptron over the gold arcs.  Weights are
stored in 8 bits.
"""

from __future__ import annotations

import datetime as _dt
import logging
import random
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..parsing import LEFT, RIGHT, SHIFT, ParserModel, _Sentence, apply, legal
from .corpora import conllu_sentences

__all__ = ["attachment_scores", "read_conllu", "train_parser"]

log = logging.getLogger("tieng.training")
TreeWord = tuple[str, str, int, str]  # form, tag, head, relation


def read_conllu(path: str, tag_column: int = 4) -> list[list[TreeWord]]:
    """The trees of a CoNLL-U file as (form, tag, head, relation) tuples (read by
    :func:`tieng.training.corpora.conllu_sentences`); ``tag_column`` 4 is XPOS, 3 UPOS."""
    with open(path, encoding="utf-8-sig") as f:
        return [
            [(c[1], c[tag_column], int(c[6]) if c[6] != "_" else 0, c[7]) for c in words]
            for words in conllu_sentences(f, path)
        ]


def _costs(stack: list[int], b: int, n: int, gold: list[int], heads: list[int]) -> list[int]:
    """The dynamic oracle: how many gold arcs each of SHIFT, LEFT, RIGHT makes unreachable."""
    s0 = stack[-1] if stack else -1
    s1 = stack[-2] if len(stack) > 1 else -1
    big = 1 << 30
    buffer = range(b, n + 1)
    shift = left = right = big
    if b <= n:
        shift = sum(1 for k in stack if k != s0 and gold[b] == k) + sum(
            1 for d in stack if d > 0 and gold[d] == b and heads[d] == -1
        )
    if s0 > 0 and b <= n:
        left = (
            (1 if s1 >= 0 and gold[s0] == s1 else 0)
            + sum(1 for d in buffer if gold[d] == s0)
            + sum(1 for k in buffer if k != b and gold[s0] == k)
        )
    if s0 > 0 and s1 >= 0:
        right = sum(1 for k in buffer if gold[s0] == k) + sum(1 for d in buffer if gold[d] == s0)
    return [shift, left, right]


def train_parser(
    sentences: Sequence[Sequence[TreeWord]],
    *,
    epochs: int = 8,
    bits: int = 18,
    label_bits: int = 16,
    explore: float = 0.9,
    seed: int = 0,
    metadata: dict | None = None,
    dev: Sequence[Sequence[TreeWord]] = (),
    progress: Callable[[str], None] | None = None,
) -> ParserModel:
    """Train a parser on ``sentences`` of (form, tag, head, relation) words (heads 1-based,
    0 the root).  ``bits`` and ``label_bits`` size the two weight tables (rows of 3 and of one
    score per relation).  With ``dev`` sentences their attachment scores are logged after
    each epoch."""
    t0 = time.time()
    say = progress or log.info
    sentences = [s for s in sentences if s]
    if not sentences:
        raise ValueError("no trees to train on")
    labels = sorted({r for s in sentences for *_, r in s} | {"root"})
    index = {r: i for i, r in enumerate(labels)}
    w = np.zeros((1 << bits, 3), np.float32)
    u = np.zeros_like(w)
    lw = np.zeros((1 << label_bits, len(labels)), np.float32)
    lu = np.zeros_like(lw)
    step = 1.0
    rng = random.Random(seed)
    order = list(range(len(sentences)))
    for epoch in range(epochs):
        rng.shuffle(order)
        wrong = 0
        for i in order:
            s = sentences[i]
            n = len(s)
            gold = [0] + [h for _, _, h, _ in s]
            sent = _Sentence([x[0] for x in s], [x[1] for x in s])
            stack, b = [0], 1
            while not (b > n and len(stack) == 1):
                rows = sent.features(stack, b, bits)
                scores = w[rows].sum(axis=0)
                ok = legal(stack, b, n)
                moves = [m for m in (SHIFT, LEFT, RIGHT) if ok[m]]
                costs = _costs(stack, b, n, gold, sent.heads)
                best = max(moves, key=scores.__getitem__)
                least = min(costs[m] for m in moves)
                answer = max((m for m in moves if costs[m] == least), key=scores.__getitem__)
                if costs[best] > least:
                    wrong += 1
                    w[rows, answer] += 1
                    w[rows, best] -= 1
                    u[rows, answer] += step
                    u[rows, best] -= step
                follow = best if epoch > 0 and rng.random() < explore else answer
                b = apply(sent, stack, b, follow)
            # The labeller learns on the gold arcs.
            gsent = _Sentence([x[0] for x in s], [x[1] for x in s])
            for d in range(1, n + 1):
                gsent.attach(d, gold[d])
            for d in range(1, n + 1):
                rows = gsent.label_features(d, label_bits)
                y = index[s[d - 1][3]]
                p = int(lw[rows].sum(axis=0).argmax())
                if p != y:
                    lw[rows, y] += 1
                    lw[rows, p] -= 1
                    lu[rows, y] += step
                    lu[rows, p] -= step
            step += 1
        msg = f"epoch {epoch + 1}: {wrong} wrong moves"
        if dev:
            trial = _quantized(labels, w - u / step, lw - lu / step, metadata)
            uas, las = attachment_scores(trial, dev)
            msg += f", dev UAS {uas:.2f} LAS {las:.2f}"
        say(f"{msg} ({time.time() - t0:.0f} s)")
    model = _quantized(labels, w - u / step, lw - lu / step, metadata)
    model.metadata.update(
        trained=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        sentences=len(sentences),
        words=sum(len(s) for s in sentences),
        epochs=epochs,
        bits=bits,
        label_bits=label_bits,
    )
    return model


def _quantized(labels, w, lw, metadata) -> ParserModel:
    def q(x: np.ndarray) -> np.ndarray:
        top = float(np.abs(x).max()) or 1.0
        return np.clip(np.rint(x * (127.0 / top)), -127, 127).astype(np.int8)

    return ParserModel(labels, q(w), q(lw), dict(metadata or {}))


def attachment_scores(
    model: ParserModel, sentences: Sequence[Sequence[TreeWord]]
) -> tuple[float, float]:
    """UAS and LAS (in %) of ``model`` on ``sentences``, with their words and tags given."""
    right = labelled = total = 0
    for s in sentences:
        heads, rels = model.parse_one([x[0] for x in s], [x[1] for x in s])
        for (_, _, h, r), ph, pr in zip(s, heads, rels):
            right += ph == h
            labelled += ph == h and pr == r
        total += len(s)
    return 100.0 * right / max(total, 1), 100.0 * labelled / max(total, 1)
