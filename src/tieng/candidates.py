"""How the restorer scores the written forms a bare syllable may take, in numpy: the one
definition, which the compiled ``restore_choices`` (``csrc/restore.c``) follows bit for bit,
and which :mod:`tieng._pure` and :class:`tieng.RestorerModel` (training, confidences) use.

A syllable's context is six values: the context ids of the tokens at -2, -1, +1 and +2 on its
line (0 past the line's ends), its case shape, and 0.  A template picks two of them; its
feature hash mixes them with the template's seed, and each candidate's weight row mixes that
hash with the candidate's weight class.  A candidate's score is the sum of its rows' int8
weights (int32; float32 while training); the first of the best scores wins.

This module imports nothing of tieng.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FIRST_KEY",
    "best_candidates",
    "candidate_scores",
    "caps_as_lower",
    "choices_of_codes",
    "context_hashes",
    "unpack",
    "weight_rows",
]

M1 = np.uint64(0x9E3779B97F4A7C15)
M2 = np.uint64(0xBF58476D1CE4E5B9)
M3 = np.uint64(0x94D049BB133111EB)
_S31, _S29 = np.uint64(31), np.uint64(29)
OFFSETS = (-2, -1, 1, 2)  # the neighbours in the context, columns 0 to 3
SHAPE, NOTHING = 4, 5  # the other two columns
FIRST_KEY = 2  # key ids start here (0: a line's end, 1: unknown)
# A token's packed code (RestorerModel reads each token once): its context id << 24, its own
# key id + 1 << 3 (0: left as written), its case shape (0 lower, 1 Title, 2 CAPS, 3 mixed).
OWN_MASK = (1 << 21) - 1


def caps_as_lower(shapes: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The case shapes the model reads: a word in capitals next to another on its line (a
    heading, a line typed in capitals) reads as lower case; a lone one (an abbreviation, a
    name in capitals) keeps its shape."""
    caps = shapes == 2
    if not caps.any():
        return shapes
    near = np.zeros(len(shapes), bool)
    same = line[1:] == line[:-1]
    near[1:] |= caps[:-1] & same
    near[:-1] |= caps[1:] & same
    return np.where(caps & near, 0, shapes)


def unpack(packed: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The context ids, own key ids (-1: left as written) and case shapes (as the model
    reads them) of tokens from their packed codes."""
    own = ((packed >> 3) & OWN_MASK) - 1
    return packed >> 24, own, caps_as_lower(packed & 7, line)


def context_hashes(
    ids: np.ndarray,
    line: np.ndarray,
    shapes: np.ndarray,
    at: np.ndarray,
    columns: np.ndarray,
    seeds: np.ndarray,
) -> np.ndarray:
    """The feature hash of each template (``columns``: two context columns each, ``seeds``:
    its seed) at the tokens ``at`` of a run with context ``ids``, ``line`` numbers and case
    ``shapes``: ``(len(at), len(columns))`` uint64."""
    n = len(ids)
    table = np.zeros((len(at), 6), np.uint64)
    for c, off in enumerate(OFFSETS):
        j = at + off
        ok = (j >= 0) & (j < n)
        j[~ok] = 0
        ok &= line[j] == line[at]
        table[:, c] = np.where(ok, ids[j], 0)
    table[:, SHAPE] = shapes[at]
    values = table[:, columns]  # (tokens, templates, 2)
    h = values[:, :, 0] ^ seeds.reshape(1, -1)
    h *= M2
    h ^= values[:, :, 1]
    h *= M2
    h ^= h >> _S31
    return h


def weight_rows(hashes: np.ndarray, classes: np.ndarray, bits: int) -> np.ndarray:
    """The weight row of each (feature, candidate) pair: ``hashes`` one row a candidate, one
    column a template; ``classes`` each candidate's weight class.  ``hashes`` is overwritten."""
    h = hashes
    h ^= (classes.astype(np.uint64) * M1)[:, None]
    h *= M2
    h ^= h >> _S29
    h *= M3
    h >>= np.uint64(64 - bits)
    return h.view(np.intp)  # (below 2**bits: the same numbers)


def candidate_scores(
    hashes: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    candidates: np.ndarray,
    classes: np.ndarray,
    weights: np.ndarray,
    bits: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate's score at each token: ``keys`` index ``offsets`` (the candidates of
    key ``k`` are ``candidates[offsets[k]:offsets[k + 1]]``); the candidates' form ids and
    their scores, the tokens' candidates one after another."""
    lo, hi = offsets[keys], offsets[keys + 1]
    count = (hi - lo).astype(np.int64)
    owner = np.repeat(np.arange(len(keys)), count)
    first = np.cumsum(count) - count
    pos = np.arange(len(owner)) - np.repeat(first, count) + np.repeat(lo, count)
    forms = candidates[pos].astype(np.int64)
    rows = weight_rows(hashes[owner], classes[forms], bits)
    wide = np.int32 if weights.dtype == np.int8 else np.float32
    return forms, weights[rows].sum(axis=1, dtype=wide)


def best_candidates(
    hashes: np.ndarray,
    keys: np.ndarray,
    offsets: np.ndarray,
    candidates: np.ndarray,
    classes: np.ndarray,
    weights: np.ndarray,
    bits: int,
) -> np.ndarray:
    """The form id of the first best-scoring candidate at each token (each has one at
    least; a lone one is chosen without its score, which the compiled twin does not
    compute)."""
    forms, score = candidate_scores(hashes, keys, offsets, candidates, classes, weights, bits)
    count = (offsets[keys + 1] - offsets[keys]).astype(np.int64)
    first = np.cumsum(count) - count
    best = np.maximum.reduceat(score, first) if len(score) else score
    top = score == np.repeat(best, count)
    idx = np.where(top, np.arange(len(score)), len(score))
    return forms[np.minimum.reduceat(idx, first)] if len(score) else forms


def choices_of_codes(
    packed: np.ndarray,
    line: np.ndarray,
    offsets: np.ndarray,
    candidates: np.ndarray,
    classes: np.ndarray,
    weights: np.ndarray,
    columns: np.ndarray,
    seeds: np.ndarray,
    bits: int,
) -> np.ndarray:
    """The choice at every token (-1 where it is left as written) from the tokens' packed
    codes: what the compiled ``restore_choices`` computes."""
    ids, own, shapes = unpack(packed, line)
    out = np.full(len(packed), -1, np.int64)
    at = np.flatnonzero(own >= 0)
    if len(at):
        keys = own[at] - FIRST_KEY
        hashes = context_hashes(ids, line, shapes, at, columns, seeds)
        out[at] = best_candidates(hashes, keys, offsets, candidates, classes, weights, bits)
    return out
