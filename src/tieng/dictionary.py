"""User dictionaries: words to always join, and sequences never to join.

A :class:`UserDictionary` holds two lists of entries, each a word written with its syllables
separated by spaces or "_" ("trí tuệ nhân tạo", "trí_tuệ_nhân_tạo"):

* ``words``: wherever an entry occurs in the text, it becomes exactly one word (its syllables
  are joined, and it is cut from its neighbours);
* ``never_join``: wherever an entry occurs, its syllables are not joined to one another
  (they may still join the syllables around the entry); a one-syllable entry is always a word
  of its own.

Matching ignores case and tone-mark placement ("Trí Tuệ", "TRÍ TUỆ" and "trí tuệ" all match
"trí tuệ"; "hoà" matches "hòa") but not digits.  An entry never matches across a line break or
a sentence boundary.  Where a user word overlaps another match, the longest wins, then the
leftmost; so a longer user word can contain a sequence that is never joined elsewhere.
Overlapping ``never_join`` matches do not conflict: all of them apply.

A dictionary is attached to a :class:`~tieng.Segmenter` (``Segmenter(dictionary=...)`` or
:meth:`~tieng.Segmenter.with_dictionary`); it never changes the model or other segmenters.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .features import HashSet, lexicon_hashes
from .normalization import normalize
from .tokenization import scan

__all__ = ["DictionaryError", "UserDictionary"]

JOIN = 1
SPLIT = 2
_CACHE_LIMIT = 1 << 18


class DictionaryError(ValueError):
    """A user dictionary file cannot be read, or its entries contradict each other."""


def _key(token: str) -> str:
    return normalize(token, "classic").lower()


def _entry_tokens(entry: str) -> list[str]:
    return scan(entry.replace("_", " "), False)[0]


class UserDictionary:
    """Words a :class:`~tieng.Segmenter` always joins, and sequences it never joins.

    >>> d = UserDictionary(["trí tuệ nhân tạo"], never_join=["bộ trưởng"])
    >>> d
    UserDictionary(1 word, 1 never-join entry)
    >>> from tieng import Segmenter
    >>> Segmenter(dictionary=d).segment_text("Bộ trưởng nói về trí tuệ nhân tạo")
    'Bộ trưởng nói về trí_tuệ_nhân_tạo'
    """

    def __init__(self, words: Iterable[str] = (), never_join: Iterable[str] = ()) -> None:
        if isinstance(words, str) or isinstance(never_join, str):
            raise TypeError("words and never_join are lists of entries, not one string")
        self.words: tuple[str, ...] = tuple(_clean(words, "words"))
        self.never_join: tuple[str, ...] = tuple(_clean(never_join, "never_join"))
        self._ids: dict[str, int] = {}
        self._kind: dict[int, int] = {}  # entry hash -> JOIN or SPLIT
        seen: dict[tuple[str, ...], tuple[int, str]] = {}
        rows: list[list[int]] = []
        kinds: list[int] = []
        for kind, entries in ((JOIN, self.words), (SPLIT, self.never_join)):
            for entry in entries:
                keys = tuple(_key(t) for t in _entry_tokens(entry))
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
        self._entries = HashSet(hashes)
        prefixes = [np.zeros(0, np.uint64)]
        for k in range(1, self.max_len):
            longer = lengths > k
            prefixes.append(lexicon_hashes(arr[longer, :k], np.full(int(longer.sum()), k)))
        self._prefixes = HashSet(np.concatenate(prefixes))
        self._cache: dict[str, int] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def read(
        cls,
        words: str | os.PathLike[str] | None = None,
        never_join: str | os.PathLike[str] | None = None,
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
        return cls(join, split)

    def __len__(self) -> int:
        return len(self.words) + len(self.never_join)

    def __bool__(self) -> bool:
        return bool(self._kind)

    def __repr__(self) -> str:
        w, n = len(self.words), len(self.never_join)
        return (
            f"UserDictionary({w} word{'s' if w != 1 else ''}, "
            f"{n} never-join entr{'ies' if n != 1 else 'y'})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UserDictionary):
            return NotImplemented
        return (self.words, self.never_join) == (other.words, other.never_join)

    def __hash__(self) -> int:
        return hash((self.words, self.never_join))

    def __reduce__(self):
        return (UserDictionary, (self.words, self.never_join))

    # ------------------------------------------------------------------ matching
    def _codes(self, tokens: list[str]) -> np.ndarray:
        cache, ids = self._cache, self._ids
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        out = np.empty(len(tokens), np.uint32)
        for i, t in enumerate(tokens):
            c = cache.get(t)
            if c is None:
                c = cache[t] = ids.get(_key(t), 0)
            out[i] = c
        return out

    def matches(self, tokens: list[str], breaks: np.ndarray) -> list[tuple[int, int, int]]:
        """The matches that win, as ``(start, length, kind)`` over ``tokens``.

        ``breaks[i]`` is True where a sentence (or line) starts at token ``i``; no match spans
        one.  ``kind`` is ``JOIN`` (1) or ``SPLIT`` (2).
        """
        n = len(tokens)
        if not n or not self._kind:
            return []
        ids = self._codes(tokens)
        sentence = np.cumsum(breaks)
        live = np.flatnonzero(ids != 0)
        h = np.zeros(len(live), np.uint64)
        found: list[tuple[int, int, int]] = []
        mult = np.uint64(0x100000001B3)
        for length in range(1, self.max_len + 1):
            if not len(live):
                break
            last = live + length - 1
            ok = last < n
            live, h, last = live[ok], h[ok], last[ok]
            nxt = ids[last]
            ok = (nxt != 0) & (sentence[last] == sentence[live])
            live, h, nxt = live[ok], h[ok], nxt[ok]
            h = h * mult + nxt.astype(np.uint64) + np.uint64(1)
            key = h * np.uint64(0x94D049BB133111EB) + np.uint64(length)
            hit = self._entries.contains(key)
            for s, k in zip(live[hit].tolist(), key[hit].tolist()):
                kind = self._kind.get(k)
                if kind is not None:
                    found.append((s, length, kind))
            if length < self.max_len:
                keep = self._prefixes.contains(key)
                live, h = live[keep], h[keep]
        if not found:
            return []
        found.sort(key=lambda m: (-m[1], m[0]))
        taken = np.zeros(n, bool)  # tokens of accepted matches
        joined = np.zeros(n, bool)  # tokens of accepted user words
        won = []
        for s, length, kind in found:
            # Never-join entries do not conflict with one another, only with user words.
            if not (joined if kind == SPLIT else taken)[s : s + length].any():
                taken[s : s + length] = True
                if kind == JOIN:
                    joined[s : s + length] = True
                won.append((s, length, kind))
        won.sort()
        return won

    def apply(self, tokens: list[str], breaks: np.ndarray, joins: np.ndarray) -> np.ndarray:
        """Overrule ``joins`` (in place) where entries match; returns the gaps it fixed.

        ``joins[i]`` says whether tokens ``i`` and ``i + 1`` are one word.
        """
        fixed = np.zeros(len(joins), bool)
        for s, length, kind in self.matches(tokens, breaks):
            e = s + length - 1  # last token of the match
            joins[s:e] = kind == JOIN
            fixed[s:e] = True
            if kind == JOIN or length == 1:  # the match is a word: cut it from its neighbours
                if s > 0:
                    joins[s - 1] = False
                    fixed[s - 1] = True
                joins[e] = False
                fixed[e] = True
        return fixed


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
