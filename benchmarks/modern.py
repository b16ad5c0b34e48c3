"""Word F1 on the modern dev set, by category (``benchmarks/data/modern_dev.txt``).

The VLSP 2013 treebank is news of 2003-2005; what users paste today holds what it hardly
shows.  The modern dev set is 300 sentences written for tieng in six categories of 50:
names of people, countries and companies (foreign ones too); headings in Title Case and in
capitals; sentences that start with a title or a capitalised word (``Bà``, ``Ông``,
``Chị``); English and code-switched sentences; informal chat (``ko``, ``dc``, ``mk``, ``vs``,
no full stops); and ordinary news sentences, as a control.  The sentences were written for
the project (none taken from a corpus) and segmented by the VLSP 2013 guideline; where the
training data writes a pair of syllables both ways, its majority decided (checked pair by
pair against vlsp2013_ws_train.txt: a word joined in the gold but written apart more often
in the training data, or the other way round, was changed to the majority, except where the
meaning differs from the training data's).  Foreign multi-part names are one word
(``Bill_Clinton``, ``Roh_Moo_Hyun``) and a country before a person's name is a word of its own
(``Tổng_thống Mỹ Bill_Clinton``), as in the training data.

It is for choosing between models, as the dev folds are; the VLSP test set stays the figure
reported.  Each sentence is scored as raw text (detokenized) and as its gold tokens.

Usage: python benchmarks/modern.py [--model NAME|FILE] [--show CATEGORY]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from tieng import Segmenter
from tieng.training.evaluation import detokenize, evaluate

DATA = Path(__file__).resolve().parent / "data" / "modern_dev.txt"


def load() -> dict[str, list[str]]:
    """The gold sentences of each category."""
    out: dict[str, list[str]] = defaultdict(list)
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            category, gold = line.split("\t")
            out[category].append(gold)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", help="model name or file (default: the bundled model)")
    p.add_argument(
        "--show", metavar="CATEGORY", help="print the sentences of a category that differ"
    )
    args = p.parse_args()
    seg = Segmenter(args.model)
    pre = Segmenter(args.model, pretokenized=True)
    data = load()
    print(f"model: {args.model or 'vlsp2013'}")
    print("| category | sentences | raw text F1 | pre-tokenized F1 | sentences right (raw) |")
    print("|---|---:|---:|---:|---:|")
    everything_gold: list[str] = []
    everything_out: list[str] = []
    for category, gold in data.items():
        out = list(seg.pipe_text([detokenize(g) for g in gold]))
        pre_out = list(
            pre.pipe_text([" ".join(w.replace("_", " ") for w in g.split()) for g in gold])
        )
        raw = evaluate(gold, out)
        tok = evaluate(gold, pre_out)
        right = sum(a == b for a, b in zip(gold, out))
        print(f"| {category} | {len(gold)} | {raw.f1:.2f} | {tok.f1:.2f} | {right} |")
        everything_gold += gold
        everything_out += out
        if args.show == category:
            for g, o in zip(gold, out):
                if g != o:
                    print(f"    gold: {g}\n    got:  {o}", file=sys.stderr)
    total = evaluate(everything_gold, everything_out)
    print(f"| all | {len(everything_gold)} | {total.f1:.2f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
