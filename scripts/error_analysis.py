"""Errors of a held-out model on the treebank-style dev split, by category, with examples.

An error is a region where the gold and the predicted word boundaries disagree (the smallest
stretch of syllables that both segmentations cut at its two ends).  Each region gets the
first category that fits, in this order:

1. numbers and dates: a syllable holds a digit;
2. proper names: every syllable of the region starts with a capital letter;
3. likely annotation noise: the same syllables, bounded by word boundaries, occur in the
   training data segmented the way the model did at least as often as the gold way;
4. reduplication: a two-syllable gold or predicted word whose syllables repeat, or share their
   initial consonant or their rhyme (lấp lánh, xanh xao, đo đỏ);
5. unseen compound: a multi-syllable gold word that never occurs as a word in training;
6. other (known words, ambiguous attachment).

The model must not have seen the dev split (scripts/tune_treebank_weight.py --save).  The test
set is never looked at.  Usage: python scripts/error_analysis.py HELD_OUT.tieng [--data DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from devfold import in_dev_fold

from tieng import Segmenter
from tieng.normalization import KEY_VERSION
from tieng.normalization import canonical_key as _canonical_key
from tieng.training.segmenter import read_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MAX_REGION = 8


def canonical_key(token: str) -> str:
    return _canonical_key(token, KEY_VERSION)


_TONES = "\u0300\u0301\u0303\u0309\u0323"
_INITIALS = sorted(
    "ngh ng nh ch gh gi kh ph qu th tr b c d đ g h k l m n p r s t v x".split(),
    key=len,
    reverse=True,
)


def split_data(data: Path) -> tuple[list[list[str]], list[list[str]]]:
    """(training sentences, dev sentences) as in scripts/tune_treebank_weight.py."""
    ws = read_corpus(data / "vlsp2013_ws_train.txt")
    train, dev = [], []
    for i, s in enumerate(ws):
        in_dev = in_dev_fold(i, 0)
        (dev if in_dev else train).append(s)
    key = lambda s: " ".join(w.replace("_", " ") for w in s).lower()  # noqa: E731
    test = read_corpus(data / "vlsp2013_ws_test.txt")  # only to leave its sentences out
    seen = {key(s) for s in ws} | {key(s) for s in test}
    train += [s for s in read_corpus(data / "vlsp2013_pos_train.txt") if key(s) not in seen]
    return train, dev


def groups(words: list[str]) -> tuple[list[str], list[int]]:
    """Syllables of a sentence and the index of the syllable each word ends after."""
    syl, ends = [], []
    for w in words:
        syl += [p for p in w.split("_") if p] or [w]
        ends.append(len(syl))
    return syl, ends


def regions(gold_ends: list[int], pred_ends: list[int]) -> list[tuple[int, int]]:
    """Stretches [a, b) of syllables, cut by both segmentations at both ends, where the two
    disagree inside."""
    g, p = set(gold_ends), set(pred_ends)
    differ = sorted(g ^ p)
    out, start, k = [], 0, 0
    for end in sorted(g & p):
        if k < len(differ) and differ[k] < end:
            out.append((start, end))
            while k < len(differ) and differ[k] < end:
                k += 1
        start = end
    return out


def pattern(ends: list[int], a: int, b: int) -> tuple[int, ...]:
    return tuple(e - a for e in ends if a < e <= b)


def initial_and_rhyme(syllable: str) -> tuple[str, str]:
    base = "".join(  # tone marks off; vowel marks (ă, â, ơ...) stay
        c for c in unicodedata.normalize("NFD", syllable.lower()) if c not in _TONES
    )
    base = unicodedata.normalize("NFC", base)
    for ini in _INITIALS:
        if base.startswith(ini) and len(base) > len(ini):
            return ini, base[len(ini) :]
    return "", base


def reduplicative(word: list[str]) -> bool:
    if len(word) != 2:
        return False
    a, b = (canonical_key(s) for s in word)
    if a == b:
        return True
    (ia, ra), (ib, rb) = initial_and_rhyme(a), initial_and_rhyme(b)
    return (ia != "" and ia == ib) or ra == rb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("held_out", help="a model trained without the dev split")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--examples", type=int, default=5)
    args = p.parse_args()
    train, dev = split_data(args.data)
    seg = Segmenter(args.held_out, pretokenized=True)
    found = []  # (syllables, gold pattern, predicted pattern, gold words, predicted words)
    for gold_words, line in zip(
        dev, seg.pipe_text(" ".join(w.replace("_", " ") for w in s) for s in dev)
    ):
        syl, gold_ends = groups(gold_words)
        _, pred_ends = groups(line.split())
        for a, b in regions(gold_ends, pred_ends):
            if b - a > MAX_REGION:
                continue
            found.append((syl[a:b], pattern(gold_ends, a, b), pattern(pred_ends, a, b)))
    # How the training data segments each region's syllables, where they occur bounded by
    # word boundaries.
    wanted = {tuple(canonical_key(s) for s in f[0]) for f in found}
    ways: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    words_seen: set[tuple[str, ...]] = set()
    for s in train:
        syl, ends = groups(s)
        keys = [canonical_key(x) for x in syl]
        starts = [0, *ends[:-1]]
        for w0, w1 in zip(starts, ends):
            if w1 - w0 > 1:
                words_seen.add(tuple(keys[w0:w1]))
        end_set = set(ends)
        for i, a in enumerate(starts):
            for b in ends[i : i + MAX_REGION]:
                if b - a > MAX_REGION:
                    break
                k = tuple(keys[a:b])
                if k in wanted and b in end_set:
                    ways[k][pattern(ends, a, b)] += 1
    by_cat: dict[str, list] = defaultdict(list)
    for syl, gp, pp in found:
        k = tuple(canonical_key(s) for s in syl)
        gold_words = _cut(syl, gp)
        pred_words = _cut(syl, pp)
        if any(re.search(r"\d", s) for s in syl):
            cat = "numbers and dates"
        elif all(s[:1].isupper() for s in syl):
            cat = "proper names"
        elif ways[k][pp] >= max(1, ways[k][gp]):
            cat = "likely annotation noise"
        elif any(reduplicative(w) for w in gold_words + pred_words):
            cat = "reduplication"
        elif any(len(w) > 1 and tuple(map(canonical_key, w)) not in words_seen for w in gold_words):
            cat = "unseen compound"
        else:
            cat = "other (known words, ambiguous attachment)"
        kind = (
            "joined too much"
            if len(pp) < len(gp)
            else "split too much"
            if len(pp) > len(gp)
            else "both"
        )
        by_cat[cat].append((gold_words, pred_words, kind, ways[k][gp], ways[k][pp]))
    total = sum(len(v) for v in by_cat.values())
    print(f"{len(dev)} dev sentences, {total} error regions\n")
    print("| category | regions | share | model joined too much | split too much |")
    print("|---|---:|---:|---:|---:|")
    order = [
        "numbers and dates",
        "proper names",
        "likely annotation noise",
        "reduplication",
        "unseen compound",
        "other (known words, ambiguous attachment)",
    ]
    for cat in order:
        rows = by_cat.get(cat, [])
        j = sum(r[2] == "joined too much" for r in rows)
        s = sum(r[2] == "split too much" for r in rows)
        print(f"| {cat} | {len(rows)} | {len(rows) / max(total, 1):.1%} | {j} | {s} |")
    for cat in order:
        rows = by_cat.get(cat, [])
        if not rows:
            continue
        print(f"\n{cat}: gold → predicted (times in training as gold / as predicted)")
        step = max(1, len(rows) // args.examples)
        for gold_words, pred_words, _kind, ng, np_ in rows[::step][: args.examples]:
            g = " ".join("_".join(w) for w in gold_words)
            q = " ".join("_".join(w) for w in pred_words)
            print(f"- `{g}` → `{q}` ({ng} / {np_})")
    return 0


def _cut(syl: list[str], ends: tuple[int, ...]) -> list[list[str]]:
    out, start = [], 0
    for e in ends:
        out.append(syl[start:e])
        start = e
    return out


if __name__ == "__main__":
    sys.exit(main())
