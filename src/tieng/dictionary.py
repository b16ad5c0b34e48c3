"""User dictionaries: words to always join, and sequences never to join.

A :class:`UserDictionary` holds two lists of entries, each a word written with its syllables
separated by spaces or "_" ("trí tuệ nhân tạo", "trí_tuệ_nhân_tạo"):

* ``words``: wherever an entry occurs in the text, it becomes exactly one word (its syllables
  are joined, and it is cut from its neighbours);
* ``never_join``: wherever an entry occurs, its syllables are not joined to one another
  (they may still join the syllables around the entry); a one-syllable entry is always a word
  of its own.
* ``known``: words the model should know, as if they had been in its training data. Unlike
  ``words`` they are hints, not rules: the model weighs them in context, so a known word is
  usually joined but not where its context says otherwise. They help most with terms the
  training data never had (0.6 to 1.2 F1 on held-out treebank text when every unseen word
  of it is supplied; docs/REPORT.md). A known word must have two or more syllables, all of
  them syllables the model has seen; others are left out.

Matching ignores case, tone-mark placement and the i/y spelling of a syllable ("Trí Tuệ",
"TRÍ TUỆ" and "trí tuệ" all match "trí tuệ"; "hoà" matches "hòa"; "kĩ sư" matches "kỹ sư")
but not digits.  With ``ignore_diacritics=True`` it also ignores tone marks and vowel
diacritics ("Hà Nội" matches "Ha Noi"); a segmenter whose model reads text without diacritics
(``"vlsp2013-unaccented"``) matches its dictionary that way.  An entry never matches across
a line break or a sentence boundary.  Where a user word overlaps another match, the longest
wins, then the leftmost; so a longer user word can contain a sequence that is never joined
elsewhere.
Overlapping ``never_join`` matches do not conflict: all of them apply.

A dictionary is attached to a :class:`~tieng.Segmenter` (``Segmenter(dictionary=...)`` or
:meth:`~tieng.Segmenter.with_dictionary`); it never changes the model or other segmenters.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .engine.features import SpanTable
from .engine.vocabulary import TokenCache
from .hashing import extend_hash, lexicon_hashes, span_key
from .normalization import UNACCENTED, canonical_key, fold_i_y, normalize
from .tokenization import scan

__all__ = ["DictionaryError", "UserDictionary"]

JOIN = 1
SPLIT = 2
_CACHE_LIMIT = 1 << 18


class DictionaryError(ValueError):
    """A user dictionary file cannot be read, or its entries contradict each other."""


def _key(token: str) -> str:
    return fold_i_y(normalize(token, "classic").lower())


def _bare_key(token: str) -> str:
    return canonical_key(token, UNACCENTED)


def _entry_tokens(entry: str) -> list[str]:
    text = entry.replace("_", " ")
    parts = text.split(" ")
    if all(p.isalpha() for p in parts):  # the common case, which scan would cut the same way
        return parts
    return scan(text, False)[0]


class UserDictionary:
    """Words a :class:`~tieng.Segmenter` always joins, and sequences it never joins.

    >>> d = UserDictionary(["trí tuệ nhân tạo"], never_join=["bộ trưởng"])
    >>> d
    UserDictionary(1 word, 1 never-join entry)
    >>> from tieng import Segmenter
    >>> Segmenter(dictionary=d).segment_text("Bộ trưởng nói về trí tuệ nhân tạo")
    'Bộ trưởng nói về trí_tuệ_nhân_tạo'
    >>> Segmenter(dictionary=UserDictionary(known=["hoán dụ"])).segment_text("Đây là hoán dụ")
    'Đây là hoán_dụ'
    """

    def __init__(
        self,
        words: Iterable[str] = (),
        never_join: Iterable[str] = (),
        known: Iterable[str] = (),
        *,
        ignore_diacritics: bool = False,
    ) -> None:
        if isinstance(words, str) or isinstance(never_join, str) or isinstance(known, str):
            raise TypeError("words, never_join and known are lists of entries, not one string")
        self.ignore_diacritics = bool(ignore_diacritics)
        key = self._key = _bare_key if self.ignore_diacritics else _key
        self.words: tuple[str, ...] = tuple(_clean(words, "words"))
        self.never_join: tuple[str, ...] = tuple(_clean(never_join, "never_join"))
        self.known: tuple[str, ...] = tuple(_clean(known, "known"))
        self._ids: dict[str, int] = {}
        self._kind: dict[int, int] = {}  # entry hash -> JOIN or SPLIT
        seen: dict[tuple[str, ...], tuple[int, str]] = {}
        rows: list[list[int]] = []
        kinds: list[int] = []
        for kind, entries in ((JOIN, self.words), (SPLIT, self.never_join)):
            for entry in entries:
                keys = tuple(key(t) for t in _entry_tokens(entry))
                if not keys:
                    continue
                if keys in seen:
                    other_kind, other = seen[keys]
                    if other_kind != kind:
                        raise DictionaryError(
                            f"{entry!r} is both a word to join and a sequence never to join"
                            + (f" (as {other!r})" if other != entry else "")
                        )
                    continue
                seen[keys] = (kind, entry)
                rows.append([self._ids.setdefault(k, len(self._ids) + 1) for k in keys])
                kinds.append(kind)
        self.max_len = max((len(r) for r in rows), default=0)
        arr = np.zeros((len(rows), max(self.max_len, 1)), np.uint32)
        for i, r in enumerate(rows):
            arr[i, : len(r)] = r
        lengths = np.array([len(r) for r in rows], np.int64)
        hashes = lexicon_hashes(arr, lengths)
        self._kind = dict(zip(hashes.tolist(), kinds))
        # One table of the entries (flags: their kind) and of their proper prefixes, whose
        # hashes are those of the running hash over the columns (one pass, however long an
        # entry is: a prefix's hash is the entry's hash so far).
        span_keys = [hashes]
        flags = [np.array(kinds, np.uint16)]
        running = np.zeros(len(rows), np.uint64)
        for k in range(1, self.max_len):
            longer = np.flatnonzero(lengths > k)
            if not len(longer):
                break
            running[longer] = extend_hash(running[longer], arr[longer, k - 1])
            span_keys.append(span_key(running[longer], k))
            flags.append(np.full(len(longer), SpanTable.PREFIX, np.uint16))
        self._table = SpanTable(np.concatenate(span_keys), np.concatenate(flags))
        self._cache = TokenCache(self._code_of, limit=_CACHE_LIMIT)

    # ------------------------------------------------------------------ construction
    @classmethod
    def read(
        cls,
        words: str | os.PathLike[str] | None = None,
        never_join: str | os.PathLike[str] | None = None,
        known: str | os.PathLike[str] | None = None,
    ) -> UserDictionary:
        """A dictionary from plain-text files: one entry a line, UTF-8.

        Blank lines and lines starting with "#" are skipped.

        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "words.txt"
        >>> _ = path.write_text("# my words\\ntrí_tuệ nhân_tạo\\n\\nmáy học\\n", "utf-8")
        >>> UserDictionary.read(path).words
        ('trí_tuệ nhân_tạo', 'máy học')
        """
        join = _read_lines(words) if words else []
        split = _read_lines(never_join) if never_join else []
        hints = _read_lines(known) if known else []
        return cls(join, split, hints)

    def known_syllables(self) -> list[list[str]]:
        """The ``known`` words, each as its list of syllables.

        >>> UserDictionary(known=["trí_tuệ nhân tạo"]).known_syllables()
        [['trí', 'tuệ', 'nhân', 'tạo']]
        """
        return [_entry_tokens(e) for e in self.known]

    def __len__(self) -> int:
        return len(self.words) + len(self.never_join) + len(self.known)

    def __bool__(self) -> bool:
        return bool(self._kind) or bool(self.known)

    def ignoring_diacritics(self) -> UserDictionary:
        """The same entries, matched without regard to tone marks and vowel diacritics.

        Raises :class:`DictionaryError` when two entries become one and disagree (a word to
        join and a sequence never to join).

        >>> d = UserDictionary(["Hà Nội"]).ignoring_diacritics()
        >>> d.matches(["ha", "noi"], np.array([True, False]))
        [(0, 2, 1)]
        """
        if self.ignore_diacritics:
            return self
        return UserDictionary(self.words, self.never_join, self.known, ignore_diacritics=True)

    def _state(self) -> tuple:
        return (self.words, self.never_join, self.known, self.ignore_diacritics)

    def __repr__(self) -> str:
        w, n = len(self.words), len(self.never_join)
        k = f", {len(self.known)} known" if self.known else ""
        bare = ", ignore_diacritics=True" if self.ignore_diacritics else ""
        return (
            f"UserDictionary({w} word{'s' if w != 1 else ''}, "
            f"{n} never-join entr{'ies' if n != 1 else 'y'}{k}{bare})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UserDictionary):
            return NotImplemented
        return self._state() == other._state()

    def __hash__(self) -> int:
        return hash(self._state())

    def __reduce__(self):
        return (_rebuild, self._state())

    # ------------------------------------------------------------------ matching
    def _codes(self, tokens: list[str]) -> np.ndarray:
        return np.fromiter(map(self._cache.__getitem__, tokens), np.uint32, len(tokens))

    def _code_of(self, token: str) -> int:
        """Id of the token's key among the dictionary's syllables (0: none)."""
        return self._ids.get(self._key(token), 0)

    def matches(self, tokens: list[str], breaks: np.ndarray) -> list[tuple[int, int, int]]:
        """The matches that win, as ``(start, length, kind)`` over ``tokens``, in order.

        ``breaks[i]`` is True where a sentence (or line) starts at token ``i``; no match spans
        one.  ``kind`` is ``JOIN`` (1) or ``SPLIT`` (2).
        """
        starts, lengths, kinds = self._matches(tokens, breaks)
        return list(zip(starts.tolist(), lengths.tolist(), kinds.tolist()))

    def _candidates(self, tokens: list[str], breaks: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """Every occurrence of an entry: ``(starts, kinds)`` for each length 1, 2, ..."""
        n = len(tokens)
        ids = self._codes(tokens)
        none = np.zeros(0, np.int64)
        sentence = np.cumsum(breaks)
        live = np.flatnonzero(ids != 0)
        h = np.zeros(len(live), np.uint64)
        out: list[tuple[np.ndarray, ...]] = []
        for length in range(1, self.max_len + 1):
            if not len(live):  # no span goes on: the longer lengths find nothing
                out += [(none, none)] * (self.max_len + 1 - length)
                break
            last = live + length - 1
            ok = last < n
            live, h, last = live[ok], h[ok], last[ok]
            nxt = ids[last]
            ok = (nxt != 0) & (sentence[last] == sentence[live])
            live, h, nxt = live[ok], h[ok], nxt[ok]
            h = extend_hash(h, nxt)
            key = span_key(h, length)
            flags = self._table.flags_of(key)
            hit = (flags & 3) != 0
            out.append((live[hit], (flags[hit] & 3).astype(np.int64)))
            if length < self.max_len:
                keep = (flags & SpanTable.PREFIX) != 0
                live, h = live[keep], h[keep]
        return out

    def _matches(self, tokens: list[str], breaks: np.ndarray) -> tuple[np.ndarray, ...]:
        n = len(tokens)
        none = np.zeros(0, np.int64)
        if not n or not self._kind:
            return none, none, none
        candidates = self._candidates(tokens, breaks)
        taken = np.zeros(n, bool)  # tokens in accepted matches
        joined = np.zeros(n, bool)  # tokens in accepted user words
        won: list[tuple[np.ndarray, ...]] = []
        # Longest first; within one length, left to right.
        for length in sorted((k + 1 for k, c in enumerate(candidates) if len(c[0])), reverse=True):
            starts, kinds = candidates[length - 1]
            if not len(starts):
                continue
            ends = starts + length
            # Blocked by a longer match: a user word by any, a never-join entry by a user word.
            free = (
                np.where(kinds == SPLIT, _count(joined, starts, ends), _count(taken, starts, ends))
                == 0
            )
            starts, kinds, ends = starts[free], kinds[free], ends[free]
            if not len(starts):
                continue
            # Same-length overlaps: leftmost wins, except that never-join entries coexist.
            clash = np.zeros(len(starts), bool)
            near = starts[1:] < ends[:-1]
            clash[1:] |= near
            clash[:-1] |= near
            keep = ~clash
            if clash.any():
                last_join_end = last_end = -1
                for i in np.flatnonzero(clash).tolist():
                    s, k = int(starts[i]), int(kinds[i])
                    if (last_join_end if k == SPLIT else last_end) <= s:
                        keep[i] = True
                        last_end = max(last_end, s + length)
                        if k == JOIN:
                            last_join_end = s + length
                    # A clash group is contiguous, and groups are far enough apart that a
                    # stale "last end" from an earlier group never reaches the next one.
            starts, kinds, ends = starts[keep], kinds[keep], ends[keep]
            won.append((starts, np.full(len(starts), length), kinds))
            taken |= _cover(n, starts, ends)
            j = kinds == JOIN
            joined |= _cover(n, starts[j], ends[j])
        if not won:
            return none, none, none
        starts = np.concatenate([w[0] for w in won])
        lengths = np.concatenate([w[1] for w in won])
        order = np.lexsort((lengths, starts))  # by start, then length
        return starts[order], lengths[order], np.concatenate([w[2] for w in won])[order]

    def apply(self, tokens: list[str], breaks: np.ndarray, joins: np.ndarray) -> np.ndarray:
        """Overrule ``joins`` (in place) where entries match; returns the gaps it fixed.

        ``joins[i]`` says whether tokens ``i`` and ``i + 1`` are one word.
        """
        n = len(joins)
        fixed = np.zeros(n, bool)
        starts, lengths, kinds = self._matches(tokens, breaks)
        if not len(starts):
            return fixed
        last = starts + lengths - 1
        # Gaps inside a match: joined for a user word, cut for a never-join entry.
        for kind, value in ((JOIN, True), (SPLIT, False)):
            m = (kinds == kind) & (lengths > 1)
            inside = _cover(n, starts[m], last[m])
            joins[inside] = value
            fixed |= inside
        # A user word, or a one-syllable never-join entry, is cut from its neighbours.
        word = (kinds == JOIN) | (lengths == 1)
        before = starts[word & (starts > 0)] - 1
        joins[before] = False
        fixed[before] = True
        joins[last[word]] = False
        fixed[last[word]] = True
        return fixed


def _count(flags: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of ``flags[s:e]`` are set, for each ``(s, e)``."""
    cum = np.concatenate(([0], np.cumsum(flags)))
    return cum[ends] - cum[starts]


def _cover(n: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Flags of the positions inside any of the ranges ``[s, e)`` (they may overlap)."""
    step = np.zeros(n + 1, np.int64)
    np.add.at(step, starts, 1)
    np.add.at(step, ends, -1)
    return np.cumsum(step[:n]) > 0


def _rebuild(words, never_join, known, ignore_diacritics=False) -> UserDictionary:
    return UserDictionary(words, never_join, known, ignore_diacritics=ignore_diacritics)


def _clean(entries: Iterable[str], name: str) -> Iterable[str]:
    for e in entries:
        if not isinstance(e, str):
            raise TypeError(f"{name} entries must be str, not {type(e).__name__}")
        e = " ".join(e.split())
        if e:
            yield e


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DictionaryError(f"{path}: cannot read the dictionary ({e.strerror or e})") from None
    out = []
    for lineno, raw in enumerate(data.splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DictionaryError(
                f"{path}, line {lineno}: invalid UTF-8 at byte {e.start} of the line "
                f"({raw[e.start : e.start + 4]!r})"
            ) from None
        if lineno == 1:
            line = line.removeprefix("\ufeff")
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out
