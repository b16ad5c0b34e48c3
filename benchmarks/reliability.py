"""Are the word confidences calibrated?  Accuracy per confidence bin on the VLSP 2013 test set.

Each word the bundled model outputs on the detokenized test set (raw text) gets its
confidence; a word is right when the gold has the same span.  A calibrated model has
accuracy close to the mean confidence in every bin.
Usage: python benchmarks/reliability.py [--data DIR] [--model FILE]
"""

from __future__ import annotations

import sys

import numpy as np
from testset import gold_lines, parser

from tieng import Segmenter
from tieng.training.evaluation import detokenize, word_spans

BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0)


def main() -> int:
    p = parser(__doc__)
    args = p.parse_args()
    gold = gold_lines(args.data, "reliability")
    if gold is None:
        return 2
    raw = [detokenize(g) for g in gold]
    conf: list[float] = []
    right: list[bool] = []
    docs = Segmenter(args.model).pipe(raw, confidence=True)
    for g, text, words in zip(gold, raw, (d.words for d in docs)):
        _, spans = word_spans(g)
        # Offsets in the text without spaces, as word_spans counts them.
        squeeze = np.cumsum([0] + [not c.isspace() for c in text])
        for w in words:
            conf.append(w.confidence)
            right.append((int(squeeze[w.start]), int(squeeze[w.end])) in spans)
    c, r = np.array(conf), np.array(right)
    print("| confidence | words | share | mean confidence | accuracy |")
    print("|---|---:|---:|---:|---:|")
    ece = 0.0
    for i, (lo, hi) in enumerate(zip(BINS[:-1], BINS[1:])):
        m = (c >= lo) & ((c < hi) if i < len(BINS) - 2 else (c <= hi))
        if m.any():
            ece += m.mean() * abs(c[m].mean() - r[m].mean())
            print(
                f"| {lo:.3f}-{hi:.3f} | {m.sum()} | {m.mean():.2%} | "
                f"{c[m].mean():.4f} | {r[m].mean():.4f} |"
            )
    print(
        f"\n{len(c)} words, accuracy {r.mean():.4f}, mean confidence {c.mean():.4f}, "
        f"expected calibration error {ece:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
