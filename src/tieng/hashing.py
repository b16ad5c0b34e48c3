"""The hashes of tieng's features and of its tables of known spans, in numpy: the one
definition, which the C helper follows bit for bit (``csrc/common.h``).

This module imports nothing of tieng.
"""

from __future__ import annotations

import numpy as np

__all__ = ["M2", "extend_hash", "lexicon_hashes", "mix", "span_key", "weight_index"]

M1 = np.uint64(0x9E3779B97F4A7C15)
M2 = np.uint64(0xBF58476D1CE4E5B9)
M3 = np.uint64(0x94D049BB133111EB)
LEX_MULT = np.uint64(0x100000001B3)


def mix(template: int, *values: np.ndarray) -> np.ndarray:
    seed = np.uint64(((template + 1) * int(M1)) & 0xFFFFFFFFFFFFFFFF)
    h = np.full(values[0].shape, seed, dtype=np.uint64)
    for v in values:
        h ^= v
        h *= M2
    h ^= h >> np.uint64(31)
    return h


def lexicon_hashes(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hash id sequences (rows of ``words``, padded with 0 past ``lengths``) for the lexicon."""
    h = np.zeros(len(words), dtype=np.uint64)
    for j in range(words.shape[1]):
        live = j < lengths
        h = np.where(live, extend_hash(h, words[:, j]), h)
    return span_key(h, lengths)


def extend_hash(h: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The running hash of spans of ids (0 before the first), each extended by one id."""
    return h * LEX_MULT + ids.astype(np.uint64) + np.uint64(1)


def span_key(h: np.ndarray, length: int | np.ndarray) -> np.ndarray:
    """The key of spans of ``length`` ids from their running hash (as in :class:`SpanTable`)."""
    return h * M3 + np.asarray(length).astype(np.uint64)


def weight_index(template: int, values: tuple[np.ndarray, ...], hash_bits: int) -> np.ndarray:
    """The weight index of each of one template's values (the hashing trick: ``2**hash_bits``
    weights)."""
    return ((mix(template, *values) * M3) >> np.uint64(64 - hash_bits)).astype(np.intp)
