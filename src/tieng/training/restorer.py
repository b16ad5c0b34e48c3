"""Training a diacritics restorer (:class:`tieng.RestorerModel`) from text with its marks.

Any Vietnamese text written with its diacritics teaches it: each syllable's bare form
(:func:`tieng.restoration.bare_key`) is the input, its written form the answer.  The written
forms seen for each bare form become its candidates (the commonest first; forms seen fewer
than ``min_count`` times are dropped as typos, those of the word lists kept), and an averaged
perceptron learns hashed weights of the candidates in context, over mini-batches of
syllables scored with numpy.  Weights are stored in 8 bits.

>>> lines = ["Tôi yêu tiếng Việt", "Tôi ở Hà Nội", "Hà Nội có hồ"] * 20
>>> model = train_restorer(lines, bits=12, epochs=2)
>>> Restorer(model).restore("toi o Ha Noi")
'tôi ở Hà Nội'
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..candidates import caps_as_lower, weight_rows
from ..normalization import fold_i_y
from ..restoration import (
    _FIRST_KEY,
    DEFAULT_TEMPLATES,
    Restorer,
    RestorerModel,
    _shape,
    bare_key,
)
from ..tokenization import scan_arrays

__all__ = ["restoration_accuracy", "train_restorer"]

log = logging.getLogger("tieng.training")


def _restorable(token: str, key: str) -> bool:
    """Whether a token is a syllable the restorer can give marks to (its bare form is plain
    letters)."""
    return key.isascii() and key.isalpha() and len(key) == len(token)


def train_restorer(
    lines: Iterable[str],
    *,
    word_lists: Sequence[Iterable[str]] = (),
    bits: int = 22,
    epochs: int = 3,
    min_count: int = 2,
    min_share: float = 0.001,
    context_min_count: int = 2,
    max_keys: int = 300_000,
    batch: int = 2000,
    prune: int = 1,
    seed: int = 0,
    templates: tuple[tuple, ...] = DEFAULT_TEMPLATES,
    metadata: dict | None = None,
    dev: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> RestorerModel:
    """Train a restorer on ``lines`` of text written with diacritics (any tokenization; a
    segmented corpus's ``_`` should be spaces).

    ``word_lists`` (entries with syllables separated by spaces or ``_``) add their syllables'
    forms to the candidates.  ``bits`` sets the weight table (``2**bits`` bytes).  A form is a
    candidate if seen ``min_count`` times and in ``min_share`` of its bare form's uses;
    bare tokens seen ``context_min_count`` times (at most ``max_keys``, the commonest) are
    known as context.  8-bit weights of magnitude ``prune`` or less are set to 0 (a smaller
    file: -6% at 1, the dev accuracy unchanged).  With ``dev`` lines (written with marks) the
    accuracy on them is logged after each epoch.
    """
    t0 = time.time()
    say = progress or log.info
    rng = np.random.default_rng(seed)
    token_lines: list[list[str]] = [scan_arrays(line)[0] for line in lines if line.strip()]
    if not token_lines:
        raise ValueError("no text to train on")
    counts: Counter[str] = Counter()
    for toks in token_lines:
        counts.update(toks)
    key_of = {tok: bare_key(tok) for tok in counts}
    key_counts: Counter[str] = Counter()
    form_counts: dict[str, Counter[str]] = {}
    for tok, c in counts.items():
        key = key_of[tok]
        key_counts[key] += c
        form = tok.lower()
        if _restorable(form, key) and bare_key(form) == key:
            form_counts.setdefault(key, Counter())[form] += c
    listed: set[str] = set()
    for entries in word_lists:
        for entry in entries:
            for syl in entry.replace("_", " ").split():
                form = syl.lower()
                key = bare_key(form)
                if _restorable(form, key) and bare_key(form) == key:
                    listed.add(form)
    # The other spelling of a lone final y or i ("lý", "lí") is a candidate of the other key.
    for fc in list(form_counts.values()):
        for form, c in list(fc.items()):
            if c >= min_count and fold_i_y(form) != form:
                listed.add(fold_i_y(form))
    for form in listed:
        form_counts.setdefault(bare_key(form), Counter())[form] += 0

    # Keys: those with candidates, then the commonest others (context only).
    cands: dict[str, list[str]] = {}
    for key, fc in form_counts.items():
        total = sum(fc.values())
        keep = [
            f
            for f, c in fc.most_common()
            if (c >= min_count and c >= min_share * total) or (c == 0 and f in listed)
        ]
        if keep and keep != [key]:
            cands[key] = keep
    context = [k for k, c in key_counts.most_common() if c >= context_min_count and k not in cands]
    chosen = set(cands) | set(context[: max(0, max_keys - len(cands))])
    keys = sorted(chosen | {fold_i_y(k) for k in chosen})
    forms = sorted({f for fs in cands.values() for f in fs})
    form_id = {f: i for i, f in enumerate(forms)}
    offsets = np.zeros(len(keys) + 1, np.int32)
    flat: list[int] = []
    for i, key in enumerate(keys):
        flat += [form_id[f] for f in cands.get(key, ())]
        offsets[i + 1] = len(flat)
    model = RestorerModel(
        keys,
        forms,
        offsets,
        np.array(flat, np.int32),
        np.zeros(1 << bits, np.int8),
        1.0,
        templates,
        dict(metadata or {}),
    )
    say(
        f"{len(counts)} distinct tokens, {len(keys)} keys, {len(cands)} with candidates, "
        f"{len(forms)} forms ({time.time() - t0:.0f} s)"
    )

    # Every token's context id, case shape, line; the training positions and their answers.
    kid = {tok: model.context_id(key_of[tok]) for tok in counts}
    shape_of = {tok: _shape(tok) for tok in counts}
    flat_tokens = [t for toks in token_lines for t in toks]
    ids = np.fromiter((kid[t] for t in flat_tokens), np.int64, len(flat_tokens))
    shapes = np.fromiter((shape_of[t] for t in flat_tokens), np.int64, len(flat_tokens))
    line = np.repeat(np.arange(len(token_lines)), [len(t) for t in token_lines])
    shapes = caps_as_lower(shapes, line)
    del token_lines
    own = np.fromiter((model.key_id(key_of[t]) for t in flat_tokens), np.int64, len(flat_tokens))
    many = np.diff(offsets) > 1
    pos_ok = np.flatnonzero((own >= _FIRST_KEY) & many[np.maximum(own - _FIRST_KEY, 0)])
    gold = np.fromiter(
        (form_id.get(flat_tokens[i].lower(), -1) for i in pos_ok.tolist()), np.int64, len(pos_ok)
    )
    known = gold >= 0
    # A training syllable written in capitals only says nothing of its marks sometimes (an
    # ASCII name): those whose answer is no candidate are left out.
    pos, gold = pos_ok[known], gold[known]
    del flat_tokens
    say(f"{len(ids)} tokens, {len(pos)} ambiguous training syllables ({time.time() - t0:.0f} s)")

    w = np.zeros(1 << bits, np.float32)
    u = np.zeros(1 << bits, np.float32)  # sum of step * update, for the average
    step = 1.0

    def averaged() -> np.ndarray:
        return w - u / step

    for epoch in range(epochs):
        order = rng.permutation(len(pos))
        wrong = 0
        for b0 in range(0, len(order), batch):
            sel = np.sort(order[b0 : b0 + batch])
            at, y = pos[sel], gold[sel]
            hashes = model.feature_hashes(ids, line, shapes, at)
            k = own[at]
            model.weights = w  # scored in float during training
            cand, score = model.scores(hashes, k)
            n = offsets[k - _FIRST_KEY + 1] - offsets[k - _FIRST_KEY]
            first = np.cumsum(n) - n
            best = np.maximum.reduceat(score, first)
            owner = np.repeat(np.arange(len(at)), n)
            idx = np.where(score == best[owner], np.arange(len(score)), len(score))
            pred = cand[np.minimum.reduceat(idx, first)]
            bad = np.flatnonzero(pred != y)
            if len(bad):
                wrong += len(bad)
                h = hashes[bad]
                for sign, f in ((1.0, y[bad]), (-1.0, pred[bad])):
                    rows = weight_rows(h.copy(), model.classes[f], bits)
                    np.add.at(w, rows.ravel(), sign)
                    np.add.at(u, rows.ravel(), sign * step)
            step += 1
        msg = f"epoch {epoch + 1}: {wrong} of {len(pos)} training syllables wrong"
        if dev:
            trial = _quantized(model, averaged(), prune)
            msg += f", dev accuracy {restoration_accuracy(Restorer(trial), dev):.2f}"
        say(f"{msg} ({time.time() - t0:.0f} s)")
    final = _quantized(model, averaged(), prune)
    final.metadata.update(
        trained=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        lines=int(line[-1] + 1) if len(line) else 0,
        tokens=len(ids),
        epochs=epochs,
        bits=bits,
        prune=prune,
        word_lists=len(word_lists),
    )
    return final


def _quantized(model: RestorerModel, weights: np.ndarray, prune: int = 0) -> RestorerModel:
    top = float(np.abs(weights).max()) or 1.0
    scale = top / 127.0
    q = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    q[np.abs(q) <= prune] = 0
    return RestorerModel(
        model.keys,
        model.forms,
        model.offsets,
        model.candidates,
        q,
        scale,
        model.templates,
        dict(model.metadata),
        model.temperature,
    )


def restoration_accuracy(restorer: Restorer, lines: Sequence[str]) -> float:
    """Share of the syllables of ``lines`` (text with its marks) that ``restorer`` gives back
    right once their marks are removed (compared in lower case)."""
    from ..normalization import remove_diacritics
    from .evaluation import restoration_scores

    bare = [remove_diacritics(x) for x in lines]
    return restoration_scores(lines, restorer.restore_many(bare)).syllable_accuracy
