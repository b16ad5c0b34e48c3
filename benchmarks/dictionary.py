"""Speed of segmentation with and without a large user dictionary (one process, in-process).

The dictionary holds every multi-syllable word of the WS training set; the text is the
detokenized test set repeated --repeat times.  A third segmenter has 50,000 known words
instead: seeded random sequences of 2-4 syllables of the model's vocabulary, nearly all new
to its lexicon, so the lexicon it looks up grows from about 29,000 words to about 79,000.
Runs alternate to share the machine's noise.
Usage: python benchmarks/dictionary.py [--data DIR] [--repeat 8] [--runs 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from tieng import Segmenter, UserDictionary
from tieng.training.evaluation import detokenize
from tieng.training.segmenter import read_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--repeat", type=int, default=8)
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    train, test = args.data / "vlsp2013_ws_train.txt", args.data / "vlsp2013_ws_test.txt"
    if not train.is_file() or not test.is_file():
        print(f"dictionary: corpora not found in {args.data} (pass --data)", file=sys.stderr)
        return 2
    words = sorted({w.replace("_", " ") for s in read_corpus(train) for w in s if "_" in w})
    t0 = time.perf_counter()
    d = UserDictionary(words)
    print(f"dictionary of {len(words):,} words built in {time.perf_counter() - t0:.2f} s")
    gold = [ln for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
    lines = [detokenize(g) for g in gold] * args.repeat
    syllables = sum(len(ln.split()) for ln in lines)
    plain = Segmenter()
    mine = plain.with_dictionary(d)
    rng = random.Random(13)
    vocab = plain.model.vocabulary.keys
    known = [" ".join(rng.choices(vocab, k=rng.choice((2, 2, 3, 4)))) for _ in range(50_000)]
    t0 = time.perf_counter()
    hints = UserDictionary(known=known)
    hinted = plain.with_dictionary(hints)
    dt = time.perf_counter() - t0
    grown = plain.model.with_words(hints.known_syllables())  # what the segmenter looks up
    print(
        f"50,000 known words: lexicon {len(plain.model.lexicon):,} -> "
        f"{len(grown.lexicon):,} words, in {dt:.2f} s"
    )
    list(mine.pipe_text(lines[:200]))  # warm up (shared model)
    list(hinted.pipe_text(lines[:200]))
    print(f"{syllables:,} syllables")
    runs = (("no dictionary", plain), ("with the dictionary", mine), ("50,000 known words", hinted))
    for _ in range(args.runs):
        for name, seg in runs:
            t0 = time.perf_counter()
            for _ in seg.pipe_text(lines):
                pass
            dt = time.perf_counter() - t0
            print(f"{name}: {syllables / dt:,.0f} syllables/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
