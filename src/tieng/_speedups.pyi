"""Types of the compiled helpers (``_speedups.c``); see :mod:`tieng._accel`."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

ABI_VERSION: int
TAG_WIDTH: int
SHAPE_COUNT: int
LEX_BITS_MAX: int
MAX_LISTS: int
LIST_SOURCES: int
SRC_LIST: int
N_SOURCES: int
SPAN_PREFIX: int
MAX_TEMPLATES: int
TITLE_MIN: int
CAPS_MIN: int
CAPS_NUM: int
CAPS_DEN: int
TITLE_NUM: int
TITLE_DEN: int
PAD_TOKENS: int
SHAPE_FOREIGN: int
SHAPE_FOREIGN_TITLE: int
SHAPE_COUNTRY: int
FLAG_UNGLUED: int
FLAG_ALL: int

_Table = tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16], int]
_Program = Sequence[tuple[tuple[int, ...], npt.NDArray[np.float32] | None, object]]
_Weights = npt.NDArray[np.float16] | npt.NDArray[np.float32] | npt.NDArray[np.uint8]

class CodeTable:
    def __init__(self, limit: int = ...) -> None: ...
    def __len__(self) -> int: ...

def keep_freed_memory() -> bool: ...
def scan_chunks(
    text: str,
    findall: object,
    pretokenized: bool,
    space_chars: str,
    line_break_chars: str,
    trailing: str,
    leading: str,
    is_plain_before_dot: object,
    context: int,
    with_tokens: bool,
) -> tuple[list[str], bytes, bytes, list[int]]: ...
def lookup_codes(cache: dict[str, int], tokens: list[str], out: npt.NDArray[np.int64]) -> None: ...
def table_weights(
    template: int,
    domain: Sequence[int],
    hash_bits: int,
    weights: _Weights,
    lut: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
) -> None: ...
def restore_choices(
    packed: npt.NDArray[np.int64],
    line: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int32],
    candidates: npt.NDArray[np.int32],
    classes: npt.NDArray[np.int64],
    weights: npt.NDArray[np.int8],
    columns: npt.NDArray[np.intp],
    seeds: npt.NDArray[np.uint64],
    bits: int,
    out: npt.NDArray[np.int64],
    /,
) -> None: ...
def parser_rows(values: list[tuple[int, ...]], bits: int, /) -> list[int]: ...
def write_forms(
    chars: npt.NDArray[np.uint32],
    starts: npt.NDArray[np.int64],
    forms: npt.NDArray[np.int64],
    lower: npt.NDArray[np.uint32],
    upper: npt.NDArray[np.uint32],
    lengths: npt.NDArray[np.int64],
    /,
) -> None: ...
def tie_gaps(
    scores: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], flags: npt.NDArray[np.uint8]
) -> None: ...
def widen_codes(
    codes: npt.NDArray[np.float16] | npt.NDArray[np.uint8],
    lut: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
) -> None: ...
def spans_json(spans: list[Any], tags: bool = ..., /) -> bytes: ...
def make_words(
    cls: type[Any],
    big: str,
    big_starts: npt.NDArray[np.int64],
    big_ends: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    confidences: list[float] | None,
    tags: list[str] | None,
    /,
) -> list[Any]: ...
def count_words(text: str) -> int: ...
def codes_of_spans(
    table: CodeTable,
    text: str,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    compute: object,
    out: npt.NDArray[np.int64],
) -> None: ...
def viterbi(
    values: npt.NDArray[np.uint64],
    pos: npt.NDArray[np.int64],
    program: npt.NDArray[np.int32],
    bits: int,
    weights: npt.NDArray[np.int8],
    transitions: npt.NDArray[np.int32],
    bounds: npt.NDArray[np.int64],
    out: npt.NDArray[np.uint8],
) -> None: ...
def write_segmented(
    text: str,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    kinds: npt.NDArray[np.int8],
    bounds: npt.NDArray[np.int64],
    names: list[str] = ...,
    tags: npt.NDArray[np.uint8] = ...,
) -> list[str]: ...

class Scorer:
    def __init__(
        self,
        lexicon: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16], int],
        max_word: int,
        hash_bits: int,
        weights: _Weights,
        lut: npt.NDArray[np.float32],
        program: _Program,
        lists: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16], int, int] | None,
        classes: bool,
    ) -> None: ...
    def score(
        self,
        ids: npt.NDArray[np.int64],
        shapes: npt.NDArray[np.int64],
        classes: npt.NDArray[np.int64] | None,
        gaps: npt.NDArray[np.int64],
        out: npt.NDArray[np.float32],
    ) -> None: ...

class Line:
    def __init__(
        self,
        scorer: Scorer,
        table: CodeTable,
        compute: object,
        findall: object,
        pretokenized: bool,
        space_chars: str,
        line_break_chars: str,
        trailing: str,
        leading: str,
        is_plain_before_dot: object,
        context: int,
        classes: npt.NDArray[np.int64] | None,
        bias: float,
        joinable: npt.NDArray[np.uint8],
        word: type,
        window: int,
        flags: npt.NDArray[np.uint8] | None,
        /,
    ) -> None: ...
    def run(self, text: str, mode: int, /) -> object: ...

def span_keys(rows: npt.NDArray[np.generic], flag: int) -> tuple[bytes, bytes]: ...
def span_table(
    keys: npt.NDArray[np.uint64], flags: npt.NDArray[np.uint16]
) -> tuple[bytes, bytes, int]: ...
def tag_rows(
    attrs: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    program: npt.NDArray[np.int32],
    bits: int,
    weights: npt.NDArray[np.int8],
    transitions: npt.NDArray[np.int32],
    window: int,
    shape_col: int,
    shapes: tuple[int, int, int, int],
) -> bytes: ...
def with_tags(
    words: list[object], joined: str, tags: bytes | npt.NDArray[np.uint8], names: list[str]
) -> tuple[list[object], str]: ...
