"""From token strings to the integer codes the model reads: a vocabulary id and a shape."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

from .. import _accel
from ..normalization import _BARE_SYLLABLE, canonical_key, remove_diacritics
from ..tokenization import LINE_BREAKS, LINK_RE, SPACE_CHARS
from .features import Shape

__all__ = ["UNKNOWN", "Vocabulary", "shape_of"]

UNKNOWN = 1  # id 0 is the sentence padding, 1 any token the vocabulary does not know
SPACE = -1  # code of a run of white space
LINE_BREAK = -2  # code of a run of white space that holds a line break
_LINE_BREAKS = frozenset(LINE_BREAKS)
_CACHE_LIMIT = 1 << 20  # tokens in a token cache ...
_CACHE_CHARS = 1 << 23  # ... and characters of them, as the compiled CodeTable's keys


class TokenCache(dict):
    """Token -> ``compute(token)``, computed on a miss and kept.

    Bounded by tokens and by their characters, so neither endless distinct tokens nor long
    ones (URLs, encoded blobs) make it grow without end: when full it starts again empty.
    """

    def __init__(self, compute, limit: int | None = None, chars: int | None = None) -> None:
        super().__init__()
        self._compute = compute
        self._limit = _CACHE_LIMIT if limit is None else limit
        self._max_chars = _CACHE_CHARS if chars is None else chars
        self._chars = 0

    def __missing__(self, token: str):
        value = self._compute(token)
        if len(token) > self._max_chars:
            return value
        if len(self) >= self._limit or self._chars + len(token) > self._max_chars:
            self.clear()
            self._chars = 0
        self[token] = value
        self._chars += len(token)
        return value


def is_syllable(token: str) -> bool:
    """Whether a word of letters is shaped like a Vietnamese syllable (onset, one to three
    vowels, coda, whatever its marks): most foreign words are not.

    >>> [is_syllable(w) for w in ("Nguyễn", "khuỷu", "Pháp", "Macron", "quick", "the")]
    [True, True, True, False, False, True]
    """
    return bool(_BARE_SYLLABLE.fullmatch(remove_diacritics(token)))


def shape_of(token: str) -> int:
    """The :class:`~tieng.engine.features.Shape` class of one token.

    >>> [shape_of(t) for t in ("hà", "Hà", "TP.", "3,5")] == [
    ...     Shape.LOWER, Shape.TITLE, Shape.DOTTED, Shape.NUMBER]
    True
    """
    if (
        "://" in token
        or "@" in token[1:]
        or (token.startswith(("www.", "#", "@")) and len(token) > 1)
        or ("." in token and LINK_RE.match(token))  # vnexpress.net, data.csv
    ):
        return Shape.LINK
    letters = digits = 0
    for ch in token:
        if ch.isalpha() and ch not in "\u02b9\u02ba":  # (primes, typed as quotes: symbols)
            letters += 1
        elif ch.isdigit():
            digits += 1
    if not letters and not digits:
        if all(unicodedata.category(ch)[0] == "P" for ch in token):
            return Shape.PUNCT
        return Shape.SYMBOL
    if letters and "." in token:
        return Shape.DOTTED
    if not letters:
        return Shape.DIGITS if token.isdigit() else Shape.NUMBER
    if digits:
        return Shape.ALNUM
    if token.islower():
        return Shape.LOWER
    if token.isupper():
        return Shape.UPPER if letters > 1 else Shape.TITLE
    if token[0].isupper() and token[1:].islower():
        return Shape.TITLE
    return Shape.MIXED


class Vocabulary:
    """Maps tokens to ids through their :func:`~tieng.normalization.canonical_key`.

    Looking a token up goes through a cache keyed by the token's own characters, so the
    Unicode and tone normalization run once per distinct token, not once per occurrence.
    """

    def __init__(
        self,
        keys: Sequence[str],
        key_version: int = 1,
        foreign: bool = False,
        countries: Sequence[str] = (),
    ) -> None:
        self.keys = list(keys)
        self.key_version = key_version
        self.foreign = foreign  # foreign words get Shape.FOREIGN and Shape.FOREIGN_TITLE
        # Capitalized syllables that name a country or a people get Shape.COUNTRY.
        self.countries = tuple(countries)
        self._country_keys = frozenset(canonical_key(c, key_version) for c in self.countries)
        self._index = {k: i + 2 for i, k in enumerate(self.keys)}
        self._cache = TokenCache(self._compute)
        self._table = None  # the compiled cache of codes_of_spans, made when first used

    def __len__(self) -> int:
        return len(self.keys) + 2

    def _compute(self, token: str) -> int:
        if not token:  # the tokenizer makes none; a caller's list may hold one
            return UNKNOWN * Shape.COUNT + Shape.SYMBOL
        if token[0] in SPACE_CHARS:
            return LINE_BREAK if any(ch in _LINE_BREAKS for ch in token) else SPACE
        key = canonical_key(token, self.key_version)
        shape = shape_of(token)
        if shape == Shape.TITLE and key in self._country_keys:  # (also Canada, Indonesia)
            shape = Shape.COUNTRY
        elif self.foreign and shape in (Shape.LOWER, Shape.TITLE) and not is_syllable(token):
            shape = Shape.FOREIGN if shape == Shape.LOWER else Shape.FOREIGN_TITLE
        return self._index.get(key, UNKNOWN) * Shape.COUNT + shape

    def code(self, token: str) -> int:
        """``id * Shape.COUNT + shape`` for one token (computed, then cached).

        White space gets :data:`SPACE`, or :data:`LINE_BREAK` when it holds a line break.
        """
        return self._cache[token]

    def codes(self, tokens: Iterable[str]) -> np.ndarray:
        """Codes of many tokens as an int64 array."""
        if not isinstance(tokens, list):
            tokens = list(tokens)
        out = np.empty(len(tokens), np.int64)
        _accel.kernels.lookup_codes(self._cache, tokens, out)
        return out

    def codes_of_spans(self, text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Codes of the tokens ``text[starts[i]:ends[i]]`` as an int64 array (as :meth:`codes`).

        With the compiled helpers the tokens are looked up by their characters, without a
        string object for each.
        """
        out = np.empty(len(starts), np.int64)
        _accel.kernels.codes_of_spans(
            self.code_table(),
            text,
            np.ascontiguousarray(starts, np.int64),
            np.ascontiguousarray(ends, np.int64),
            self._compute,
            out,
        )
        return out

    def code_table(self):
        """The token -> code cache keyed by characters (``kernels.CodeTable``), made on first
        use; filled by :meth:`codes_of_spans` and the per-call path with this vocabulary's
        codes."""
        if not isinstance(self._table, _accel.kernels.CodeTable):  # (made by the other kernels)
            self._table = _accel.kernels.CodeTable(_CACHE_LIMIT)
        return self._table

    def ids_of_words(self, words: Iterable[Sequence[str]]) -> list[list[int]]:
        """Vocabulary ids of the syllables of each word (for building a lexicon)."""
        return [[self.code(s) // Shape.COUNT for s in w if s] for w in words]
