"""The tag decoder in numpy: the features of each word hashed from a template program, and
Viterbi over whole sentences.  The reference of the compiled decoder (``viterbi``,
``tag_rows`` in ``csrc/decoders.c``), which follows it bit for bit, and what the tagger, its
training and the pure-Python twins (:mod:`tieng._pure`) share.

This module imports nothing of tieng.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOS", "EOS", "decode", "pad_sentences", "program_rows"]

M1 = np.uint64(0x9E3779B97F4A7C15)
M2 = np.uint64(0xC2B2AE3D27D4EB4F)
SEED = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
BOS = np.int64(-1)  # attribute value before a sentence (also in _speedups.tag_rows)
EOS = np.int64(-2)  # and after it


def pad_sentences(
    attrs: np.ndarray, bounds: np.ndarray, reach: int
) -> tuple[np.ndarray, np.ndarray]:
    """The attribute rows with ``reach`` sentinel rows around every sentence (before it
    :data:`BOS`, after it :data:`EOS`), as uint64, and each word's row in it."""
    n = len(attrs)
    starts = bounds[:-1][np.diff(bounds) > 0]
    new = np.zeros(n, np.int64)
    new[starts] = 1
    sent = np.cumsum(new) - 1
    pos = np.arange(n) + reach + 2 * reach * sent
    size = (int(pos[-1]) if n else 0) + 1 + reach
    values = np.full((size, attrs.shape[1]), EOS, np.int64)
    if n:
        before = (pos[starts][:, None] - np.arange(1, reach + 1)).ravel()
        values[before] = BOS
    values[pos] = attrs
    return values.view(np.uint64), pos


def program_rows(values: np.ndarray, pos: np.ndarray, program: np.ndarray, bits: int) -> np.ndarray:
    """The weight row (``(n, templates)`` uint32) of every template of every word at ``pos``
    in the padded ``values``; ``program`` lists each template as its length and then
    (attribute column, offset) pairs."""
    steps = program.tolist()
    templates: list[list[tuple[int, int]]] = []
    i = 0
    while i < len(steps):
        length = steps[i]
        pairs = steps[i + 1 : i + 1 + 2 * length]
        templates.append(list(zip(pairs[::2], pairs[1::2])))
        i += 1 + 2 * length
    n = len(pos)
    out = np.empty((n, len(templates)), np.uint32)
    shift = np.uint64(64 - bits)
    for t, template in enumerate(templates):
        h = np.full(n, ((t + 1) * SEED) & MASK, np.uint64)
        for col, off in template:
            h ^= values[pos + off, col]
            h *= M2
            h ^= h >> np.uint64(29)
        h *= M1
        out[:, t] = h >> shift
    return out


def decode(
    rows: np.ndarray, weights: np.ndarray, transitions: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """The best tag sequence of every sentence (Viterbi), as tag indices.

    ``rows`` are the words' feature rows (:meth:`TaggerModel.feature_rows`), ``weights``
    and ``transitions`` integers (or floats, in training), ``bounds`` the sentences' first
    words.  Ties go to the lower tag index.  Sentences are decoded together, longest first,
    in groups whose back-pointers take at most :data:`_DECODE_BYTES` (one very long sentence
    among many short ones once took gigabytes).
    """
    n = len(rows)
    acc = np.int64 if weights.dtype.kind == "i" else np.float64
    k = weights.shape[1]
    emissions = weights[rows].sum(axis=1, dtype=acc)  # (n, k)
    trans = transitions.astype(acc)
    out = np.zeros(n, np.uint8)
    lengths = np.diff(bounds)
    order = np.argsort(-lengths, kind="stable")
    order = order[lengths[order] > 0]
    at = 0
    while at < len(order):
        longest = int(lengths[order[at]])
        size = max(1, _DECODE_BYTES // max(1, longest * k))
        group = order[at : at + size]
        _viterbi(emissions, trans, k, bounds[:-1][group], lengths[group], out)
        at += len(group)
    return out


_DECODE_BYTES = 64 << 20  # back-pointers of one group of sentences decoded together


def _viterbi(
    emissions: np.ndarray,
    trans: np.ndarray,
    k: int,
    firsts: np.ndarray,
    lens: np.ndarray,
    out: np.ndarray,
) -> None:
    """Viterbi over sentences starting at ``firsts`` with lengths ``lens`` (longest first)."""
    longest = int(lens[0])
    back = np.zeros((longest, len(firsts), k), np.uint8)
    delta = trans[k][None, :] + emissions[firsts]
    for j in range(1, longest):
        m = int(np.searchsorted(-lens, -j, side="left"))  # sentences longer than j
        s = delta[:m, :, None] + trans[None, :k, :]
        best = s.argmax(axis=1)
        back[j, :m] = best
        delta[:m] = (
            np.take_along_axis(s, best[:, None, :], axis=1)[:, 0, :] + emissions[firsts[:m] + j]
        )
    cur = delta.argmax(axis=1)
    for j in range(longest - 1, -1, -1):
        m = int(np.searchsorted(-lens, -j, side="left"))  # sentences longer than j
        out[firsts[:m] + j] = cur[:m]
        if j:
            cur[:m] = back[j, np.arange(m), cur[:m]]
