"""Word F1 on the VLSP 2013 test set rewritten the ways people write.

Variants: as is; modern tone placement ("hòa", "thủy"; the test set mostly uses the classic
"hoà", "thuỷ"); ALL CAPS; every syllable capitalized (Title Case, as headings); all lower
case; without diacritics (as search queries and chat
are often typed: "Ha Noi"; `--model vlsp2013-unaccented` is made for it).  Each is scored
pre-tokenized and as raw text (detokenized as in benchmarks/accuracy.py), against the gold
rewritten the same way.
Usage: python benchmarks/robustness.py [--data DIR] [--model FILE|NAME]
"""

from __future__ import annotations

import sys

from testset import gold_lines, parser

from tieng import Segmenter, normalize
from tieng.normalization import remove_diacritics
from tieng.training.evaluation import detokenize, evaluate

VARIANTS = {
    "as written": lambda s: s,
    "modern tone style": lambda s: normalize(s, "modern"),
    "ALL CAPS": str.upper,
    "Title Case": str.title,
    "all lower case": str.lower,
    "without diacritics": remove_diacritics,
}


def main() -> int:
    p = parser(__doc__)
    args = p.parse_args()
    gold0 = gold_lines(args.data, "robustness")
    if gold0 is None:
        return 2
    pre = Segmenter(args.model, pretokenized=True)
    raw = Segmenter(args.model)
    print("| variant | changed lines | pre-tokenized F1 | raw text F1 | Δ pre | Δ raw |")
    print("|---|---:|---:|---:|---:|---:|")
    base = None
    for name, rewrite in VARIANTS.items():
        gold = [rewrite(g) for g in gold0]
        changed = sum(a != b for a, b in zip(gold, gold0))
        pre_in = [" ".join(w.replace("_", " ") for w in g.split()) for g in gold]
        f_pre = evaluate(gold, pre.pipe_text(pre_in)).f1
        f_raw = evaluate(gold, raw.pipe_text([detokenize(g) for g in gold])).f1
        if base is None:
            base = (f_pre, f_raw)
        print(
            f"| {name} | {changed} | {f_pre:.2f} | {f_raw:.2f} | "
            f"{f_pre - base[0]:+.2f} | {f_raw - base[1]:+.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
