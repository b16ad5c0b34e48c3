"""How closely the raw-text tokenizer follows the token conventions of the training data.

Each sentence of the WS training set is detokenized the way news is written (as for the raw
test text), tokenized again with `tieng.tokenize`, and compared with its gold tokens (the
syllables and punctuation of the segmented line). Reports the share of sentences whose
tokens come back exactly, and the commonest disagreements (tieng's tokens | gold tokens).

A second, "glued" variant writes the detokenized text the way people type it: a number and
the unit, currency or per cent sign after it without a space (`20%`, `5km`, `140.000đ`,
`395USD`), and ranges without spaces (`2010-2015`, `6-7 giờ`). For each such pattern the
table gives how the training data writes it (apart or whole: its majority), what tieng gives
for the glued form, and the share of the training data's occurrences that tieng's tokens
match when the input is glued.
Only the training file is read: the conventions are taken from it, never from the test set.
Usage: python benchmarks/tokenization.py [--data DIR] [--top N]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from tieng import parse_segmented, tokenize
from tieng.training.evaluation import detokenize

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_NUM = r"[-+]?\d+(?:[.,]\d+)*"
_RANGE = r"\d+(?:[.,]\d+)*"
_UNITS_LOWER = "m|g|ha|km|kg|cm|mm|mg|ml|đ|kV|kW|kv|m2|m3|km2|h|cc|ft|lít"
_UNITS_UPPER = "USD|VND|MW|GW|KW|MHz|GHz|Hz|GB|MB|CV|HP"
# (name, pattern over the gold tokens written apart, pattern of the same written whole)
PATTERNS: list[tuple[str, str, str]] = [
    ("number %", rf"{_NUM} [%‰]", rf"{_NUM}[%‰]"),
    ("number unit (km, kg, ha, đ, m2, ...)", rf"{_NUM} (?:{_UNITS_LOWER})", ""),
    ("number unit in capitals (USD, MW, ...)", rf"{_NUM} (?:{_UNITS_UPPER})", ""),
    ("% / rate (%/năm)", r"% / [^\W\d_]+", r"%/[^\W\d_]+"),
    ("range of years (2010-2015)", r"(?:1[5-9]|20)\d\d - (?:1[5-9]|20)\d\d", ""),
    ("range of small numbers (6-7, 8-3)", r"\d{1,2} - \d{1,2}", ""),
    (
        "other range of numbers (1.000-2.000)",
        r"(?!\d{1,2} - \d{1,2}(?!\S))(?!\d{1,2} - \d{4}(?!\S))"
        rf"(?!(?:1[5-9]|20)\d\d - (?:1[5-9]|20)\d\d(?!\S)){_RANGE} - {_RANGE}",
        "",
    ),
    ("month and year (6-2004)", r"\d{1,2} - \d{4}", ""),
    ("date (8-3-2004, 27/11/2023)", r"\d{1,2} [-/] \d{1,2} [-/] \d{4}", ""),
    ("number and a capital (1A, 53S5)", r"\d{1,3} [A-Z]\d{0,2}", ""),
]
_NOT_GLUED = {"number and a capital (1A, 53S5)"}  # in the table, but rarely typed glued


def _whole(apart: str) -> str:
    return apart.replace(" ", "")


def pattern_table(lines: list[str]) -> list[tuple[str, int, int, str, float]]:
    """One row a pattern: name, times apart, times whole, tieng's choice, agreement."""
    rows = []
    for name, apart, whole in PATTERNS:
        whole = whole or _whole(apart)
        # Tokens with a space inside a pattern must start and end at token bounds.
        apart_re = re.compile(rf"(?<!\S)(?:{apart})(?!\S)")
        whole_re = re.compile(rf"(?<!\S)(?:{whole})(?!\S)")
        n_apart = n_whole = agree = 0
        splits = Counter()
        for line in lines:
            toks = " ".join(t for w in parse_segmented(line) for t in w)
            for m, is_apart in [(m, True) for m in apart_re.finditer(toks)] + [
                (m, False) for m in whole_re.finditer(toks)
            ]:
                gold = m.group().split()
                glued = _whole(m.group())
                ours = [t.text for t in tokenize(glued)]
                n_apart += is_apart
                n_whole += not is_apart
                agree += ours == gold
                splits[len(ours) > 1] += 1
        choice = "apart" if splits[True] > splits[False] else "whole"
        total = n_apart + n_whole
        rows.append((name, n_apart, n_whole, choice, agree / total if total else 1.0))
    return rows


def _glue(line: str) -> str:
    """The detokenized line with every pattern of PATTERNS written without its spaces."""
    text = detokenize(line)
    for name, apart, _ in PATTERNS:
        if name in _NOT_GLUED:
            continue
        text = re.sub(rf"(?<!\S)(?:{apart})(?!\S)", lambda m: _whole(m.group()), text)
    return text


def _exact(lines: list[str], raw) -> tuple[int, Counter]:
    wrong = 0
    diffs: Counter[tuple[str, str]] = Counter()
    for line in lines:
        gold = [t for w in parse_segmented(line) for t in w]
        ours = [t.text for t in tokenize(raw(line))]
        if ours == gold:
            continue
        wrong += 1
        only_ours, only_gold = Counter(ours) - Counter(gold), Counter(gold) - Counter(ours)
        diffs[(" ".join(only_ours.elements()), " ".join(only_gold.elements()))] += 1
    return wrong, diffs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--top", type=int, default=15)
    args = p.parse_args()
    path = args.data / "vlsp2013_ws_train.txt"
    if not path.is_file():
        print(f"tokenization: {path} not found (pass --data)", file=sys.stderr)
        return 2
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    total = len(lines)
    print(f"{total} training sentences, detokenized and tokenized again")
    wrong, diffs = _exact(lines, detokenize)
    print(f"tokens exactly as in the gold: {total - wrong} ({(total - wrong) / total:.2%})")
    print(f"\ncommonest disagreements (sentences | tieng | gold), top {args.top}:")
    for (ours, gold), n in diffs.most_common(args.top):
        print(f"{n:5d} | {ours} | {gold}")
    print("\nglued variant (numbers, units and ranges written without spaces):")
    glued = [x for x in lines if _glue(x) != detokenize(x)]
    wrong, diffs = _exact(glued, _glue)
    print(
        f"{len(glued)} sentences change; tokens exactly as in the gold: "
        f"{len(glued) - wrong} ({(len(glued) - wrong) / max(1, len(glued)):.2%})"
    )
    print(f"commonest disagreements (sentences | tieng | gold), top {args.top}:")
    for (ours, gold), n in diffs.most_common(args.top):
        print(f"{n:5d} | {ours} | {gold}")
    print("\n| pattern | apart in training | whole in training | tieng, glued input | agreement |")
    print("|---|---:|---:|---|---:|")
    for name, n_apart, n_whole, choice, agree in pattern_table(lines):
        print(f"| {name} | {n_apart:,} | {n_whole:,} | {choice} | {agree:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
