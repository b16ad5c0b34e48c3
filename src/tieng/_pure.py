"""The pure-Python twins of the compiled helpers (``tieng._speedups``): same names, same
arguments, same results.

:mod:`tieng._accel` picks the compiled module or this one, once; the rest of tieng calls
``_accel.kernels.NAME(...)`` and never asks which.  The twins are the reference:
``tests/test_speedups.py`` checks each compiled function against its twin here.  Written for
clarity rather than speed (the compiled helpers are the fast path).

One compiled job has no twin here, because its reference is the model's own numpy code,
which reads the model's feature settings: the scorer.  ``Scorer`` is ``None`` here, and
:mod:`tieng.engine.features` scores with numpy when it finds ``None``.

This module imports nothing of tieng but the ground floor it shares with the rest:
:mod:`tieng.hashing` (the hashes), :mod:`tieng.decoding` (the tag decoder),
:mod:`tieng.candidates` (the restorer's scores) and :mod:`tieng.capitals` (the capitals rule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

import numpy as np

from .candidates import choices_of_codes
from .capitals import in_capitals
from .decoding import decode, pad_sentences, program_rows
from .hashing import M2, lexicon_hashes, weight_index

__all__ = [
    "TAG_WIDTH",
    "CodeTable",
    "Line",
    "Scorer",
    "codes_of_spans",
    "count_words",
    "keep_freed_memory",
    "lookup_codes",
    "make_words",
    "parser_rows",
    "restore_choices",
    "scan_chunks",
    "span_keys",
    "span_table",
    "spans_json",
    "table_weights",
    "tag_rows",
    "tie_gaps",
    "viterbi",
    "widen_codes",
    "with_tags",
    "write_forms",
    "write_segmented",
]

_SEPARATORS = np.array([" ", "_", "\n", "\x1f"], dtype=object)  # by kind, as write_segmented
_new_tuple = tuple.__new__
_NON_SPACE = re.compile(r"\S+")


# ------------------------------------------------------------------ scanning and tokens
def _letters(chunk: str) -> bool:
    """``chunk.isalpha()``, the modifier primes (ʹ ʺ) not counted as letters."""
    return chunk.isalpha() and "\u02b9" not in chunk and "\u02ba" not in chunk


def _punctuated(
    chunk: str,
    leading: frozenset[str],
    closing: frozenset[str],
    plain_before_dot: Callable[[str], bool],
) -> list[str] | None:
    """The tokens of a chunk that is a word (letters only) or a number (ASCII digits only)
    with punctuation marks before it (of ``leading``) and after it (of ``closing``, the last
    also ``.`` or ``…``), one token a mark, as the tokenizer's pattern cuts them; ``None`` for
    any other chunk, and for a word with a dot right after it that may be an abbreviation.

    >>> _punctuated("(nói),", frozenset("("), frozenset("),"), str.islower)
    ['(', 'nói', ')', ',']
    """
    i, j = 0, len(chunk)
    while i < j and chunk[i] in leading:
        i += 1
    if j > i and (chunk[j - 1] in closing or chunk[j - 1] in ".…"):
        j -= 1
        while j > i and chunk[j - 1] in closing:
            j -= 1
    if (i == 0 and j == len(chunk)) or i == j:
        return None
    core = chunk[i:j]
    if _letters(core):
        if j == len(chunk) - 1 and chunk[j] == "." and not plain_before_dot(core):
            return None
    elif not (core.isascii() and core.isdigit()):
        return None
    return [*chunk[:i], core, *chunk[j:]]


def scan_chunks(
    text: str,
    findall: Callable[..., list[str]],
    pretokenized: bool,
    space_chars: str,
    line_break_chars: str,
    trailing: str,
    leading: str,
    plain_before_dot: Callable[[str], bool],
    context: int,
    with_tokens: bool,
) -> tuple[list[str] | None, bytes, bytes, list[int]]:
    """The tokens of ``text`` (``None`` without ``with_tokens``), their starts and ends (the
    bytes of int64 arrays) and the offsets of the line breaks between them: ``text`` is cut at
    single spaces, chunks of letters are tokens as they are, and only the other chunks go
    through ``findall`` (the tokenizer's pattern), ``context`` characters past them in view."""
    spaces, breaks = frozenset(space_chars), frozenset(line_break_chars)
    lead, close = frozenset(leading), frozenset(trailing)
    chunks = text.split(" ")
    offsets = [0, *np.cumsum(np.fromiter(map(len, chunks), np.int64, len(chunks)) + 1).tolist()]
    tokens: list[str] = []
    starts: list[int] = []
    line_breaks: list[int] = []
    n = len(text)
    prev = 0
    for h in [i for i, c in enumerate(chunks) if not _letters(c)]:
        if h > prev:
            tokens += chunks[prev:h]
            starts += offsets[prev:h]
        prev = h + 1
        chunk = chunks[h]
        if not chunk:
            continue
        p = offsets[h]
        if len(chunk) == 1:
            if chunk not in spaces:
                tokens.append(chunk)
                starts.append(p)
            elif chunk in breaks:
                line_breaks.append(p)
            continue
        if not pretokenized:
            # A shortcut for the commonest case, which the pattern would cut the same way: a
            # word or a number with punctuation marks around it ("nói,", "(Điều", "2004).").
            cut = _punctuated(chunk, lead, close, plain_before_dot)
            if cut is not None:
                tokens += cut
                for piece in cut:
                    starts.append(p)
                    p += len(piece)
                continue
        end = p + len(chunk)
        for piece in findall(text, p, min(n, end + context)):
            if p >= end:
                break
            if piece[0] in spaces:
                if not breaks.isdisjoint(piece):
                    line_breaks.append(p)
            else:
                tokens.append(piece)
                starts.append(p)
            p += len(piece)
    if prev < len(chunks):
        tokens += chunks[prev:]
        starts += offsets[prev:-1]
    begin = np.array(starts, np.int64)
    stop = begin + np.fromiter(map(len, tokens), np.int64, len(tokens))
    return (tokens if with_tokens else None), begin.tobytes(), stop.tobytes(), line_breaks


def lookup_codes(cache: dict[str, int], tokens: list[str], out: np.ndarray) -> None:
    """``out[i] = cache[tokens[i]]`` (the cache's ``__missing__`` computes what it lacks)."""
    out[:] = np.fromiter(map(cache.__getitem__, tokens), np.int64, len(tokens))


class CodeTable(dict):
    """Token -> code, cleared when it holds ``limit`` tokens (filled by codes_of_spans)."""

    def __init__(self, limit: int = 1 << 20) -> None:
        super().__init__()
        self.limit = limit


def codes_of_spans(
    table: CodeTable,
    text: str,
    starts: np.ndarray,
    ends: np.ndarray,
    compute: Callable[[str], int],
    out: np.ndarray,
) -> None:
    """``out[i]`` = the code of ``text[starts[i]:ends[i]]``: from ``table``, else from
    ``compute`` (then kept)."""
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        token = text[a:b]
        code = table.get(token)
        if code is None:
            if len(table) >= table.limit:
                table.clear()
            code = table[token] = compute(token)
        out[i] = code


def count_words(text: str) -> int:
    """``len(text.split())``, without the list on huge texts."""
    if len(text) < 100_000:
        return len(text.split())
    return sum(1 for _ in _NON_SPACE.finditer(text))


# ------------------------------------------------------------------ scores
def widen_codes(codes: np.ndarray, lut: np.ndarray, out: np.ndarray) -> None:
    """``out[i]`` = the float32 value ``codes[i]`` stands for: a float16 (its bits as uint16)
    or an 8-bit code into ``lut``, the codebook."""
    out[:] = lut[codes] if codes.dtype == np.uint8 else np.asarray(codes, np.float16)


def span_table(keys: np.ndarray, flags: np.ndarray) -> tuple[bytes, bytes, int]:
    """The open-addressing table of :class:`tieng.engine.features.SpanTable` (its keys, flags and
    bits): each key at its home slot (the top ``bits`` bits of a multiplicative hash) or the
    first free slot after it, a key given twice with the OR of its flags, zero keys dropped."""
    keep = keys != 0
    keys = keys[keep].astype(np.uint64)
    flags = flags[keep].astype(np.uint16)
    # One sort does both jobs: by the key's multiplicative hash, whose top bits are the home
    # slot (so homes come in order) and which is one-to-one (so repeats come together).
    mixed = keys * M2
    order = np.argsort(mixed)
    mixed, keys, flags = mixed[order], keys[order], flags[order]
    if len(keys):  # merge repeats (np.unique would import numpy.ma: slow at start-up)
        first = np.flatnonzero(np.concatenate(([True], mixed[1:] != mixed[:-1])))
        flags = np.bitwise_or.reduceat(flags, first)
        keys, mixed = keys[first], mixed[first]
    bits = max(4, int(np.ceil(np.log2(max(len(keys), 1)))) + 1)
    home = (mixed >> np.uint64(64 - bits)).astype(np.int64)
    # Placing keys in order of their home slot, each in the first free slot from home on, is
    # a running maximum: slot[i] = max(home[i], slot[i-1] + 1).
    at = np.arange(len(keys))
    slot = np.maximum.accumulate(home - at) + at if len(keys) else at
    length = max(1 << bits, int(slot[-1]) + 1 if len(keys) else 0) + 1
    table_keys = np.zeros(length, np.uint64)
    table_keys[slot] = keys
    table_flags = np.zeros(length, np.uint16)
    table_flags[slot] = flags
    return table_keys.tobytes(), table_flags.tobytes(), bits


def span_keys(rows: np.ndarray, flag: int) -> tuple[bytes, bytes]:
    """The keys of the rows of ids (a row's length: its count of non-zero ids), each with
    ``flag``, and of their proper prefixes of 2 or more ids, each with the prefix flag (0x100);
    and the flags: the entries of a :class:`tieng.engine.features.SpanTable`."""
    lengths = (rows != 0).sum(axis=1)
    prefixes = [np.zeros(0, np.uint64)]
    for k in range(2, rows.shape[1]):
        longer = lengths > k
        prefixes.append(lexicon_hashes(rows[longer, :k], np.full(int(longer.sum()), k)))
    keys = np.concatenate([lexicon_hashes(rows, lengths), *prefixes])
    n_prefixes = len(keys) - len(rows)
    flags = np.concatenate(
        [np.full(len(rows), flag, np.uint16), np.full(n_prefixes, 0x100, np.uint16)]
    )
    return keys.tobytes(), flags.tobytes()


def table_weights(
    template: int,
    domain: tuple[int, ...],
    hash_bits: int,
    weights: np.ndarray,
    lut: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out``: the weight of every value of a template whose values have the small
    ``domain`` (values in C order), as float32 (8-bit weights through ``lut``, their
    codebook)."""
    grid = np.indices(domain, dtype=np.uint64).reshape(len(domain), -1)
    found = weights[weight_index(template, tuple(grid), hash_bits)]
    out[:] = lut[found] if found.dtype == np.uint8 else found


Scorer = None  # no twin: the numpy scores of engine.features.ScoreTables are the reference


def restore_choices(
    packed: np.ndarray,
    line: np.ndarray,
    offsets: np.ndarray,
    candidates: np.ndarray,
    classes: np.ndarray,
    weights: np.ndarray,
    columns: np.ndarray,
    seeds: np.ndarray,
    bits: int,
    out: np.ndarray,
) -> None:
    """``out[i]``: the restorer's choice for token ``i`` (from its packed code and its
    neighbours'), the first of its best-scoring candidates, or -1 where the token is left as
    written (:mod:`tieng.candidates`)."""
    out[:] = choices_of_codes(
        packed, line, offsets, candidates, classes, weights, columns, seeds, bits
    )


_P = (1 << 61) - 1  # the parser's features are mixed modulo this prime
_K1, _K2, _K3 = 0x9E3779B97F4A7C15 % _P, 0xBF58476D1CE4E5B9 % _P, 0x2545F4914F6CDD1D


def parser_rows(values: list[tuple[int, ...]], bits: int) -> list[int]:
    """The weight row of each of the parser's features (tieng.parsing): ``values[k]`` the
    values of template ``k``, mixed modulo a prime in Python integers."""
    mask = (1 << bits) - 1
    out = []
    for k, v in enumerate(values):
        h = (k + 1) * _K1 % _P
        for x in v:
            h = (h * _K2 + x) % _P
        out.append(((h * _K3) >> 7) & mask)
    return out


def write_forms(
    chars: np.ndarray,
    starts: np.ndarray,
    forms: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    lengths: np.ndarray,
) -> None:
    """Write form ``forms[j]`` into ``chars`` (a text's code points, uint32) at
    ``starts[j]``, in place: each letter from ``lower`` (rows of code points), or from
    ``upper`` where the letter there is an ASCII capital."""
    n = lengths[forms]
    if np.any((starts < 0) | (starts + n > len(chars))):
        raise ValueError("write_forms: an index out of range")
    first = np.cumsum(n) - n
    within = np.arange(int(n.sum())) - np.repeat(first, n)
    where = np.repeat(starts, n) + within
    rows = np.repeat(forms, n)
    written = chars[where]
    capital = (written >= 65) & (written <= 90)
    chars[where] = np.where(capital, upper[rows, within], lower[rows, within])


UNGLUED = 8  # engine.features.SyllableFlag.UNGLUED (tests/test_build.py compares them)


def tie_gaps(scores: np.ndarray, ids: np.ndarray, flags: np.ndarray) -> None:
    """Decide the gaps on both sides of an unglued syllable together, in place.

    ``scores[i]`` is the join score of token ``i`` with the next (-inf: a certain boundary);
    a token whose ``flags[ids[i]]`` has :data:`UNGLUED` (it never begins or ends a word of
    several syllables) links the gap before it to the gap after it, so that it is joined on
    both sides or on neither.  Each run of linked gaps gets one score, the sum of theirs
    (float32, added left to right): the best choice of the run as a whole, joined when the
    sum is positive.  A certain boundary in a run, or an unglued first token (whose left
    side is the start), makes the whole run -inf.
    """
    n = len(scores)
    if n == 0:
        return
    unglued = (flags[ids] & UNGLUED) != 0
    if not unglued.any():
        return
    starts = ~unglued
    starts[0] = True
    first = np.flatnonzero(starts).tolist()
    for a, b in zip(first, [*first[1:], n]):
        dead = a == 0 and bool(unglued[0])
        if b - a == 1 and not dead:
            continue
        total = np.float32(-np.inf) if dead else np.float32(0)
        with np.errstate(invalid="ignore", over="ignore"):  # (crafted weights: as in C)
            for j in range(a, b):
                total = np.float32(total + scores[j])
        scores[a:b] = total


# ------------------------------------------------------------------ decoders
class Line:
    """The per-call path: one text segmented in one call.  Its twin is the batch path, so
    :meth:`run` always hands the text back to it (``None``), as the compiled ``Line`` does for
    the texts it does not take."""

    def __init__(self, *settings: Any) -> None:
        pass

    def run(self, text: str, mode: int) -> None:
        return None


TAG_WIDTH = 32  # tags the compiled decoder pads to; the twins take any number


def viterbi(
    values: np.ndarray,
    pos: np.ndarray,
    program: np.ndarray,
    bits: int,
    weights: np.ndarray,
    transitions: np.ndarray,
    bounds: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out``: the best tag of every word (Viterbi over each sentence), the features hashed
    from ``program`` at ``pos`` in the padded ``values``; ``weights`` as a tagger stores them
    (one row of its tags a feature), ``transitions`` padded to ``TAG_WIDTH`` tags (the start
    row last), as the compiled decoder reads them."""
    k, width = weights.shape[1], transitions.shape[1]
    trans = np.vstack([transitions[:k, :k], transitions[width : width + 1, :k]])
    out[:] = decode(program_rows(values, pos, program, bits), weights, trans, bounds)


def tag_rows(
    table: np.ndarray,
    rows: np.ndarray,
    program: np.ndarray,
    bits: int,
    weights: np.ndarray,
    transitions: np.ndarray,
    reach: int,
    shape_col: int,
    shapes: tuple[int, int, int, int],
) -> bytes:
    """The tags of one sentence whose words' attributes are ``table[rows]``, read as sentence
    case when it is written in capitals (``shapes``: the lower, title, upper and mixed shapes
    of ``shape_col``): the bytes of uint8 tag indices."""
    attrs = table[rows].copy()
    lower, title, upper, mixed = shapes
    shape = attrs[:, shape_col]
    letters = (shape >= lower) & (shape <= mixed)
    n_upper = np.array([np.count_nonzero(shape == upper)])
    if len(attrs) and in_capitals(np.array([np.count_nonzero(letters)]), n_upper)[0]:
        shape[letters] = lower
        if letters[0]:
            shape[0] = title
    bounds = np.array([0, len(attrs)], np.int64)
    values, pos = pad_sentences(attrs, bounds, reach)
    out = np.empty(len(attrs), np.uint8)
    viterbi(values, pos, program, bits, weights, transitions, bounds, out)
    return out.tobytes()


# ------------------------------------------------------------------ words and writers
def write_segmented(
    text: str,
    starts: np.ndarray,
    ends: np.ndarray,
    kinds: np.ndarray,
    bounds: np.ndarray,
    names: list[str] | None = None,
    tags: np.ndarray | None = None,
) -> list[str]:
    """The underscore format of each document: its tokens ``text[starts[i]:ends[i]]``
    (``\\`` and ``_`` escaped), each followed by its kind's separator (0 " ", 1 "_", 2 a line
    break, 3 nothing: the document's end); with ``tags``, each word (a token whose kind is not
    1) followed by ``/`` and ``names[tag]``.  Documents are tokens ``bounds[k]`` to
    ``bounds[k + 1]``."""
    tokens = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
    tokens = [
        t.replace("\\", "\\\\").replace("_", "\\_") if "_" in t or "\\" in t else t for t in tokens
    ]
    if tags is not None and names is not None:
        for i, tag in zip(np.flatnonzero(kinds != 1).tolist(), tags.tolist()):
            tokens[i] = f"{tokens[i]}/{names[tag]}"
    flat: list[str] = [""] * (2 * len(tokens))
    flat[::2] = tokens
    flat[1::2] = _SEPARATORS[kinds].tolist()
    parts = "".join(flat).split("\x1f")
    nonempty = bounds[1:] > bounds[:-1]
    if nonempty.all():
        return parts[:-1]
    it = iter(parts)
    return [next(it) if ne else "" for ne in nonempty.tolist()]


def make_words(
    cls: type,
    big: str,
    big_starts: np.ndarray,
    big_ends: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    confidences: list[float] | None,
    tags: list[str] | None,
) -> list[Any]:
    """``cls(big[big_starts[i]:big_ends[i]], starts[i], ends[i], confidence, tag, None,
    None, None)`` for each word (``cls`` a tuple subclass: made with ``tuple.__new__``; the
    parser sets the last three, the head, the relation and the arc's confidence)."""
    pieces = map(big.__getitem__, map(slice, big_starts.tolist(), big_ends.tolist()))
    extra = (
        repeat(None) if confidences is None else confidences,
        repeat(None) if tags is None else tags,
        repeat(None),
        repeat(None),
        repeat(None),
    )
    fields = zip(pieces, starts.tolist(), ends.tolist(), *extra)
    return list(map(_new_tuple, repeat(cls), fields))


def with_tags(
    words: list[Any], joined: str, tags: np.ndarray, names: list[str]
) -> tuple[list[Any], str]:
    """The words of one text with their tags (``names[tags[i]]``) in their last field, and
    the underscore text ``joined`` with ``/`` and the tag after each word (words run from space
    to space)."""
    labels = [names[t] for t in np.asarray(tags).tolist()]
    tagged = " ".join(f"{w}/{t}" for w, t in zip(joined.split(" "), labels))
    return [w._replace(tag=t) for w, t in zip(words, labels)], tagged


def spans_json(spans: Iterable[tuple], tags: bool = False) -> bytes:
    """Words or tokens as the JSON array of ``{"text", "start", "end"}`` objects (and
    ``"tag"``, a word's fifth field, with ``tags``), UTF-8 and without spaces."""
    objects: list[dict[str, Any]] = [{"text": t, "start": a, "end": b} for t, a, b, *_ in spans]
    if tags:
        for d, w in zip(objects, spans):
            d["tag"] = w[4]
    return json.dumps(objects, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ------------------------------------------------------------------ process
def keep_freed_memory() -> bool:
    """The compiled helpers tune glibc's allocator; Python cannot: False."""
    return False
