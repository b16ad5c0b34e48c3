"""Rebuild the bundled model from the VLSP 2013 training data.

Training data: all of vlsp2013_ws_train.txt, plus the sentences of vlsp2013_pos_train.txt
that are neither in the WS training set (same words, any segmentation) nor in the test set
(vlsp2013_ws_test.txt is read only to leave its sentences out).  The treebank-style
sentences (the last part of the WS training set, from line TREEBANK_START on, and the added
POS-train sentences) count TREEBANK_WEIGHT times in the loss.  Settings were chosen on
development splits of the WS training set (blocks of consecutive sentences; see
tieng.training.split_dev and scripts/tune_treebank_weight.py).
Usage: python scripts/build_model.py [--data DIR] [-o FILE] [--unaccented]

The confidence calibration is a second step, with a model that did not see the dev split:
    python scripts/tune_treebank_weight.py --weight 20 --max-iter 400 --classes 256 \
        --save held_out.tieng
    python scripts/calibrate.py held_out.tieng --write src/tieng/models/vlsp2013.tieng
For the model of text without diacritics, add --unaccented to all three commands (and write
the calibration into src/tieng/models/vlsp2013-unaccented.tieng).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tieng.cli import main as tieng_main
from tieng.training import read_corpus

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TREEBANK_START = 68_200  # first line of the treebank-style part of vlsp2013_ws_train.txt
TREEBANK_WEIGHT = 20.0  # chosen on the treebank-style dev split (benchmarks/RESULTS.md)
# Affix templates and token keys version 2 are train()'s defaults; they and the 256 syllable
# classes were chosen on the treebank-style dev split (docs/REPORT.md).
SETTINGS = [
    *("--l2", "1.0", "--hash-bits", "22", "--max-iter", "400", "--folds", "5"),
    *("--classes", "256"),
]


def _key(sentence: list[str]) -> str:
    return " ".join(w.replace("_", " ") for w in sentence).lower()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("-o", "--output", type=Path, help="default: the bundled model file")
    p.add_argument(
        "--unaccented",
        action="store_true",
        help="build the model for text without diacritics (vlsp2013-unaccented.tieng)",
    )
    args = p.parse_args()
    if args.output is None:
        name = "vlsp2013-unaccented.tieng" if args.unaccented else "vlsp2013.tieng"
        args.output = ROOT / "src" / "tieng" / "models" / name
    ws = args.data / "vlsp2013_ws_train.txt"
    pos = args.data / "vlsp2013_pos_train.txt"
    test = args.data / "vlsp2013_ws_test.txt"
    for f in (ws, pos, test):
        if not f.is_file():
            print(f"build_model: {f} not found (pass --data)", file=sys.stderr)
            return 2
    ws_sents = read_corpus(ws)
    # The WS training set has two parts: about 68,000 sentences from one source, then the
    # sentences that are also in the POS training set (Viet Treebank, like the test set).
    # The treebank-style ones weigh more.
    other = [" ".join(s) for s in ws_sents[:TREEBANK_START]]
    treebank = [" ".join(s) for s in ws_sents[TREEBANK_START:]]
    seen = {_key(s) for s in ws_sents} | {_key(s) for s in read_corpus(test)}
    for s in read_corpus(pos):
        k = _key(s)
        if k not in seen:
            seen.add(k)
            treebank.append(" ".join(s))
    print(
        f"build_model: {len(other)} sentences weight 1, {len(treebank)} treebank-style "
        f"sentences weight {TREEBANK_WEIGHT}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, lines in (("ws_other.txt", other), ("treebank_style.txt", treebank)):
            files.append(Path(tmp) / name)
            files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
        weights = ["--weights", "1", str(TREEBANK_WEIGHT)]
        view = ["--unaccented"] if args.unaccented else []
        return tieng_main(
            ["train", *map(str, files), "-o", str(args.output), *SETTINGS, *weights, *view]
        )


if __name__ == "__main__":
    sys.exit(main())
