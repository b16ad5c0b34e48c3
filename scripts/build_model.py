"""Rebuild the bundled model from the VLSP 2013 training set.

Settings were chosen on a 5% development split of the training set (seeded hash, see
tieng.training.split_dev); the bundled model is then trained on the whole training set.
Usage: python scripts/build_model.py [--data DIR] [-o FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tieng.cli import main as tieng_main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SETTINGS = ["--l2", "1.0", "--hash-bits", "22", "--max-iter", "400", "--folds", "5"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("-o", "--output", type=Path,
                   default=ROOT / "src" / "tieng" / "models" / "vlsp2013.tieng")
    args = p.parse_args()
    corpus = args.data / "vlsp2013_ws_train.txt"
    if not corpus.is_file():
        print(f"build_model: {corpus} not found (pass --data)", file=sys.stderr)
        return 2
    return tieng_main(["train", str(corpus), "-o", str(args.output), *SETTINGS])


if __name__ == "__main__":
    sys.exit(main())
