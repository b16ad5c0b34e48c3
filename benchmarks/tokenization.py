"""How closely the raw-text tokenizer follows the token conventions of the training data.

Each sentence of the WS training set is detokenized the way news is written (as for the raw
test text), tokenized again with `tieng.tokenize`, and compared with its gold tokens (the
syllables and punctuation of the segmented line). Reports the share of sentences whose
tokens come back exactly, and the commonest disagreements (tieng's tokens | gold tokens).
Only the training file is read: the conventions are taken from it, never from the test set.
Usage: python benchmarks/tokenization.py [--data DIR] [--top N]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from tieng import parse_segmented, tokenize
from tieng.evaluation import detokenize

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--top", type=int, default=15)
    args = p.parse_args()
    path = args.data / "vlsp2013_ws_train.txt"
    if not path.is_file():
        print(f"tokenization: {path} not found (pass --data)", file=sys.stderr)
        return 2
    total = wrong = 0
    diffs: Counter[tuple[str, str]] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        total += 1
        gold = [t for w in parse_segmented(line) for t in w]
        ours = [t.text for t in tokenize(detokenize(line))]
        if ours == gold:
            continue
        wrong += 1
        only_ours, only_gold = Counter(ours) - Counter(gold), Counter(gold) - Counter(ours)
        diffs[(" ".join(only_ours.elements()), " ".join(only_gold.elements()))] += 1
    print(f"{total} training sentences, detokenized and tokenized again")
    print(f"tokens exactly as in the gold: {total - wrong} ({(total - wrong) / total:.2%})")
    print(f"\ncommonest disagreements (sentences | tieng | gold), top {args.top}:")
    for (ours, gold), n in diffs.most_common(args.top):
        print(f"{n:5d} | {ours} | {gold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
