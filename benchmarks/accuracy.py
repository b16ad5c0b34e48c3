"""Word F1 of a model on the VLSP 2013 test set, pre-tokenized and as raw text.

Raw text is the gold test set detokenized the way news is written (see
tieng.evaluation.detokenize). Usage: python benchmarks/accuracy.py [--data DIR] [--model FILE]
"""

from __future__ import annotations

import json
import sys

from testset import gold_lines, parser

from tieng import Segmenter
from tieng.evaluation import detokenize, evaluate


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    gold = gold_lines(args.data, "accuracy")
    if gold is None:
        return 2
    pre = Segmenter(args.model, pretokenized=True)
    raw = Segmenter(args.model)
    pre_in = [" ".join(w.replace("_", " ") for w in g.split()) for g in gold]
    s_pre = evaluate(gold, pre.pipe_text(pre_in))
    s_raw = evaluate(gold, raw.pipe_text([detokenize(g) for g in gold]))
    if args.json:
        print(json.dumps({"pretokenized": s_pre.__dict__, "raw": s_raw.__dict__}))
    else:
        print(f"pre-tokenized: {s_pre}")
        print(f"raw text:      {s_raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
