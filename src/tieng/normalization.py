"""Unicode and tone-mark normalization.

Vietnamese text reaches us in several equivalent spellings: precomposed (NFC) or decomposed
(NFD) code points, and two conventions for where the tone mark sits in the open syllables
``oa``, ``oe`` and ``uy``:

* ``"modern"``: the mark on the first vowel, ``hòa``, ``khỏe``, ``thủy`` (the most common style
  in today's news and software);
* ``"classic"``: the mark on the second vowel, ``hoà``, ``khoẻ``, ``thuỷ`` (the style of the
  VLSP 2013 corpus).

Misplaced marks that no convention allows (``qúy`` for ``quý``) are repaired in both styles.

:func:`normalize` rewrites text for users who ask for it.  The segmenter never rewrites the
user's text: it looks at :func:`canonical_key` of each token, a view used only for the model.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

__all__ = [
    "KEY_VERSION",
    "UNACCENTED",
    "ToneStyle",
    "canonical_key",
    "looks_unaccented",
    "normalize",
    "place_tone",
    "reads_unaccented",
    "remove_diacritics",
]

ToneStyle = Literal["modern", "classic"]

# The five tone marks as combining characters: grave, acute, hook above, tilde, dot below.
_TONES = "\u0300\u0301\u0309\u0303\u0323"
# Letters whose own diacritic (breve, circumflex, horn) makes them the main vowel.
_MARKED_VOWELS = set("ăâêôơư")
_VOWELS = set("aăâeêioôơuưy")
# Combining marks that may follow a base letter inside one syllable (NFD input).
COMBINING_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_SYLLABLE = re.compile(rf"(?:[^\W\d_]|[{COMBINING_MARKS}])+")
# A syllable as normalize() finds it in running text: it starts with a letter, so that a stray
# mark (after a space, a digit) stays where it was typed instead of joining the next word.
_SYLLABLE_IN_TEXT = re.compile(rf"[^\W\d_](?:[^\W\d_]|[{COMBINING_MARKS}])*")


def _strip_tone(nfd: str) -> tuple[str, str]:
    """Split a decomposed syllable into (syllable without tone, tone mark or '')."""
    tone = ""
    kept = []
    for ch in nfd:
        if ch in _TONES and not tone:
            tone = ch
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_index(base: str, style: ToneStyle) -> int | None:
    """Index in ``base`` (a toneless NFC syllable) of the letter that carries the tone."""
    low = base.lower()
    n = len(low)
    start = 0
    # 'qu' and 'gi' (before another vowel) belong to the initial consonant.
    if low.startswith("qu") and n > 2:
        start = 2
    elif low.startswith("gi") and n > 2 and low[2] in _VOWELS:
        start = 2
    i = start
    while i < n and low[i] not in _VOWELS:
        i += 1
    if i == n:
        # No vowel left after the initial ('gì', 'quỳ' written oddly): mark the last vowel.
        vowels = [k for k, ch in enumerate(low) if ch in _VOWELS]
        return vowels[-1] if vowels else None
    j = i
    while j < n and low[j] in _VOWELS:
        j += 1
    cluster = low[i:j]
    has_final = j < n
    marked = [k for k, ch in enumerate(cluster) if ch in _MARKED_VOWELS]
    if marked:
        return i + marked[-1]
    if len(cluster) == 1:
        return i
    if len(cluster) >= 3:
        return i + 1
    if has_final:
        return i + 1
    if cluster in ("oa", "oe", "uy"):
        return i if style == "modern" else i + 1
    return i


@lru_cache(maxsize=65536)
def place_tone(syllable: str, style: ToneStyle = "modern") -> str:
    """Return ``syllable`` in NFC with its tone mark on the vowel that ``style`` prescribes.

    Case is kept; a string that is not a single Vietnamese-looking syllable comes back in NFC
    and otherwise unchanged.

    >>> place_tone("hoà"), place_tone("hòa", "classic"), place_tone("qúy")
    ('hòa', 'hoà', 'quý')
    """
    nfd = unicodedata.normalize("NFD", syllable)
    # One tone mark, or it is no Vietnamese syllable (two would be moved again at every call).
    if sum(ch in _TONES for ch in nfd) != 1 or not _SYLLABLE.fullmatch(nfd):
        return unicodedata.normalize("NFC", syllable)
    base, tone = _strip_tone(nfd)
    k = _tone_index(base, style)
    if k is None:
        return unicodedata.normalize("NFC", syllable)
    return unicodedata.normalize("NFC", base[: k + 1] + tone + base[k + 1 :])


def normalize(text: str, tone: ToneStyle | None = "modern") -> str:
    """Return ``text`` in Unicode NFC with tone marks placed in one style.

    ``tone`` is ``"modern"`` (``hòa``, ``thủy``), ``"classic"`` (``hoà``, ``thuỷ``) or ``None``
    to only apply NFC.  Everything that is not a Vietnamese syllable is left as NFC has it.
    This is the one function in ``tieng`` that changes the user's characters; the segmenter
    itself never does.

    >>> normalize("Hoà bình và thuỷ lợi")
    'Hòa bình và thủy lợi'
    >>> normalize("hòa bình", tone="classic")
    'hoà bình'

    The Icelandic eth, ``Ð`` and ``ð``, which looks the same and is often typed for ``Đ``,
    becomes ``Đ`` and ``đ``.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    if tone not in ("modern", "classic", None):
        raise ValueError(f"tone must be 'modern', 'classic' or None, not {tone!r}")
    nfc = unicodedata.normalize("NFC", text).translate(_ETH_AS_D)
    if tone is None:
        return nfc
    return _SYLLABLE_IN_TEXT.sub(lambda m: place_tone(m.group(), tone), nfc)


_DIGITS = re.compile(r"\d")
KEY_VERSION = 2  # the view that new models are trained with
UNACCENTED = 3  # the key version of models that read text written without diacritics
_LATIN_MARKS = re.compile("[\u0300-\u036f]+")  # tones, breve, circumflex, horn, ...
_UNACCENT = str.maketrans("đĐðÐ", "dDdD")
# Ð (U+00D0) and ð look like Đ (U+0110) and đ, and are typed for them.
_ETH_AS_D = str.maketrans("Ðð", "Đđ")
# A consonant onset and a lone i/y: the two spellings are the same syllable (lý/lí, kỹ/kĩ).
_LONE_Y = re.compile(r"(?:b|ch|c|d|đ|gh|g|h|kh|k|l|m|ngh|ng|nh|n|ph|p|qu|r|s|th|tr|t|v|x)[yýỳỷỹỵ]")
_I_FOR_Y = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def canonical_key(token: str, version: int = 1) -> str:
    """The model's view of one token: NFC, classic tone placement, lower case, digits as 0.

    Version 2 (what :func:`tieng.training.train` uses by default; a model file records its
    version) also writes a lone final ``y`` after a consonant as ``i``: "lý"/"lí",
    "kỹ"/"kĩ", "quý"/"quí", "công ty"/"công ti" look the same.

    >>> canonical_key("HÒA") == canonical_key("hoà") == "hoà"
    True
    >>> canonical_key("2004")
    '0000'
    >>> canonical_key("Kỹ", 2), canonical_key("Kỹ"), canonical_key("tuy", 2)
    ('kĩ', 'kỹ', 'tuy')

    Version 3 (:data:`UNACCENTED`) also drops every tone mark and vowel diacritic and writes
    ``đ`` as ``d``, so that a model of that version reads text typed without them (as search
    queries and chat often are) the same as text with them:

    >>> canonical_key("Đường", 3) == canonical_key("duong", 3) == "duong"
    True
    """
    if version >= UNACCENTED:
        key = remove_diacritics(token).lower()
    else:
        key = normalize(token, "classic").lower()
    if any(ch.isdigit() for ch in key):
        key = _DIGITS.sub("0", key)
    return fold_i_y(key) if version >= 2 else key


def remove_diacritics(text: str) -> str:
    """``text`` as typed without tone marks and vowel diacritics, with ``đ`` as ``d``.

    Case is kept; letters of other scripts keep their marks.  This is the view of the
    ``"vlsp2013-unaccented"`` model, and a way to build accent-insensitive search keys.
    (``Ð``, typed for ``Đ``, is ``D`` too.)

    >>> remove_diacritics("Đường Hòa Bình, Hà Nội")
    'Duong Hoa Binh, Ha Noi'
    """
    bare = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)).translate(_UNACCENT)
    return unicodedata.normalize("NFC", bare)


def fold_i_y(syllable: str) -> str:
    """A lower-case syllable with a lone final "y" after a consonant written "i" instead.

    >>> fold_i_y("lý"), fold_i_y("quỹ"), fold_i_y("tuy"), fold_i_y("y")
    ('lí', 'quĩ', 'tuy', 'y')
    """
    if len(syllable) <= 4 and _LONE_Y.fullmatch(syllable):
        return syllable.translate(_I_FOR_Y)
    return syllable


# The 400 commonest syllables of the training text once marks are removed, less those that
# are also common English words (an, to, can, ...) or abbreviations: a text typed without
# diacritics is mostly made of them, English text hardly at all (see looks_unaccented).
_COMMON_BARE = frozenset(
    """
    co va cua la da cho trong nhung cac mot dong duoc tu cong khong nguoi de nam chi con voi
    nay toi cung den van ve thi dung quan tai lam bo dau doi noi nha ban gia dan ong moi
    nhan nuoc thanh thu bao dinh ngay lai qua ra khi ho tinh phai nhu truong du dat dang su
    chung anh hoi tren hai vao tien vi hien nhieu viec di duong ca bi chinh theo chu thuc ba
    sau hang thong biet ma cu dai xe nguyen phan phat se vu chuyen cau xa te hoa hon cao
    thuong chua san vien trung giao thang tam dien song hop thoi minh hoc tang dieu xay
    trinh luc ky phong nhat nang cap ly lan kinh len bien phu dao hanh tra thay khu ha nen
    binh luong dua tuong quoc truoc chuc ke tro kien pho phuong ngoai thuoc trang giai bang
    cai roi nghiep loi viet tham khac le doc benh sang mua rat tri nghi lo sinh nghe pham
    toan mo doan canh tiep phap tan cam giam qui nao tay dich ben huong xuat vo tac trien
    vay gio chat don tich cach lon dia lien danh tuoi ta kiem hinh gan nho bac quyet doanh
    duc muc tuc trieu yeu bay vua nhiem tre quyen lang vuc diem sat kho hieu long tran tao
    em huyen cuoc tong chay mai ngan chan nhap neu tieu lap gioi che chong dam ket gian vung
    rang phuc han khach tim khoang loai het khai phi tung cuu lao sach cay tat deu trai luat
    nong mang xuong cuoi tuyen chien tap xu tram khoi ti tuy thue tho hoan thiet gi ai quang
    mau cuc dac nhien thieu khau manh nua hoat dem tau kha nan vai tranh si lay chiec chieu
    nganh hoach nhau lanh thai ngoi chau boi sao hay tieng giua bon cang bai thuy vat gap
    linh hoac duoi gay rung khoa muon goi ro suc ung hung nguon ay truc giay cham xac uy
    hoang lieu ngu chet toc rong mien von nghiem ngo sai thap bong vong nuoi buoc hau trach
    phep lua nhanh toa thao tru huy nghia dap phia mac lau giang nghien cat hom rieng hong
    ga ap thuan khan xem vang ngheo xin chiu ton nhin thuat tot thien ao keo chuong cuong
    gom
    """.split()
)
_LETTERS = re.compile(r"[^\W\d_]+")
_NON_ASCII_LETTER = re.compile(r"(?=[^\x00-\x7f])[^\W\d_]")
# An unaccented Vietnamese syllable: onset, one to three vowels, coda.  Most English words
# fail it ("and", "is", "of", "from").
_BARE_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?",
    re.IGNORECASE,
)


def looks_unaccented(text: str) -> bool:
    """Whether ``text`` reads like Vietnamese typed without diacritics (chat, search queries),
    which the default model cannot segment well: the ``vlsp2013-unaccented`` model fits it.

    Nearly no word carries a mark, nearly all are shaped like Vietnamese syllables, and most
    are common Vietnamese syllables.  Short texts (from two words) are judged too, more
    strictly; English and ordinary Vietnamese are not taken for it.

    >>> looks_unaccented("hoc muon vi")
    True
    >>> looks_unaccented("Thanh pho se dau tu xay dung tau dien ngam.")
    True
    >>> looks_unaccented("Thành phố sẽ đầu tư xây dựng tàu điện ngầm.")
    False
    >>> looks_unaccented("I want to go home now")
    False
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    sample = text[:65536]
    # A short text (under 50 words) with one marked letter is ordinary Vietnamese (or not
    # Vietnamese): the cheapest answer, for the service asks this of every text it segments.
    if len(sample) < 98 and not sample.isascii() and _NON_ASCII_LETTER.search(sample):
        return False
    words = _LETTERS.findall(sample)
    n = len(words)
    if n < 2:
        return False
    # Cheapest test first: ordinary Vietnamese fails here, on its marks (the service asks
    # this of every text it segments).
    if not sample.isascii() and n - sum(map(str.isascii, words)) > (0.01 * n if n >= 50 else 0):
        return False
    bare = sum(bool(_BARE_SYLLABLE.fullmatch(w)) for w in words)
    common = sum(w.lower() in _COMMON_BARE for w in words)
    if n >= 50:
        # (or, with names and abbreviations in plenty, most words common Vietnamese syllables)
        return bare >= 0.9 * n or (bare >= 0.7 * n and common >= 0.5 * n)
    # One word in five may be no Vietnamese syllable: a name, an abbreviation (WTO, Bush).
    return bare >= n - n // 5 and common >= max(2, 0.6 * n)


def reads_unaccented(text: str) -> bool:
    """Whether the default segmenter sends ``text`` to the model for text without
    diacritics: :func:`looks_unaccented`, asked only of text with no marked letter at all (a
    marked letter settles it at once, so ordinary Vietnamese costs a few hundred
    nanoseconds).

    >>> reads_unaccented("Ha Noi co nhieu ho dep"), reads_unaccented("Hà Nội có nhiều hồ")
    (True, False)
    """
    if not text.isascii() and _NON_ASCII_LETTER.search(text):
        return False
    return looks_unaccented(text)
