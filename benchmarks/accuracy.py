"""Word F1 of a model on the VLSP 2013 test set, pre-tokenized and as raw text.

Raw text is the gold test set detokenized the way news is written (see
tieng.training.evaluation.detokenize). With --write, the figures also go into the model file's
metadata (what `tieng info` shows), with the date: run once per bundled model, when it is final.
Usage: python benchmarks/accuracy.py [--data DIR] [--model FILE] [--write] [--json]
"""

from __future__ import annotations

import datetime
import json
import sys

from testset import gold_lines, parser

from tieng import BUNDLED_MODELS, Model, Segmenter
from tieng.training.evaluation import detokenize, evaluate


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--write", action="store_true", help="record the figures in the model file (--model)"
    )
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
    if args.write:
        if args.model is None or args.model in BUNDLED_MODELS:
            print("accuracy: --write needs --model FILE (the model file to write)", file=sys.stderr)
            return 2
        model = Model.load(args.model)
        day = datetime.date.today().isoformat()
        model.metadata.setdefault("figures", {})["VLSP 2013 test"] = (
            f"word F1 {s_pre.f1:.2f} pre-tokenized, {s_raw.f1:.2f} raw text ({day})"
        )
        model.save(args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
