"""Rebuild the bundled model from the VLSP 2013 training data.

Training data: all of vlsp2013_ws_train.txt, plus the sentences of vlsp2013_pos_train.txt
that are neither in the WS training set (same words, any segmentation) nor in the test set
(vlsp2013_ws_test.txt is read only to leave its sentences out).  Settings were chosen on a
development split of the WS training set (blocks of consecutive sentences, see
tieng.training.split_dev).
Usage: python scripts/build_model.py [--data DIR] [-o FILE]
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
SETTINGS = ["--l2", "1.0", "--hash-bits", "22", "--max-iter", "400", "--folds", "5"]


def _key(sentence: list[str]) -> str:
    return " ".join(w.replace("_", " ") for w in sentence).lower()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument(
        "-o", "--output", type=Path, default=ROOT / "src" / "tieng" / "models" / "vlsp2013.tieng"
    )
    args = p.parse_args()
    ws = args.data / "vlsp2013_ws_train.txt"
    pos = args.data / "vlsp2013_pos_train.txt"
    test = args.data / "vlsp2013_ws_test.txt"
    for f in (ws, pos, test):
        if not f.is_file():
            print(f"build_model: {f} not found (pass --data)", file=sys.stderr)
            return 2
    seen = {_key(s) for s in read_corpus(ws)} | {_key(s) for s in read_corpus(test)}
    extra = []
    for s in read_corpus(pos):
        k = _key(s)
        if k not in seen:
            seen.add(k)
            extra.append(" ".join(s))
    print(f"build_model: {len(extra)} extra sentences from {pos.name}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        extra_file = Path(tmp) / "vlsp2013_pos_train_extra.txt"
        extra_file.write_text("\n".join(extra) + "\n", encoding="utf-8")
        return tieng_main(["train", str(ws), str(extra_file), "-o", str(args.output), *SETTINGS])


if __name__ == "__main__":
    sys.exit(main())
