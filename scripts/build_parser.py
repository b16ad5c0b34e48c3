"""Build the bundled dependency parser (src/tieng/models/vtb-parser.tieng).

Trained on UD Vietnamese-VTB train and dev (CC BY-SA 4.0: the model file is CC BY-SA 4.0,
see docs/PARSER_CARD.md), gold words, the tags of tieng's bundled tagger (as at run time),
EPOCHS epochs (chosen on dev with a model trained on train alone: scripts/parser_dev.py).

Usage: python scripts/build_parser.py [--data DIR] [-o FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parser_dev import retagged

from tieng.training.parser import read_conllu, train_parser

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
EPOCHS = 4  # dev UAS 68.10 at 4 (67.68 at 8)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "src/tieng/models/vtb-parser.tieng")
    args = ap.parse_args()
    trees = []
    for name in ("ud_vtb_train.conllu", "ud_vtb_dev.conllu"):
        trees += retagged(read_conllu(str(args.data / name)))
    model = train_parser(
        trees,
        epochs=EPOCHS,
        metadata={
            "name": "vtb-parser",
            "license": "CC-BY-SA-4.0",
            "attribution": "Universal Dependencies Vietnamese-VTB (train and dev), CC BY-SA 4.0",
            "training": "ud_vtb_train.conllu + ud_vtb_dev.conllu, gold words, tieng's tags",
        },
        progress=print,
    )
    model.save(args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
