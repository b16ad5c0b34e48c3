"""Training a segmentation model from a corpus in the VLSP 2013 format.

The model is an L2-regularized logistic regression over the gap features of
:mod:`tieng.engine.features`, fitted with full-batch L-BFGS (deterministic: the same corpus and
settings give the same model).  Lexicon features of training sentences come from the words of
the *other* folds (jackknifing), so the model learns how much to trust the lexicon on words it
has not seen, as at test time.

Needs ``scipy`` (``pip install 'tieng[train]'``).
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..engine.features import NGRAMS, FeatureSpec, Shape, SyllableFlag
from ..engine.vocabulary import UNKNOWN, Vocabulary, is_syllable
from ..model import Model
from ..normalization import KEY_VERSION, canonical_key
from .corpora import read_sentences

__all__ = ["TrainConfig", "read_corpus", "read_word_list", "sentence_tokens", "split_dev", "train"]

log = logging.getLogger("tieng.training")

Sentence = list[str]  # words, syllables joined by "_"
T = TypeVar("T")


def read_corpus(paths: str | Path | Iterable[str | Path], format: str = "auto") -> list[Sentence]:
    """Read segmented sentences: lists of words, the syllables of a word joined by ``_``.

    Each file is in the VLSP word-segmentation format (one sentence a line, words separated
    by spaces), the VLSP POS format (``word/TAG``: the tags are dropped) or CoNLL-U, told
    apart by content (``format="auto"``) or as ``format`` says; unsegmented text and
    anything else raise :class:`tieng.training.corpora.FormatError` (see
    :func:`tieng.training.corpora.read_sentences`).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Sentence] = []
    for path in paths:
        out += [[w for w, _ in s] for s in read_sentences(path, format)]
    return out


def read_word_list(path: str | Path) -> list[list[str]]:
    """Read an outside word list: one entry a line, its syllables separated by spaces or "_".

    Blank lines and lines starting with ``#`` are skipped.  Returns each entry as its list of
    syllables (one-syllable entries included; the model uses those of 2 or more).
    """
    out: list[list[str]] = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            out.append(line.replace("_", " ").split())
    return out


def lower_copies(sentences: Sequence[Sentence], percent: float, seed: int = 29) -> list[int]:
    """The indices of ``percent`` of ``sentences`` (chosen by a seeded hash of the index), to
    be added again in lower case: text typed without capitals then looks like something the
    model has seen (and so do headings in capitals or in Title Case, which the model reads as
    lower case; see ``model._uncap``).

    Sentences with a foreign word (letters not shaped like a Vietnamese syllable) are not
    chosen: in lower case, the foreign names they join (``george_bush``) would teach the
    model to join lower-case English words (``this_weekend``).

    >>> len(lower_copies([["Hà_Nội", "mưa"]] * 1000, 5.0))
    50
    >>> lower_copies([["Tổng_thống", "George_Bush"]] * 100, 50.0)
    []
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100, not {percent}")

    def native(sentence: Sentence) -> bool:
        return all(is_syllable(p) or not p.isalpha() for w in sentence for p in w.split("_"))

    n = len(sentences)
    keys = [zlib.crc32(f"{seed}:{i}".encode()) for i in range(n)]
    order = sorted(range(n), key=lambda i: (keys[i], i))
    want = round(n * percent / 100)
    return sorted([i for i in order if native(sentences[i])][:want])


SENTENCE_ENDS = (".", "!", "?", "…", "...")
SMALL_CORPUS = 1000  # tokens: fewer, and train() warns


def syllable_flags(
    vocab: Vocabulary,
    sentences: Iterable[Sentence],
    *,
    family: Iterable[str] = (),
    middle: Iterable[str] = (),
    openers: Iterable[str] = (),
    min_count: int = 500,
    max_edge_share: float = 0.002,
    min_name_share: float = 0.5,
    min_name_count: int = 20,
) -> np.ndarray:
    """The :class:`~tieng.engine.features.SyllableFlag` byte of every vocabulary id.

    ``family``, ``middle`` and ``openers``: one-syllable entries of name lists (Vietnamese
    family names, middle names, and the words capitalized mostly because they open a
    sentence), read as the vocabulary reads them.  A family name is kept only if, capitalized
    within a sentence of ``sentences``, is seen at least ``min_name_count`` times and begins a
    capitalized word of three syllables or more (a person's name) at least ``min_name_share``
    of the time: many family names are common words too (``Hà``, ``Từ``, ``Cao``), which in
    a heading would start false names.  Unglued: the syllables (of letters) seen
    at least ``min_count`` times in ``sentences`` (segmented: lists of words, syllables joined
    by ``_``) of which at most ``max_edge_share`` of the occurrences begin or end a word of
    several syllables (``và``, ``các``, ``đã`` in VLSP 2013).  The sentence-final marks get
    ``SENTENCE_END``.

    >>> vocab = Vocabulary(["và", "hà", "nội", "bà", "."])
    >>> f = syllable_flags(vocab, [["Bà", "và", "Hà_Nội", "."]] * 3, openers=["bà"], min_count=3)
    >>> [int(f[i]) for i in vocab.codes(["và", "Bà", "hà", "."]) // Shape.COUNT]
    [8, 12, 0, 16]
    """
    flags = np.zeros(len(vocab), np.uint8)

    def ids(entries: Iterable[str]) -> np.ndarray:
        found = vocab.codes([e.strip() for e in entries if e.strip()]) // Shape.COUNT
        return found[found > UNKNOWN]

    flags[ids(middle)] |= SyllableFlag.MIDDLE
    flags[ids(openers)] |= SyllableFlag.OPENER
    flags[ids(SENTENCE_ENDS)] |= SyllableFlag.SENTENCE_END
    total: Counter[str] = Counter()
    edge: Counter[str] = Counter()
    capital: Counter[str] = Counter()  # capitalized, not opening the sentence
    names: Counter[str] = Counter()  # beginning a capitalized word of 3+ syllables
    for sentence in sentences:
        for k, word in enumerate(sentence):
            parts = word.split("_")
            total.update(parts)
            if len(parts) > 1:
                edge[parts[0]] += 1
                edge[parts[-1]] += 1
            capital.update(p for j, p in enumerate(parts) if p[:1].isupper() and (k or j))
            if len(parts) >= 3 and all(p[:1].isupper() for p in parts):
                names[parts[0]] += 1
    named: Counter[int] = Counter()
    capitalized: Counter[int] = Counter()
    for counts, into in ((names, named), (capital, capitalized)):
        keys = list(counts)
        for key, i in zip(keys, (vocab.codes(keys) // Shape.COUNT).tolist()):
            into[i] += counts[key]
    for i in ids(family).tolist():
        if capitalized[i] >= min_name_count and named[i] >= min_name_share * capitalized[i]:
            flags[i] |= SyllableFlag.FAMILY
    by_id_total: Counter[int] = Counter()
    by_id_edge: Counter[int] = Counter()
    syllables = [s for s in total if any(ch.isalpha() for ch in s)]
    for s, i in zip(syllables, (vocab.codes(syllables) // Shape.COUNT).tolist()):
        by_id_total[i] += total[s]
        by_id_edge[i] += edge[s]
    for i, n in by_id_total.items():
        if i > UNKNOWN and n >= min_count and by_id_edge[i] <= max_edge_share * n:
            flags[i] |= SyllableFlag.UNGLUED
    return flags


def split_dev(
    sentences: Sequence[T], percent: float = 5.0, seed: int = 13, block: int = 200
) -> tuple[list[T], list[T]]:
    """Split off a development set of whole blocks of ``block`` consecutive sentences.

    ``percent`` of the blocks go to dev, those whose seeded hashes are lowest; a corpus too
    small for 20 blocks of ``block`` gets smaller blocks, so that it still has a dev set.
    Splitting by blocks rather than by sentences keeps the sentences of one article on one
    side: a sentence-level split puts an article's names and terms on both sides and
    overstates the dev score.

    >>> train, dev = split_dev([["a"]] * 1000, percent=20, block=10)
    >>> len(train) + len(dev), len(dev) % 10
    (1000, 0)
    """
    train: list[T] = []
    dev: list[T] = []
    n = len(sentences)
    if percent <= 0 or n == 0:
        return list(sentences), dev
    # Blocks small enough that the share asked for is some of them (20 blocks at least), and
    # that share taken exactly: the blocks with the lowest seeded hashes.
    block = max(1, min(block, n // 20))
    n_blocks = -(-n // block)
    want = min(n_blocks - 1, max(1, round(n_blocks * percent / 100)))
    salt = str(seed).encode()
    ranked = sorted(range(n_blocks), key=lambda b: zlib.crc32(salt + b":" + str(b).encode()))
    held = set(ranked[:want])
    for i, s in enumerate(sentences):
        (dev if i // block in held else train).append(s)
    return train, dev


def sentence_tokens(sentence: Sentence) -> tuple[list[str], list[bool]]:
    """Syllable tokens of a segmented sentence and, for each, whether it joins the next."""
    tokens: list[str] = []
    joins: list[bool] = []
    for w in sentence:
        syls = [s for s in w.split("_") if s] or [w]
        tokens.extend(syls)
        joins.extend([True] * (len(syls) - 1) + [False])
    return tokens, joins


def _flatten(
    vocab: Vocabulary, sentences: Sequence[Sentence]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    toks: list[str] = []
    joins: list[bool] = []
    breaks: list[bool] = []
    for s in sentences:
        t, j = sentence_tokens(s)
        toks.extend(t)
        joins.extend(j)
        breaks.extend([True] + [False] * (len(t) - 1))
    return vocab.codes(toks), np.array(joins, bool), np.array(breaks, bool)


def _fold_features(model: Model, codes: np.ndarray, joins: np.ndarray, breaks: np.ndarray):
    """Feature rows, labels and token positions of the gaps the model decides."""
    gaps, feats = model.gap_features(codes, breaks)
    return feats, joins[gaps], gaps


def _vocabulary(
    sentences: Sequence[Sentence],
    min_count: int,
    key_version: int,
    foreign: bool = False,
    countries: Sequence[str] = (),
) -> Vocabulary:
    counts: Counter[str] = Counter()
    for s in sentences:
        for w in s:
            for syl in w.split("_"):
                if syl:
                    counts[canonical_key(syl, key_version)] += 1
    keys = sorted(k for k, c in counts.items() if c >= min_count and "\n" not in k)
    return Vocabulary(keys, key_version, foreign, countries)


def syllable_classes(
    codes: np.ndarray,
    joins: np.ndarray,
    breaks: np.ndarray,
    vocab_size: int,
    k: int,
    *,
    dims: int = 64,
    min_count: int = 5,
    contexts: int = 6000,
    seed: int = 13,
) -> np.ndarray:
    """Group the syllables of the vocabulary into ``k`` classes by the company they keep.

    A syllable's company is the syllables right before and after it, told apart by whether
    the two are in the same word (arguments as returned by ``_flatten``).  Its counts over the
    ``contexts`` commonest neighbours are weighted by positive pointwise mutual information,
    reduced to ``dims`` dimensions (randomized SVD) and clustered by spherical k-means, all
    seeded.  Returns the class (1..k) of every vocabulary id; 0 for ids seen fewer than
    ``min_count`` times, the padding and unknown syllables.
    """
    ids = np.where(codes < 0, UNKNOWN, codes // Shape.COUNT)  # white space: unknown
    n = len(ids)
    pair = np.flatnonzero(~breaks[1:n]) if n > 1 else np.zeros(0, np.int64)
    a, b = ids[pair], ids[pair + 1]
    same = joins[pair].astype(np.int64)
    # Context ids: 2 * neighbour + same-word flag, left neighbours after the right ones.
    rows = np.concatenate([a, b])
    ctx = np.concatenate([2 * b + same, 2 * vocab_size + 2 * a + same])
    known = (rows > UNKNOWN) & (np.concatenate([b, a]) > UNKNOWN)
    rows, ctx = rows[known], ctx[known]
    classes = np.zeros(vocab_size, np.uint16)
    counts = np.bincount(ids, minlength=vocab_size)
    counts[: UNKNOWN + 1] = 0
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) <= k or not len(rows):
        classes[keep] = np.arange(1, len(keep) + 1)
        return classes
    col_total = np.bincount(ctx, minlength=4 * vocab_size)
    top = np.argsort(-col_total, kind="stable")[:contexts]
    top = top[col_total[top] > 0]
    row_of = np.full(vocab_size, -1)
    row_of[keep] = np.arange(len(keep))
    col_of = np.full(4 * vocab_size, -1)
    col_of[top] = np.arange(len(top))
    r, c = row_of[rows], col_of[ctx]
    ok = (r >= 0) & (c >= 0)
    m = np.bincount(r[ok] * len(top) + c[ok], minlength=len(keep) * len(top))
    m = m.reshape(len(keep), len(top)).astype(np.float64)
    # PPMI with the context distribution smoothed (power 0.75).
    total = m.sum()
    p_row = m.sum(axis=1, keepdims=True) / total
    p_col = m.sum(axis=0, keepdims=True) ** 0.75
    p_col /= p_col.sum()
    with np.errstate(divide="ignore", invalid="ignore"):  # empty cells are dropped below
        pmi = np.log(m / total) - np.log(np.maximum(p_row, 1e-300)) - np.log(p_col)
    ppmi = np.where(m > 0, np.maximum(pmi, 0.0), 0.0)
    # Randomized SVD (two power iterations), then unit rows.
    rng = np.random.default_rng(seed)
    q = np.linalg.qr(ppmi @ rng.standard_normal((ppmi.shape[1], dims + 16)))[0]
    for _ in range(2):
        q = np.linalg.qr(ppmi @ (ppmi.T @ q))[0]
    u, sv, _ = np.linalg.svd(q.T @ ppmi, full_matrices=False)
    x = (q @ u[:, :dims]) * np.sqrt(sv[:dims])
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-12
    # Spherical k-means from k distinct seeded rows.
    centres = x[rng.choice(len(x), k, replace=False)]
    label = np.zeros(len(x), np.int64)
    for _ in range(30):
        label = np.argmax(x @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, label, x)
        empty = np.bincount(label, minlength=k) == 0
        sums[empty] = x[rng.choice(len(x), int(empty.sum()), replace=False)]
        centres = sums / (np.linalg.norm(sums, axis=1, keepdims=True) + 1e-12)
    classes[keep] = np.argmax(x @ centres.T, axis=1) + 1
    return classes


def _fit(
    feats: np.ndarray,
    y: np.ndarray,
    size: int,
    l2: float,
    max_iter: int,
    progress=None,
    sample_weight: np.ndarray | None = None,
    min_count: int = 1,
    domain: np.ndarray | None = None,
    n_domains: int = 1,
    target: int = 0,
    tol: float = 1e-10,
) -> tuple[np.ndarray, float]:
    """L2-regularized logistic regression over hashed binary features, by L-BFGS.

    A weight seen at fewer than ``min_count`` gaps is used but not trained by those gaps, as
    an unseen n-gram at run time meets whatever weight its hash slot holds.

    With ``domain`` (one int below ``n_domains`` a gap), every feature also gets one weight
    per domain beside the shared one, and each domain its own bias (Daume's "frustratingly
    easy" domain adaptation): what the domains agree on goes into the shared weights, their
    differences into the copies.  The model returned is the one for ``target``: the shared
    weights plus that domain's copy.  ``min_count`` leaves only shared weights untrained.
    """
    from scipy.optimize import minimize

    cols = np.ascontiguousarray(feats.T)  # (templates, examples): one gather per template
    rare: list[np.ndarray | None] = [None] * len(cols)
    if min_count > 1:
        counts = np.zeros(size, np.int64)
        for c in cols:
            counts += np.bincount(c, minlength=size)
        for t, c in enumerate(cols):
            r = counts[c] < min_count
            rare[t] = ~r if r.any() else None
    yf = y.astype(np.float64)
    if domain is None or n_domains < 2:
        domain, n_domains = np.zeros(len(yf), np.int64), 1
    n_weights = size * (1 + n_domains) if n_domains > 1 else size
    # Indices into the domain copies, which follow the shared weights: domain d's at d * size.
    copies: list[np.ndarray] = []
    if n_domains > 1:
        offset = domain.astype(np.int64) * size
        copies = [c + offset for c in cols]
    calls = [0]
    t0 = time.time()

    def objective(theta: np.ndarray):
        w, b = theta[:n_weights], theta[n_weights:]
        s = b[domain]
        for c in cols:
            s += w[c]
        for c in copies:
            s += w[size:][c]
        per = np.logaddexp(0.0, s) - yf * s
        g = 1.0 / (1.0 + np.exp(-s)) - yf
        if sample_weight is not None:
            per *= sample_weight
            g *= sample_weight
        loss = per.sum() + 0.5 * l2 * (w @ w)
        grad = np.empty_like(theta)
        gw = l2 * w
        for c, keep in zip(cols, rare):
            if keep is None:
                gw[:size] += np.bincount(c, weights=g, minlength=size)
            else:
                gw[:size] += np.bincount(c[keep], weights=g[keep], minlength=size)
        for c in copies:
            gw[size:] += np.bincount(c, weights=g, minlength=n_weights - size)
        grad[:n_weights] = gw
        grad[n_weights:] = np.bincount(domain, weights=g, minlength=n_domains)
        calls[0] += 1
        last[0] = loss
        return loss, grad

    last = [0.0]
    steps = [0]

    def step(_theta) -> None:  # once an L-BFGS iteration
        steps[0] += 1
        if progress and (steps[0] % 10 == 0 or steps[0] == max_iter):
            progress(
                f"iteration {steps[0]} of at most {max_iter}: loss {last[0]:.1f} "
                f"({calls[0]} evaluations, {time.time() - t0:.0f} s)"
            )

    theta0 = np.zeros(n_weights + n_domains)
    res = minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        callback=step,
        options={"maxiter": max_iter, "maxcor": 10, "ftol": tol, "gtol": 1e-6},
    )
    coef = res.x[:size].copy()
    if n_domains > 1:
        coef += res.x[(1 + target) * size : (2 + target) * size]
    return coef.astype(np.float32), float(res.x[n_weights + target])


@dataclass(frozen=True)
class TrainConfig:
    """The settings of a segmentation model's training (what :func:`train` takes besides the
    data), checked when made.

    >>> TrainConfig(hash_bits=12).max_word
    8
    >>> TrainConfig(folds=0)
    Traceback (most recent call last):
    ...
    ValueError: folds must be at least 1, not 0
    """

    hash_bits: int = 22
    max_word: int = 8
    ngrams: tuple[tuple[int, ...], ...] | None = None  # None: features.NGRAMS
    l2: float = 1.0
    folds: int = 5
    fold_block: int | None = None
    min_count: int = 2
    max_iter: int = 300
    # Stop when an iteration lowers the loss by less than this share of it (L-BFGS's ftol):
    # on 500 sentences 1e-6 stops after about 70 iterations, with the dev F1 of 190 at 1e-10.
    tol: float = 1e-6
    min_feature_count: int = 1
    key_version: int = KEY_VERSION
    affixes: bool = True
    classes: int = 0
    list_version: int = 1
    foreign: bool = False
    countries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.ngrams is not None:
            object.__setattr__(self, "ngrams", tuple(tuple(g) for g in self.ngrams))
        object.__setattr__(self, "countries", tuple(self.countries))
        for name in ("folds", "max_iter", "min_count", "min_feature_count"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        if self.fold_block is not None and self.fold_block < 1:
            raise ValueError(f"fold_block must be at least 1, not {self.fold_block}")
        if not self.l2 >= 0:
            raise ValueError(f"l2 must be a number >= 0, not {self.l2}")
        if not 0 <= self.tol < 1:
            raise ValueError(f"tol must be a number from 0 to 1, not {self.tol}")
        if self.classes < 0:
            raise ValueError(f"classes must be 0 (none) or more, not {self.classes}")

    def spec(self, lists: Sequence[str] = ()) -> FeatureSpec:
        """The features a model trained with these settings (and these word lists) has."""
        return FeatureSpec(
            self.hash_bits,
            self.max_word,
            NGRAMS if self.ngrams is None else self.ngrams,
            self.key_version,
            self.affixes,
            self.classes,
            tuple(lists),
            self.list_version,
            self.foreign,
            self.countries,
        )


def train(
    sentences: Sequence[Sentence],
    config: TrainConfig | None = None,
    *,
    weights: Sequence[float] | None = None,
    domains: Sequence[str] | None = None,
    target_domain: str | None = None,
    lists: Mapping[str, Sequence[Sequence[str]]] | None = None,
    metadata: dict | None = None,
    progress: Callable[[str], None] | None = None,
    **settings: Any,
) -> Model:
    """Train a model on segmented ``sentences`` (lists of words, syllables joined by "_").

    The settings are a :class:`TrainConfig`, or its fields given as keywords
    (``hash_bits=20``; with ``config`` too, they override its fields).

    ``weights``, one per sentence, scale each sentence's share of the loss (default: all 1).
    ``domains``, one label per sentence, marks corpora that follow different conventions:
    each domain then gets its own copy of every weight on top of the shared one, and the
    model returned is the one for ``target_domain`` (see :func:`_fit`).
    Features seen at fewer than ``min_feature_count`` gaps are not trained (see :func:`_fit`).
    ``key_version`` picks the model's view of a token (see
    :func:`tieng.normalization.canonical_key`); ``affixes`` adds the affix templates of
    :mod:`tieng.engine.features` (on by default: they were worth 0.06 F1 on the dev split).
    ``classes`` > 0 groups the syllables into that many classes (:func:`syllable_classes`,
    from all the training sentences) and adds the class templates.
    ``lists`` maps a name to an outside word list (entries as lists of syllables, e.g. from
    :func:`read_word_list`): each list gets a feature group of its own (see
    :mod:`tieng.engine.features`), and its entries of 2 to ``max_word`` syllables that the
    vocabulary can spell go into the model.  The lists are the same in every fold.
    ``list_version`` picks the word-list templates (see
    :data:`tieng.engine.features.LIST_TEMPLATES_V2`).
    ``foreign`` gives words of letters that are no Vietnamese syllable shapes of their own
    (:attr:`tieng.engine.features.Shape.FOREIGN`), so that foreign words get weights of their own.
    ``countries``: one-syllable names of countries and peoples ("Pháp", "Nhật", "Mỹ"; e.g.
    from :func:`read_word_list`), which get a shape of their own when capitalized
    (:attr:`tieng.engine.features.Shape.COUNTRY`), so that what follows a country's name (a
    foreign person's, say) is learned across countries.

    >>> m = train([["Hà_Nội", "đẹp"], ["Hà_Nội", "mưa"]] * 3, hash_bits=12, max_iter=20)
    >>> type(m).__name__
    'Model'
    """
    cfg = replace(config, **settings) if config is not None else TrainConfig(**settings)
    say = progress or (lambda msg: log.info(msg))
    if weights is not None and len(weights) != len(sentences):
        raise ValueError(f"{len(weights)} weights for {len(sentences)} sentences")
    names, domain_ids = _domain_ids(sentences, domains, target_domain)
    spec = cfg.spec(tuple(lists or ()))
    vocab = _vocabulary(sentences, cfg.min_count, cfg.key_version, cfg.foreign, spec.countries)
    say(f"{len(sentences)} sentences, vocabulary of {len(vocab)} syllables")
    tokens = sum(len(w.split("_")) for s in sentences for w in s)
    if tokens < SMALL_CORPUS:
        warnings.warn(
            f"only {tokens:,} tokens to train on: a model learns little from under "
            f"{SMALL_CORPUS:,} (VLSP 2013's training set has 1.7 million)",
            stacklevel=2,
        )
    list_rows, list_meta = _list_rows(vocab, lists or {}, cfg.max_word, say)
    class_of = None
    if cfg.classes:
        class_of = syllable_classes(*_flatten(vocab, sentences), len(vocab), cfg.classes)
        say(f"{int((class_of > 0).sum())} syllables in {cfg.classes} classes")
    folds = max(1, min(cfg.folds, len(sentences)))
    # By default blocks of 500 sentences, smaller on a small corpus so that every fold gets
    # some (four blocks a fold at least).
    block = cfg.fold_block or max(1, min(500, len(sentences) // max(1, 4 * folds)))
    fold_of = [(i // block) % folds for i in range(len(sentences))]
    all_feats, all_y, all_w, all_d = [], [], [], []
    for k in range(folds):
        in_fold = [i for i in range(len(sentences)) if fold_of[i] == k]
        f, y, gaps, sizes = _fold(
            sentences, fold_of, k, folds, vocab, spec, class_of, list_rows, cfg.max_word, say
        )
        all_feats.append(f)
        all_y.append(y)
        if weights is not None:
            w_part = [float(weights[i]) for i in in_fold]
            all_w.append(np.repeat(np.array(w_part, np.float64), sizes)[gaps])
        if domain_ids:
            d_part = [domain_ids[i] for i in in_fold]
            all_d.append(np.repeat(np.array(d_part, np.int64), sizes)[gaps])
    feats = np.concatenate(all_feats)
    y = np.concatenate(all_y)
    sample_weight = np.concatenate(all_w) if weights is not None else None
    del all_feats
    say(f"fitting {spec.size} weights on {len(y)} gaps ({feats.shape[1]} features each)")
    domain = np.concatenate(all_d) if domain_ids else None
    target = names.index(str(target_domain)) if domain_ids else 0
    coef, bias = _fit(
        feats,
        y,
        spec.size,
        cfg.l2,
        cfg.max_iter,
        say,
        sample_weight,
        cfg.min_feature_count,
        domain,
        len(names),
        target,
        cfg.tol,
    )
    words = [w.split("_") for s in sentences for w in s if "_" in w]
    lexicon = Model.build_lexicon(vocab, words, cfg.max_word)
    meta = {
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "training": {
            "sentences": len(sentences),
            "l2": cfg.l2,
            "folds": folds,
            "fold_block": block,
            "min_count": cfg.min_count,
            "max_iter": cfg.max_iter,
            "tol": cfg.tol,
            **({"min_feature_count": cfg.min_feature_count} if cfg.min_feature_count > 1 else {}),
            **({"domains": names, "target_domain": target_domain} if names else {}),
            **({"lists": list_meta} if list_meta else {}),
        },
    }
    meta.update(metadata or {})
    # Half precision: half the file and the memory; a score moves by a few thousandths at
    # most, which changed no decision on the dev split (docs/MODEL_CARD.md).
    half = np.clip(coef.astype(np.float32), -60000, 60000).astype(np.float16)
    return Model(vocab, lexicon, half, bias, spec, meta, class_of, list_rows)


def _domain_ids(
    sentences: Sequence[Sentence], domains: Sequence[str] | None, target_domain: str | None
) -> tuple[list[str], list[int]]:
    """The domains' names (sorted) and each sentence's domain, checked; none without domains."""
    if domains is None:
        return [], []
    if len(domains) != len(sentences):
        raise ValueError(f"{len(domains)} domain labels for {len(sentences)} sentences")
    names = sorted(set(domains))
    if target_domain is None or target_domain not in names:
        raise ValueError(f"target_domain must be one of the domains {names}")
    return names, [names.index(d) for d in domains]


def _list_rows(
    vocab: Vocabulary,
    lists: Mapping[str, Sequence[Sequence[str]]],
    max_word: int,
    say: Callable[[str], None],
) -> tuple[list[np.ndarray], list[dict]]:
    """Each outside word list as lexicon rows (its entries of 2+ syllables the vocabulary
    spells), and what the model's metadata says of it."""
    rows_of, meta = [], []
    for name, entries in lists.items():
        multi = [list(e) for e in entries if len(e) >= 2]
        rows = Model.build_lexicon(vocab, multi, max_word)
        rows_of.append(rows)
        meta.append({"name": name, "entries": len(entries), "used": len(rows)})
        say(f"word list {name}: {len(entries)} entries, {len(rows)} of 2+ syllables usable")
    return rows_of, meta


def _fold(
    sentences: Sequence[Sentence],
    fold_of: list[int],
    k: int,
    folds: int,
    vocab: Vocabulary,
    spec: FeatureSpec,
    class_of: np.ndarray | None,
    list_rows: list[np.ndarray],
    max_word: int,
    say: Callable[[str], None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The features, labels and gap positions of fold ``k``'s sentences, their lexicon made
    from the other folds (jackknifing), and each sentence's token count."""
    part = [s for i, s in enumerate(sentences) if fold_of[i] == k]
    if folds > 1:
        others = [w for i, s in enumerate(sentences) if fold_of[i] != k for w in s]
    else:
        others = [w for s in sentences for w in s]
    lexicon = Model.build_lexicon(vocab, [w.split("_") for w in others if "_" in w], max_word)
    scratch = Model(
        vocab, lexicon, np.zeros(spec.size, np.float32), 0.0, spec, classes=class_of,
        lists=list_rows,
    )  # fmt: skip
    codes, joins, breaks = _flatten(vocab, part)
    f, y, gaps = _fold_features(scratch, codes, joins, breaks)
    say(f"fold {k + 1}/{folds}: {len(y)} gaps, lexicon of {len(lexicon)} words")
    return f, y, gaps, [len(sentence_tokens(s)[0]) for s in part]
