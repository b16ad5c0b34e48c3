"""Word F1 of a model on the VLSP 2013 test set, pre-tokenized and as raw text.

Raw text is the gold test set detokenized the way news is written (see
tieng.evaluation.detokenize). Usage: python benchmarks/accuracy.py [--data DIR] [--model FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tieng import Segmenter
from tieng.evaluation import detokenize, evaluate

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", default=None, help="model file (default: bundled)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    test = args.data / "vlsp2013_ws_test.txt"
    if not test.is_file():
        print(f"accuracy: {test} not found (pass --data)", file=sys.stderr)
        return 2
    gold = [ln.strip() for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
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
