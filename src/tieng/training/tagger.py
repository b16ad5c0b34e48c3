"""Training a part-of-speech tagger from a corpus in the VLSP 2013 format (``word/TAG``).

The model is an averaged structured perceptron (Collins 2002): each training sentence is
tagged with the current weights (Viterbi over tag bigrams, :func:`tieng.tagging.decode`),
and where the tags are wrong the features of the right tags gain one and those of the wrong
ones lose one; the weights kept are the average over every step, rounded to 8-bit integers.
Sentences are visited in a seeded order, so the same corpus and settings give the same model.

A word's ambiguity class (the set of tags it took in training) is a strong feature, but
over-confident on the training sentences themselves; their classes come from the *other*
folds of the corpus (jackknifing), as the classes of new text come from all of it.

>>> sents = [[("Tôi", "P"), ("đi", "V"), ("học", "V")], [("Hà Nội", "Np"), ("đẹp", "A")]] * 20
>>> model = train_tagger(sents, epochs=2, bits=12)
>>> from tieng.tagging import Tagger
>>> Tagger(model).tag_words([["Tôi", "đi", "học"]])
[['P', 'V', 'V']]
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..tagging import (
    DEFAULT_TEMPLATES,
    Tagger,
    TaggerModel,
    _hash,
    _uncap,
    decode,
    word_key,
)
from .corpora import FormatError, read_sentences

__all__ = ["accuracy", "read_tagged", "train_tagger"]

log = logging.getLogger("tieng.training.tagger")

TaggedSentence = list[tuple[str, str]]  # (word as written, syllables by spaces; tag)
_MIN_SHARE = 0.05  # a tag is in a word's ambiguity class when it has this share of its uses


def read_tagged(
    paths: str | Path | Iterable[str | Path], format: str = "auto"
) -> list[TaggedSentence]:
    """Read tagged sentences: in the VLSP POS format (one a line, ``word/TAG`` tokens
    separated by white space, the syllables of a word joined by ``_``) or CoNLL-U (the XPOS
    column, else UPOS), told apart by content; words are returned with their syllables
    separated by spaces.  A file without tags, or with a token that is not ``word/TAG``,
    raises :class:`tieng.training.corpora.FormatError` naming the line.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("Hươu/N là/V loài/N vật/N được/V con_người/N thuần_dưỡng/V ./CH\\n")
    >>> read_tagged(f.name)[0][5:]
    [('con người', 'N'), ('thuần dưỡng', 'V'), ('.', 'CH')]
    >>> os.remove(f.name)
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[TaggedSentence] = []
    for path in paths:
        for n, sent in enumerate(read_sentences(path, format), 1):
            if any(tag is None for _, tag in sent):
                raise FormatError(
                    f"{path}: sentence {n} has words without tags: the tagger trains on "
                    "word/TAG tokens or CoNLL-U"
                )
            out.append([(w.replace("_", " "), tag) for w, tag in sent])  # type: ignore[misc]
    return out


def _class_name(counts: Counter[str]) -> str:
    total = sum(counts.values())
    return "|".join(sorted(t for t, c in counts.items() if c >= _MIN_SHARE * total))


def _classes(sentences: Sequence[TaggedSentence]) -> dict[str, str]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for s in sentences:
        for w, t in s:
            counts[word_key(w)][t] += 1
    return {k: _class_name(c) for k, c in counts.items()}


def train_tagger(
    sentences: Sequence[TaggedSentence],
    *,
    word_lists: Sequence[Iterable[str]] = (),
    epochs: int = 6,
    bits: int = 18,
    folds: int = 10,
    block: int = 300,
    seed: int = 0,
    templates: tuple[tuple[tuple[str, int], ...], ...] = DEFAULT_TEMPLATES,
    metadata: dict | None = None,
    dev: Sequence[TaggedSentence] = (),
    case_copies: float = 0.0,
    runs: int = 1,
) -> TaggerModel:
    """Train a tagger on ``sentences`` (lists of ``(word, tag)``).

    ``word_lists`` are outside word lists (entries with their syllables separated by spaces
    or ``_``): whether a word is in one is a feature.  ``bits`` sets the weight table's size
    (``2**bits`` rows of one byte per tag).  With ``dev`` sentences the accuracy on them is
    logged after each epoch.  ``case_copies`` adds that share of the sentences again in
    lower case, and the same share in ALL CAPS, so that the model also learns to tag text
    whose capitals say nothing (chat, titles).  ``runs`` trains that many times, each
    visiting the sentences in its own seeded order, and averages the results.
    """
    t0 = time.time()
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    sentences = [s for s in sentences if s]
    if not sentences:
        raise ValueError("no tagged sentences to train on")
    tags = sorted({t for s in sentences for _, t in s})
    if len(tags) > 255:
        raise ValueError(f"{len(tags)} tags; a tagger has at most 255")
    index = {t: i for i, t in enumerate(tags)}
    listed = sorted({_hash(word_key(w.replace("_", " "))) for lst in word_lists for w in lst})

    # Ambiguity classes: of all the corpus, and of the corpus but one fold (for that fold).
    fold_of = [(i // block) % folds for i in range(len(sentences))] if folds > 1 else None
    full = _classes(sentences)
    per_fold = []
    if fold_of is not None:
        for k in range(folds):
            per_fold.append(_classes([s for s, f in zip(sentences, fold_of) if f != k]))
    names = sorted(set(full.values()).union(*(set(d.values()) for d in per_fold)))
    originals = len(sentences)
    # Case copies come after the classes (which they would skew), in their originals' folds.
    if case_copies > 0:
        sentences, fold_of = _with_case_copies(sentences, fold_of, case_copies, seed)
    code = {name: i + 1 for i, name in enumerate(names)}

    def model_with(classes: dict[str, str], weights, transitions, scale=1.0) -> TaggerModel:
        words = sorted(classes)
        return TaggerModel(
            tags,
            weights,
            transitions,
            scale,
            words,
            np.array([code[classes[w]] for w in words], np.uint16),
            names,
            np.array(listed, np.uint32),
            templates,
            dict(metadata or {}),
        )

    k = len(tags)
    rows_total = 1 << bits
    blank = np.zeros((rows_total, k), np.int8), np.zeros((k + 1, k), np.int32)
    # Feature rows of every training word, each fold's with that fold's classes.
    groups = (
        [list(range(len(sentences)))]
        if fold_of is None
        else [[i for i, f in enumerate(fold_of) if f == g] for g in range(folds)]
    )
    feats: list[np.ndarray] = [np.zeros(0)] * len(sentences)
    for g, members in enumerate(groups):
        classes = full if fold_of is None else per_fold[g]
        _feature_rows(Tagger(model_with(classes, *blank)), sentences, members, feats)
    gold = [np.array([index[t] for _, t in s], np.int64) for s in sentences]
    log.info("features of %d sentences in %.0f s", len(sentences), time.time() - t0)

    def quantized(avg_w: np.ndarray, avg_a: np.ndarray) -> TaggerModel:
        top = float(np.abs(avg_w).max()) or 1.0
        scale = top / 127.0
        qw = np.clip(np.rint(avg_w / scale), -127, 127).astype(np.int8)
        qa = np.rint(avg_a / scale).astype(np.int32)
        return model_with(full, qw, qa, scale)

    # Each run visits the sentences in its own seeded order; the runs' averaged weights are
    # averaged in turn (less dependence on the order, as with more data).
    sum_w = np.zeros((rows_total, k), np.float64)
    sum_a = np.zeros((k + 1, k), np.float64)
    for run in range(runs):
        avg_w, avg_a = _perceptron(
            feats, gold, k, rows_total, epochs, seed + run, dev, quantized, t0, f"run {run + 1}: "
        )
        sum_w += avg_w
        sum_a += avg_a
    final = quantized(sum_w / runs, sum_a / runs)
    final.metadata.update(
        trained=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        sentences=originals,
        words=int(sum(len(s) for s in sentences[:originals])),
        epochs=epochs,
        runs=runs,
        bits=bits,
        word_lists=len(word_lists),
        case_copies=case_copies,
    )
    return final


def _with_case_copies(
    sentences: list[TaggedSentence], fold_of: list[int] | None, share: float, seed: int
) -> tuple[list[TaggedSentence], list[int] | None]:
    """The sentences with ``share`` of them again in lower case and as much in ALL CAPS (each
    copy in its original's fold), so that the model learns text whose capitals say nothing."""
    pick = np.random.default_rng(seed + 1)
    copies: list[TaggedSentence] = []
    copy_folds: list[int] = []
    for change in (str.lower, str.upper):
        chosen = np.flatnonzero(pick.random(len(sentences)) < share).tolist()
        copies += [[(change(w), t) for w, t in sentences[i]] for i in chosen]
        if fold_of is not None:
            copy_folds += [fold_of[i] for i in chosen]
    return sentences + copies, (None if fold_of is None else fold_of + copy_folds)


def _feature_rows(
    tagger: Tagger, sentences: list[TaggedSentence], members: list[int], feats: list[np.ndarray]
) -> None:
    """``feats[i]``: the feature rows of the words of sentence ``i``, for each of ``members``,
    as ``tagger`` (with its fold's ambiguity classes) sees them."""
    words = [w for i in members for w, _ in sentences[i]]
    bounds = np.zeros(len(members) + 1, np.int64)
    bounds[1:] = np.cumsum([len(sentences[i]) for i in members])
    attrs = tagger._attributes(words)
    _uncap(attrs, bounds)
    rows = tagger.model.feature_rows(attrs, bounds)
    for j, i in enumerate(members):
        feats[i] = rows[bounds[j] : bounds[j + 1]]


def _perceptron(feats, gold, k, rows_total, epochs, seed, dev, quantized, t0, label):
    """One run of the averaged perceptron: its averaged weights and transitions (float)."""
    w = np.zeros((rows_total, k), np.float32)
    w_sum = np.zeros_like(w)  # sum of step * update, for the average
    a = np.zeros((k + 1, k), np.float32)
    a_sum = np.zeros_like(a)
    step = 1
    rng = np.random.default_rng(seed)
    one = np.array([0, 1], np.int64)
    for epoch in range(epochs):
        errors = 0
        for i in rng.permutation(len(feats)).tolist():
            rows, y = feats[i], gold[i]
            pred = decode(rows, w, a, one * len(y)).astype(np.int64)
            wrong = np.flatnonzero(pred != y)
            if len(wrong):
                errors += len(wrong)
                r = rows[wrong]
                cols = r.shape[1]
                for sign, tag in ((1.0, y[wrong]), (-1.0, pred[wrong])):
                    flat = (r.astype(np.int64) * k + np.repeat(tag, cols).reshape(-1, cols)).ravel()
                    np.add.at(w.reshape(-1), flat, sign)
                    np.add.at(w_sum.reshape(-1), flat, sign * step)
                prev_y = np.concatenate([[k], y[:-1]])
                prev_p = np.concatenate([[k], pred[:-1]])
                diff = (prev_y != prev_p) | (y != pred)
                for sign, p, t in ((1.0, prev_y[diff], y[diff]), (-1.0, prev_p[diff], pred[diff])):
                    np.add.at(a, (p, t), sign)
                    np.add.at(a_sum, (p, t), sign * step)
            step += 1
        msg = f"{label}epoch {epoch + 1}: {errors} training words wrong"
        if dev:
            model = quantized(w - w_sum / step, a - a_sum / step)
            msg += f", dev accuracy {100 * accuracy(Tagger(model), dev):.2f}"
        log.info("%s (%.0f s)", msg, time.time() - t0)
    return (w - w_sum / step).astype(np.float64), (a - a_sum / step).astype(np.float64)


def accuracy(tagger: Tagger, sentences: Sequence[TaggedSentence]) -> float:
    """Share of the words of ``sentences`` that ``tagger`` tags as they are tagged."""
    got = tagger.tag_words([[w for w, _ in s] for s in sentences])
    right = total = 0
    for s, g in zip(sentences, got):
        right += sum(t == p for (_, t), p in zip(s, g))
        total += len(s)
    return right / total if total else 0.0
