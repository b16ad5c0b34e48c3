"""Word F1 on the VLSP 2013 test set rewritten the ways people write.

Variants: as is; modern tone placement ("hòa", "thủy"; the test set mostly uses the classic
"hoà", "thuỷ"); ALL CAPS; all lower case.  Each is scored pre-tokenized and as raw text
(detokenized as in benchmarks/accuracy.py), against the gold rewritten the same way.
Usage: python benchmarks/robustness.py [--data DIR] [--model FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tieng import Segmenter, normalize
from tieng.evaluation import detokenize, evaluate

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

VARIANTS = {
    "as written": lambda s: s,
    "modern tone style": lambda s: normalize(s, "modern"),
    "ALL CAPS": str.upper,
    "all lower case": str.lower,
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", default=None, help="model file (default: bundled)")
    args = p.parse_args()
    test = args.data / "vlsp2013_ws_test.txt"
    if not test.is_file():
        print(f"robustness: {test} not found (pass --data)", file=sys.stderr)
        return 2
    gold0 = [ln.strip() for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
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
