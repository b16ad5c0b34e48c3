"""Features of the gaps between tokens, computed for a whole batch at once with numpy.

A batch is one flat array of token codes, sentences separated by ``PAD`` runs of at least
``PAD`` tokens of id 0 so that no window reaches from one sentence into another.  Every gap
between two neighbouring tokens gets the same number of features, each an index into the
model's weight table (the hashing trick), so scoring a batch is one gather and one sum.

Feature groups (see ``TEMPLATES``):
* syllable n-grams in a window of two tokens left and three right of the gap;
* shapes (lower, Title, UPPER, number, punctuation, ...) of the tokens around the gap;
* lexicon: which known words (from the training data, or a user's list) cover the gap, and
  the longest known words that end just before and start just after it;
* affixes (``FeatureSpec(affixes=True)``): the length of the longest known word ending just
  before the gap with the syllable just after it, and the other way round, so that
  productive suffixes and prefixes (-hoá, -luận, nhà-, phó-) attach to known words;
* syllable classes (``FeatureSpec(classes=K)``): each syllable of the vocabulary belongs to
  one of K classes of syllables that keep the same company (computed in training, stored in
  the model), and the classes around the gap, alone and paired with the syllables, let a
  compound never seen in training borrow the evidence of similar ones;
* word lists (``FeatureSpec(lists=names)``): one group of templates per outside word list
  (a dictionary, a list of place names), so the model learns how far to trust each list and
  where its conventions differ from the training data's: which entries cover the gap, the
  longest entries ending before and starting after it, overlapping entries on both sides,
  and whether the list agrees with the training lexicon (see :data:`LIST_TEMPLATES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .. import _accel
from ..hashing import M2, extend_hash, span_key, weight_index

__all__ = [
    "JOINABLE",
    "PAD",
    "FeatureSpec",
    "Lexicon",
    "ScoreTables",
    "Shape",
    "SpanTable",
    "SyllableFlag",
    "WordLists",
    "feature_index",
    "gap_features",
    "template_values",
]

PAD = 3  # sentinel tokens between sentences: the widest window reaches three tokens away


class Shape:
    """Token shape classes (small ints stored next to the vocabulary id)."""

    PAD = 0
    LOWER = 1
    TITLE = 2
    UPPER = 3
    MIXED = 4
    DIGITS = 5
    NUMBER = 6
    ALNUM = 7
    PUNCT = 8
    SYMBOL = 9
    DOTTED = 10
    LINK = 11
    # Models with FeatureSpec(foreign=True): a word of letters that is no Vietnamese syllable
    # ("Macron", "quick"), in lower case or capitalized.
    FOREIGN = 12
    FOREIGN_TITLE = 13
    # Models with FeatureSpec(countries=...): a capitalized syllable that names a country or
    # a people ("Pháp", "Nhật", "Mỹ"), so that what follows one is learned across them.
    COUNTRY = 14
    COUNT = 16


class SyllableFlag:
    """Bits a model may attach to the syllables of its vocabulary
    (:attr:`tieng.Model.syllable_flags`): what name lists and the training data say of them."""

    FAMILY = 1  # a Vietnamese family name (Nguyễn, Phạm)
    MIDDLE = 2  # a middle name (Văn, Thị, Minh)
    OPENER = 4  # capitalized mostly because it opens a sentence (Bà, Ông)
    UNGLUED = 8  # never at the edge of a word of several syllables in the training data (và)
    SENTENCE_END = 16  # ends a sentence (. ! ? …)
    ALL = 31


# Shapes between which a word boundary may be absent; any other gap is always a boundary.
JOINABLE = np.zeros(Shape.COUNT, dtype=bool)
JOINABLE[
    [
        Shape.LOWER,
        Shape.TITLE,
        Shape.UPPER,
        Shape.MIXED,
        Shape.DIGITS,
        Shape.NUMBER,
        Shape.ALNUM,
        Shape.DOTTED,
        Shape.FOREIGN,
        Shape.FOREIGN_TITLE,
        Shape.COUNTRY,
    ]
] = True


# Window n-grams: offsets relative to the token left of the gap (0) and right of it (1).
NGRAMS: tuple[tuple[int, ...], ...] = (
    (0,),
    (1,),
    (-1,),
    (2,),
    (-2,),
    (3,),
    (-1, 0),
    (0, 1),
    (1, 2),
    (-2, -1),
    (2, 3),
    (-1, 0, 1),
    (0, 1, 2),
    (-2, -1, 0),
    (1, 2, 3),
    (-1, 0, 1, 2),
)
# Shape templates: ("s", offsets) uses shapes only; ("sw", offset_shape, offset_word) mixes.
SHAPES: tuple[tuple[int, ...], ...] = ((0, 1), (-1, 0, 1, 2), (-2, -1, 0, 1, 2, 3))
MIXED: tuple[tuple[int, int], ...] = ((0, 1), (1, 0))  # (shape at a, id at b)
# Class templates: ("c", offsets) pairs classes; ("cw", offset_class, offset_word) mixes.
CLASS_TEMPLATES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("c", (0, 1)),
    ("cw", (0, 1)),
    ("cw", (1, 0)),
    ("c", (-1, 0, 1)),
    ("c", (0, 1, 2)),
)
# Templates of each outside word list, over its values (see _list_values): the entries
# covering the gap (bits by length and rank), longer entries, the (end, start) pair, the
# overlap pattern of two-syllable entries with the shapes, and the agreement with the
# training lexicon with the shapes.
LIST_TEMPLATES = 5
# Word-list templates of version 2 (FeatureSpec(list_version=2)): two more a list, whether it
# covers the gap (and with a two-syllable entry) paired with the syllable on each side, so
# the model learns which syllables a list's entries join wrongly (function words, say).
LIST_TEMPLATES_V2 = 2
MAX_LISTS = 8
MAX_NGRAMS = 64
MAX_COUNTRIES = 1024
MAX_TEMPLATES = 128  # what the compiled scorer takes (_speedups.MAX_TEMPLATES)
LEX_BITS_MAX = 5  # spans of 2..LEX_BITS_MAX syllables get one feature per position
TEMPLATE_COUNT = (  # with the default n-grams
    len(NGRAMS)
    + len(SHAPES)
    + len(MIXED)
    + sum(range(1, LEX_BITS_MAX))  # (L, r) bits
    + 5  # long-span flags, mask, mask x shapes, ends pair, ends x bigram-known
)


class FeatureSpec:
    """Settings that fix how features are computed; stored in the model file."""

    def __init__(
        self,
        hash_bits: int = 22,
        max_word: int = 8,
        ngrams: tuple[tuple[int, ...], ...] = NGRAMS,
        key_version: int = 1,
        affixes: bool = False,
        classes: int = 0,
        lists: tuple[str, ...] = (),
        list_version: int = 1,
        foreign: bool = False,
        countries: tuple[str, ...] = (),
    ) -> None:
        if not 10 <= hash_bits <= 30:
            raise ValueError("hash_bits must be between 10 and 30")
        if not LEX_BITS_MAX <= max_word <= 16:
            raise ValueError(f"max_word must be between {LEX_BITS_MAX} and 16")
        ngrams = tuple(tuple(int(o) for o in g) for g in ngrams)
        if not ngrams or any(not g or min(g) < -2 or max(g) > 3 for g in ngrams):
            raise ValueError("n-gram offsets must lie between -2 and 3")
        # The limits of the compiled scorer (and sense: offsets -2..3 give six positions).
        if len(ngrams) > MAX_NGRAMS or any(len(g) > 6 for g in ngrams):
            raise ValueError(f"at most {MAX_NGRAMS} n-grams, of at most 6 offsets each")
        if key_version not in (1, 2, 3):
            raise ValueError(
                f"token key version {key_version} is unknown to this tieng (it knows 1 to 3)"
            )
        if not 0 <= classes <= 4096:
            raise ValueError("classes must be between 0 and 4096")
        lists = tuple(str(x) for x in lists)
        if len(lists) > MAX_LISTS:
            raise ValueError(f"at most {MAX_LISTS} word lists")
        if len(set(lists)) != len(lists) or any(not x for x in lists):
            raise ValueError("word lists need distinct, non-empty names")
        self.hash_bits = hash_bits
        self.max_word = max_word
        self.ngrams = ngrams
        self.key_version = key_version  # see tieng.normalization.canonical_key
        self.affixes = bool(affixes)
        self.classes = int(classes)  # 0: no class templates
        self.lists = lists  # names of the outside word lists, one template group each
        if list_version not in (1, 2):
            raise ValueError(f"word-list templates version {list_version} is unknown (1, 2)")
        self.list_version = int(list_version)
        self.foreign = bool(foreign)  # foreign words get shapes of their own
        countries = tuple(str(x) for x in countries)
        if len(countries) > MAX_COUNTRIES or any(
            not x or len(x) > 64 or any(ch.isspace() for ch in x) for x in countries
        ):
            raise ValueError(
                f"country names: at most {MAX_COUNTRIES}, each one syllable of 1-64 characters"
            )
        self.countries = countries  # one-syllable names that get Shape.COUNTRY capitalized
        if self.template_count > MAX_TEMPLATES:
            raise ValueError(f"{self.template_count} templates; at most {MAX_TEMPLATES}")

    @property
    def size(self) -> int:
        return 1 << self.hash_bits

    @property
    def template_count(self) -> int:
        extra = 2 * self.affixes + len(CLASS_TEMPLATES) * (self.classes > 0)
        per_list = LIST_TEMPLATES + LIST_TEMPLATES_V2 * (self.list_version >= 2)
        extra += per_list * len(self.lists)
        return TEMPLATE_COUNT - len(NGRAMS) + len(self.ngrams) + extra

    def to_dict(self) -> dict:
        d: dict = {"hash_bits": self.hash_bits, "max_word": self.max_word}
        if self.ngrams != NGRAMS:
            d["ngrams"] = [list(g) for g in self.ngrams]
        if self.key_version != 1:
            d["key_version"] = self.key_version
        if self.affixes:
            d["affixes"] = True
        if self.classes:
            d["classes"] = self.classes
        if self.lists:
            d["lists"] = list(self.lists)
            if self.list_version != 1:
                d["list_version"] = self.list_version
        if self.foreign:
            d["foreign"] = True
        if self.countries:
            d["countries"] = list(self.countries)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        ngrams = tuple(tuple(g) for g in d["ngrams"]) if "ngrams" in d else NGRAMS
        countries = d.get("countries", [])
        if not isinstance(countries, list) or not all(isinstance(x, str) for x in countries):
            raise ValueError("country names must be a list of strings")
        return cls(
            int(d["hash_bits"]),
            int(d["max_word"]),
            ngrams,
            int(d.get("key_version", 1)),
            bool(d.get("affixes", False)),
            int(d.get("classes", 0)),
            tuple(d.get("lists", ())),
            int(d.get("list_version", 1)),
            bool(d.get("foreign", False)),
            tuple(countries),
        )


class SpanTable:
    """Hashes of token spans (words, list entries, their proper prefixes) with flag bits.

    One open-addressing table at most half full: a key sits at its home slot (the top
    ``bits`` bits of a multiplicative hash) or in the first free slot after it, and a lookup
    reads from the home slot on until it meets the key or an empty slot (key 0).  With every
    entry and every prefix in the same table, one probe answers both "is this span an
    entry?" and "does some entry go on?", and the table is small enough to stay in cache
    (two 64-bit keys a span on average).  A trailing empty slot ends every probe, so the
    table never wraps around.  The hash of a real span is never zero in practice; a zero key
    is simply dropped.
    """

    PREFIX = 1 << 8  # flag: the span is a proper prefix of some entry

    def __init__(self, keys: np.ndarray, flags: np.ndarray) -> None:
        """``flags`` (one per key, uint16; a key given twice gets the OR of its flags) are
        what :meth:`flags_of` answers for each key."""
        k, f, bits = _accel.kernels.span_table(
            np.ascontiguousarray(keys, np.uint64), np.ascontiguousarray(flags, np.uint16)
        )
        self.keys = np.frombuffer(k, np.uint64)
        self.flags = np.frombuffer(f, np.uint16)
        self.bits = bits
        self.size = int(np.count_nonzero(self.keys))

    @classmethod
    def from_slots(cls, keys: np.ndarray, flags: np.ndarray, bits: int) -> SpanTable:
        """A table as :attr:`keys`, :attr:`flags` and :attr:`bits` hold it (read from a model
        file), not built again.  The caller has checked its shape: ``len(keys) > 2**bits``,
        flags as long, and a last slot that is empty, so every probe ends inside it."""
        table = cls.__new__(cls)
        table.keys, table.flags, table.bits = keys, flags, int(bits)
        table.size = int(np.count_nonzero(keys))
        return table

    @staticmethod
    def _home(keys: np.ndarray, bits: int) -> np.ndarray:
        return ((keys * M2) >> np.uint64(64 - bits)).astype(np.int64)

    def flags_of(self, keys: np.ndarray) -> np.ndarray:
        """The flags of each key (uint16), 0 for keys not in the table."""
        out = np.zeros(len(keys), np.uint16)
        todo = np.arange(len(keys))
        want = keys.astype(np.uint64)
        slot = self._home(want, self.bits)
        while len(todo):
            found = self.keys[slot]
            hit = found == want
            out[todo[hit]] = self.flags[slot[hit]]
            go = (found != 0) & ~hit
            todo, want, slot = todo[go], want[go], slot[go] + 1
        return out

    def as_args(self) -> tuple[np.ndarray, np.ndarray, int]:
        """What the compiled scorer takes for this table."""
        return self.keys, self.flags, self.bits


def _span_keys(words: np.ndarray, flag: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys of the rows of ``words`` (each with ``flag``) and of their proper prefixes
    (with :attr:`SpanTable.PREFIX`), and their flags; a row's length is its count of non-zero
    ids (``kernels.span_keys``)."""
    k, f = _accel.kernels.span_keys(np.ascontiguousarray(words), flag)
    return np.frombuffer(k, np.uint64), np.frombuffer(f, np.uint16)


class Lexicon:
    """Known multi-syllable words, with their proper prefixes, in one :class:`SpanTable`
    (flag 1: a word)."""

    WORD = 1

    def __init__(self, words: np.ndarray, lengths: np.ndarray) -> None:
        self.size = len(words)
        self.table = SpanTable(*_span_keys(words, self.WORD))


class WordLists:
    """Outside word lists (rows of ids, as a lexicon), looked up all at once.

    One :class:`SpanTable` holds every entry of every list, with the lists that hold it as
    flag bits (bit ``e`` for list ``e``), and the proper prefixes of all of them, so a span
    of tokens costs one lookup whatever the number of lists.
    """

    def __init__(self, lists: Sequence[np.ndarray]) -> None:
        if len(lists) > MAX_LISTS:
            raise ValueError(f"at most {MAX_LISTS} word lists")
        self.count = len(lists)
        self.sizes = tuple(len(rows) for rows in lists)  # entries of each list
        self.size = sum(self.sizes)
        keys = [np.zeros(0, np.uint64)]
        flags = [np.zeros(0, np.uint16)]
        for e, rows in enumerate(lists):
            k, f = _span_keys(rows, 1 << e)
            keys.append(k)
            flags.append(f)
        self.table = SpanTable(np.concatenate(keys), np.concatenate(flags))

    @classmethod
    def from_table(cls, table: SpanTable, sizes: Sequence[int]) -> WordLists:
        """Lists whose hash table was built before (read from a model file); ``sizes`` are
        their numbers of entries."""
        if len(sizes) > MAX_LISTS:
            raise ValueError(f"at most {MAX_LISTS} word lists")
        lists = cls.__new__(cls)
        lists.count = len(sizes)
        lists.sizes = tuple(int(n) for n in sizes)
        lists.size = sum(lists.sizes)
        lists.table = table
        return lists

    def without(self, drop: Iterable[int]) -> WordLists:
        """The same lists with those numbered in ``drop`` emptied (their entries no longer
        found; the others' answers unchanged)."""
        drop = set(drop)
        keep = np.uint16(~sum(1 << e for e in drop) & 0xFFFF)
        table = SpanTable.from_slots(self.table.keys, self.table.flags & keep, self.table.bits)
        sizes = [0 if e in drop else n for e, n in enumerate(self.sizes)]
        return WordLists.from_table(table, sizes)


def _known_spans(ids: np.ndarray, lexicon: Lexicon | WordLists, max_word: int) -> list[np.ndarray]:
    """``known[L][s]`` says whether tokens ``s .. s+L-1`` form a word (L >= 2): True or
    False for a :class:`Lexicon`; for :class:`WordLists`, the lists that hold it (bit ``e``
    for list ``e``, 0 for none).

    A span of length L is looked up only where its first L-1 tokens begin some word, so
    the cost beyond L=2 is small.
    """
    lists = isinstance(lexicon, WordLists)
    dtype = np.uint8 if lists else bool
    n = len(ids)
    u = ids.astype(np.uint64) + np.uint64(1)
    known: list[np.ndarray] = [np.zeros(n, dtype), np.zeros(n, dtype)]
    live = np.flatnonzero(ids[:-1] != 0)  # spans start where a real token is
    h = u[live]
    for length in range(2, max_word + 1):
        full = np.zeros(n, dtype=dtype)
        if len(live) and lexicon.size:
            last = live + length - 1
            inside = last < n
            live, h, last = live[inside], h[inside], last[inside]
            nxt = ids[last]
            real = nxt != 0
            live, h, nxt = live[real], h[real], nxt[real]
            h = extend_hash(h, nxt)
            key = span_key(h, length)
            flags = lexicon.table.flags_of(key)
            full[live] = (flags & 0xFF) if lists else (flags & Lexicon.WORD) != 0
            if length < max_word:
                keep = (flags & SpanTable.PREFIX) != 0
                live, h = live[keep], h[keep]
        known.append(full)
    return known


Values = tuple[np.ndarray, ...]


def template_values(
    ids: np.ndarray,
    shapes: np.ndarray,
    gaps: np.ndarray,
    lexicon: Lexicon,
    spec: FeatureSpec,
    vocab_size: int,
    classes: np.ndarray | None = None,
    lists: WordLists | None = None,
) -> list[tuple[Values, tuple[int, ...] | None]]:
    """The values each template sees at each gap, and their domain sizes when small.

    One entry a template, in template order: ``(values, domain)`` where ``values`` holds one
    uint64 array per component and ``domain`` gives how many values each component can take
    (or ``None`` when the product is too large to tabulate).  See :func:`gap_features` for the
    arguments.
    """
    ids64 = ids.astype(np.uint64)
    sh64 = shapes.astype(np.uint64)
    win = {o: ids64[gaps + o] for o in range(-2, 4)}
    swin = {o: sh64[gaps + o] for o in range(-2, 4)}
    out: list[tuple[Values, tuple[int, ...] | None]] = []
    for offsets in spec.ngrams:
        out.append((tuple(win[o] for o in offsets), (vocab_size,) if len(offsets) == 1 else None))
    for offsets in SHAPES:
        packed = np.zeros(len(gaps), dtype=np.uint64)
        for o in offsets:
            packed = packed * np.uint64(Shape.COUNT) + swin[o]
        out.append(((packed,), (Shape.COUNT ** len(offsets),) if len(offsets) <= 4 else None))
    for a, b in MIXED:
        out.append(((swin[a], win[b]), (Shape.COUNT, vocab_size)))

    known = _known_spans(ids, lexicon, spec.max_word)
    bits, mask, longer, end_len, start_len = _span_values(known, gaps, spec.max_word)
    for bit in bits:
        out.append(((bit,), (2,)))
    mask_domain = 1 << sum(range(1, LEX_BITS_MAX))
    longer_domain = 1 << (spec.max_word - LEX_BITS_MAX)
    out.append(((longer,), (longer_domain,)))
    out.append(((mask,), (mask_domain,)))
    out.append(((mask, swin[0], swin[1]), (mask_domain, Shape.COUNT, Shape.COUNT)))
    # Longest known word ending at the left token and starting at the right token.
    ends = spec.max_word + 1
    out.append(((end_len, start_len), (ends, ends)))
    bigram = known[2][gaps].astype(np.uint64)
    out.append(((end_len, start_len, bigram, (longer > 0).astype(np.uint64)), (ends, ends, 2, 2)))
    if spec.affixes:
        out.append(((end_len, win[1]), (ends, vocab_size)))
        out.append(((start_len, win[0]), (ends, vocab_size)))
    if spec.classes:
        if classes is None:
            raise ValueError("this feature spec needs the class of every token")
        used = {o for _, offsets in CLASS_TEMPLATES for o in offsets}
        cwin = {o: classes[gaps + o].astype(np.uint64) for o in used}
        for kind, offsets in CLASS_TEMPLATES:
            if kind == "cw":
                a, b = offsets
                out.append(((cwin[a], win[b]), None))  # hashed: a table would be big
            else:
                domain = (spec.classes + 1,) * len(offsets)
                out.append((tuple(cwin[o] for o in offsets), domain if len(offsets) < 3 else None))
    if spec.lists:
        if lists is None or lists.count != len(spec.lists):
            given = 0 if lists is None else lists.count
            raise ValueError(f"these features need {len(spec.lists)} word lists, not {given}")
        packed2 = swin[0] * np.uint64(Shape.COUNT) + swin[1]
        main = (mask, longer, bigram)
        held = _known_spans(ids, lists, spec.max_word)
        for e in range(lists.count):
            one = np.uint8(1 << e)
            known_e = [(k & one) != 0 for k in held]
            v = _list_values(known_e, gaps, spec.max_word, main)
            l_mask, l_longer, l_end, l_start, overlap, agree = v
            out.append(((l_mask,), (mask_domain,)))
            out.append(((l_longer,), (longer_domain,)))
            out.append(((l_end, l_start), (ends, ends)))
            out.append(((overlap, swin[0], swin[1]), (8, Shape.COUNT, Shape.COUNT)))
            out.append(((agree, packed2), (16, Shape.COUNT * Shape.COUNT)))
            if spec.list_version >= 2:
                said = agree >> np.uint64(2) & np.uint64(2) | agree >> np.uint64(1) & np.uint64(1)
                out.append(((said, win[0]), (4, vocab_size)))
                out.append(((said, win[1]), (4, vocab_size)))
    assert len(out) == spec.template_count
    return out


def _before(known: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``known[at]``, False where ``at`` is before the first token (no span starts there).

    Numpy would read such an index from the end, where no span that long can start (it would
    run past the last token) so the value is False anyway; but an index further back than
    the array is long (a short text, a model of long words) is an IndexError."""
    if len(at) and int(at.min()) < 0:
        return np.where(at >= 0, known[np.maximum(at, 0)], False)
    return known[at]


def _span_values(known: list[np.ndarray], gaps: np.ndarray, max_word: int):
    """What a lexicon says of each gap (``known`` as from :func:`_known_spans`).

    Returns the bits "a word of length L covers the gap with r tokens left of it" for
    L = 2..LEX_BITS_MAX, those bits packed into one mask, the packed flags "a word of length
    L covers the gap" for the longer lengths, and the lengths (1 for none) of the longest
    word ending at the left token and of the longest starting at the right token.
    """
    n = len(gaps)
    bits = []
    mask = np.zeros(n, dtype=np.uint64)
    for length in range(2, LEX_BITS_MAX + 1):
        for r in range(length - 1):
            bit = _before(known[length], gaps - r).astype(np.uint64)
            bits.append(bit)
            mask = (mask << np.uint64(1)) | bit
    longer = np.zeros(n, dtype=np.uint64)
    for length in range(LEX_BITS_MAX + 1, max_word + 1):
        cover = np.zeros(n, dtype=bool)
        for r in range(length - 1):
            cover |= _before(known[length], gaps - r)
        longer = (longer << np.uint64(1)) | cover.astype(np.uint64)
    end_len = np.ones(n, dtype=np.uint64)
    start_len = np.ones(n, dtype=np.uint64)
    for length in range(2, max_word + 1):
        end_len = np.where(_before(known[length], gaps - length + 1), np.uint64(length), end_len)
        start_len = np.where(known[length][gaps + 1], np.uint64(length), start_len)
    return bits, mask, longer, end_len, start_len


def _list_values(known: list[np.ndarray], gaps: np.ndarray, max_word: int, main: Values):
    """The values of one outside word list's templates at each gap.

    ``main`` holds the training lexicon's mask, longer flags and bigram bit.  Returns the
    list's mask, longer flags and (end, start) lengths as :func:`_span_values` gives them,
    its overlap pattern (two-syllable entries ending at the left token, spanning the gap,
    starting at the right token: 3 bits) and its agreement with the training lexicon (covers
    the gap: list, lexicon; two-syllable entry over the gap: list, lexicon: 4 bits).
    """
    _, mask, longer, end_len, start_len = _span_values(known, gaps, max_word)
    one = np.uint64(1)
    overlap = (
        (known[2][gaps - 1].astype(np.uint64) << np.uint64(2))
        | (known[2][gaps].astype(np.uint64) << one)
        | known[2][gaps + 1].astype(np.uint64)
    )
    m_mask, m_longer, m_bigram = main
    cover = ((mask | longer) != 0).astype(np.uint64)
    m_cover = ((m_mask | m_longer) != 0).astype(np.uint64)
    agree = (
        (cover << np.uint64(3))
        | (m_cover << np.uint64(2))
        | (known[2][gaps].astype(np.uint64) << one)
        | m_bigram
    )
    return mask, longer, end_len, start_len, overlap, agree


# Where each template's components come from, as numbered in the compiled scorer
# (``csrc/scores.c``): ids, shapes and classes at offsets -2..3, packed shape patterns, the
# lexicon values.  Kept in step with :func:`template_values` by the tests, which compare the
# two scorers.
_SRC_ID, _SRC_SHAPE, _SRC_CLASS = 2, 8, 14  # + offset
_SRC_PACKED = {(0, 1): 18, (-1, 0, 1, 2): 19, (-2, -1, 0, 1, 2, 3): 20}
_SRC_LEXBIT = 21  # + rank: the 10 bits of known words of 2..5 syllables over the gap
_SRC_LONGER, _SRC_MASK, _SRC_END, _SRC_START, _SRC_BIGRAM, _SRC_ANY = 31, 32, 33, 34, 35, 36
_SRC_LIST, _LIST_SOURCES = 37, 7  # + list * 7: mask, longer, end, start, overlap, agreement,
# and the agreement's two bits of the list (covers the gap, a two-syllable entry over it)


def template_sources(spec: FeatureSpec) -> list[tuple[int, ...]]:
    """The value sources of each template, in template order, for the compiled scorer."""
    out: list[tuple[int, ...]] = [tuple(_SRC_ID + o for o in g) for g in spec.ngrams]
    out += [(_SRC_PACKED[offsets],) for offsets in SHAPES]
    out += [(_SRC_SHAPE + a, _SRC_ID + b) for a, b in MIXED]
    out += [(_SRC_LEXBIT + k,) for k in range(sum(range(1, LEX_BITS_MAX)))]
    out += [(_SRC_LONGER,), (_SRC_MASK,), (_SRC_MASK, _SRC_SHAPE, _SRC_SHAPE + 1)]
    out += [(_SRC_END, _SRC_START), (_SRC_END, _SRC_START, _SRC_BIGRAM, _SRC_ANY)]
    if spec.affixes:
        out += [(_SRC_END, _SRC_ID + 1), (_SRC_START, _SRC_ID)]
    if spec.classes:
        for kind, offsets in CLASS_TEMPLATES:
            if kind == "cw":
                out.append((_SRC_CLASS + offsets[0], _SRC_ID + offsets[1]))
            else:
                out.append(tuple(_SRC_CLASS + o for o in offsets))
    for e in range(len(spec.lists)):
        base = _SRC_LIST + e * _LIST_SOURCES
        out += [(base,), (base + 1,), (base + 2, base + 3)]
        out += [(base + 4, _SRC_SHAPE, _SRC_SHAPE + 1), (base + 5, _SRC_PACKED[(0, 1)])]
        if spec.list_version >= 2:
            out += [(base + 6, _SRC_ID), (base + 6, _SRC_ID + 1)]
    return out


def feature_index(template: int, values: Values, spec: FeatureSpec) -> np.ndarray:
    """Weight indices of one template's values (the hashing trick)."""
    return weight_index(template, values, spec.hash_bits)


def gap_features(
    ids: np.ndarray,
    shapes: np.ndarray,
    gaps: np.ndarray,
    lexicon: Lexicon,
    spec: FeatureSpec,
    vocab_size: int = 0,
    classes: np.ndarray | None = None,
    lists: WordLists | None = None,
) -> np.ndarray:
    """Feature indices, shape ``(len(gaps), spec.template_count)``, for the gaps after ``gaps``.

    ``ids`` and ``shapes`` are the padded token arrays (``PAD`` zeros at both ends and between
    sentences); ``gaps`` holds the positions ``i`` of the gaps between tokens ``i`` and ``i+1``;
    ``lexicon`` holds the known words; ``classes``, aligned with ``ids``, the syllable class
    of each token (needed when ``spec.classes`` is set; 0 for padding and unclassed tokens);
    ``lists``, the outside word lists of ``spec.lists`` (a :class:`WordLists`).
    This is the reference form used in training; scoring goes through :class:`ScoreTables`,
    which gives the same sums faster.
    """
    vals = template_values(ids, shapes, gaps, lexicon, spec, max(vocab_size, 1), classes, lists)
    out = np.empty((len(gaps), spec.template_count), dtype=np.uint32)
    for t, (values, _) in enumerate(vals):
        out[:, t] = feature_index(t, values, spec)
    return out


class ScoreTables:
    """Weights regrouped for fast scoring.

    A template whose values have a small domain (a unigram, a shape pattern, the lexicon bits)
    gets a table of its weight for every possible value, so scoring it is a ravelled index
    into a small array that stays in cache; the others are hashed into ``weights`` as usual.
    The sums equal ``weights[gap_features(...)].sum(axis=1)`` up to float rounding.
    """

    def __init__(
        self,
        weights: np.ndarray,
        spec: FeatureSpec,
        vocab_size: int,
        stored: np.ndarray | None = None,
        codebook: np.ndarray | None = None,
    ) -> None:
        """``stored``: the tables as :meth:`flat` gives them for these weights (read from a
        model file), taken instead of computed; its length and dtype are checked.
        ``codebook``: the values of 8-bit ``weights`` (``codebook[weights]``)."""
        self.weights = weights
        self.spec = spec
        self.vocab_size = max(vocab_size, 1)
        self.tables: dict[int, np.ndarray] = {}
        # Build each table from the domains a tiny dummy batch reports.
        empty = Lexicon(np.zeros((0, spec.max_word), np.uint32), np.zeros(0, np.int64))
        dummy = template_values(
            np.zeros(2 * PAD + 2, np.int64),
            np.zeros(2 * PAD + 2, np.int64),
            np.array([PAD], np.int64),
            empty,
            spec,
            self.vocab_size,
            np.zeros(2 * PAD + 2, np.int64),
            WordLists([np.zeros((0, spec.max_word), np.uint32)] * len(spec.lists)),
        )
        # What a stored weight stands for: the float16 values of every bit pattern, or the
        # codebook of 8-bit weights; float32 weights are read as they are.
        if weights.dtype == np.uint8:
            if codebook is None or codebook.shape != (256,):
                raise ValueError("8-bit weights need a codebook of 256 values")
            self._lut = np.ascontiguousarray(codebook, np.float32)
        elif weights.dtype == np.float16:
            self._lut = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)
        else:
            self._lut = np.zeros(1 << 16, np.float32)
        if stored is not None:
            total = sum(int(np.prod(d)) for _, d in dummy if d is not None)
            if stored.shape != (total,) or stored.dtype != weights.dtype:
                raise ValueError(
                    f"score tables of shape {stored.shape} and dtype {stored.dtype}, expected "
                    f"({total},) and {weights.dtype}"
                )
            if stored.dtype != np.float32:  # exact: each entry is one stored weight
                wide = np.empty(total, np.float32)
                _accel.kernels.widen_codes(stored, self._lut, wide)
                stored = wide
            at = 0
        for t, (_, domain) in enumerate(dummy):
            if domain is None:
                continue
            if stored is not None:
                size = int(np.prod(domain))
                self.tables[t] = stored[at : at + size]
                at += size
                continue
            table = np.empty(int(np.prod(domain)), np.float32)
            _accel.kernels.table_weights(t, domain, spec.hash_bits, weights, self._lut, table)
            self.tables[t] = table
        self._domains = [domain for _, domain in dummy]
        self._scorers: dict[tuple[int, int], tuple[object, Lexicon, WordLists | None]] = {}
        self._program = [
            (src, self.tables.get(t), self._domains[t])
            for t, src in enumerate(template_sources(spec))
        ]

    def flat(self) -> np.ndarray:
        """Every table, one after another in template order, in the weights' dtype (what a
        model file stores: exact, as each entry is one weight)."""
        parts = [self.tables[t] for t in sorted(self.tables)]
        flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        if self.weights.dtype == np.uint8:  # each entry is a codebook value: its code
            return np.searchsorted(self._lut, flat).astype(np.uint8)
        return flat.astype(self.weights.dtype)

    def scores(
        self,
        ids: np.ndarray,
        shapes: np.ndarray,
        gaps: np.ndarray,
        lexicon: Lexicon,
        classes: np.ndarray | None = None,
        lists: WordLists | None = None,
    ) -> np.ndarray:
        """Sum of the weights of every feature at each gap (arguments as in gap_features).

        Uses the compiled scorer when the seam has one, numpy otherwise; both give the same
        float32 sums, bit for bit.
        """
        if _accel.kernels.Scorer is not None:
            return self._compiled_scores(ids, shapes, gaps, lexicon, classes, lists)
        return self._numpy_scores(ids, shapes, gaps, lexicon, classes, lists)

    def scorer(self, lexicon: Lexicon, lists: WordLists | None = None):
        """The compiled scorer (``_speedups.Scorer``) of these weights with ``lexicon`` and
        ``lists``: the program, tables and span tables read once, not at every call.  Kept
        for the few lexicons a model has (its own, and those a user dictionary adds).  ``None``
        without the compiled helpers (numpy scores, and the per-call path is not taken)."""
        make = _accel.kernels.Scorer
        if make is None:
            return None
        key = (id(lexicon), id(lists))
        hit = self._scorers.get(key)
        if hit is not None:
            return hit[0]
        scorer = make(
            lexicon.table.as_args(),
            self.spec.max_word,
            self.spec.hash_bits,
            self.weights,
            self._lut,
            self._program,
            None if lists is None or not lists.count else (*lists.table.as_args(), lists.count),
            self.spec.classes > 0,
        )
        if len(self._scorers) >= 8:  # bounded: a program making dictionaries without end
            self._scorers.clear()
        self._scorers[key] = (scorer, lexicon, lists)  # the objects keep their ids taken
        return scorer

    def _compiled_scores(self, ids, shapes, gaps, lexicon, classes=None, lists=None) -> np.ndarray:
        out = np.empty(len(gaps), dtype=np.float32)
        if len(gaps) == 0:
            return out
        c64 = None if classes is None else np.ascontiguousarray(classes, dtype=np.int64)
        self.scorer(lexicon, lists).score(
            np.ascontiguousarray(ids, dtype=np.int64),
            np.ascontiguousarray(shapes, dtype=np.int64),
            c64,
            np.ascontiguousarray(gaps, dtype=np.int64),
            out,
        )
        return out

    def _numpy_scores(self, ids, shapes, gaps, lexicon, classes=None, lists=None) -> np.ndarray:
        vals = template_values(
            ids, shapes, gaps, lexicon, self.spec, self.vocab_size, classes, lists
        )
        total = np.zeros(len(gaps), dtype=np.float32)
        # (Weights of a crafted file may sum past the float32 range: inf or nan, as in the
        # compiled scorer, and as silently.)
        with np.errstate(over="ignore", invalid="ignore"):
            for t, (values, domain) in enumerate(vals):
                if domain is None:
                    found = self.weights[feature_index(t, values, self.spec)]
                    total += self._lut[found] if found.dtype == np.uint8 else found
                    continue
                idx = values[0].astype(np.intp)
                for v, d in zip(values[1:], domain[1:]):
                    idx *= d
                    idx += v.astype(np.intp)
                total += self.tables[t][idx]
        return total
