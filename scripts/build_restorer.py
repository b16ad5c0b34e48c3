"""Build the bundled diacritics restorer (src/tieng/models/viwiki-restorer.tieng).

Training text: every line of vlsp2013_ws_train.txt (its "_" as spaces) REPEAT times, and the
Vietnamese Wikipedia text of ../shared/data/viwiki (CC BY-SA: the model file is CC BY-SA 4.0,
see docs/RESTORER_CARD.md).  All text is first written in one tone placement (TONE), the
treebank's, so each syllable has one written form to learn.  The settings were chosen on
dev folds 0 and 1 of the treebank-style part of the training file (scripts/devfold.py):
docs/REPORT.md, "Restoring diacritics".  The probability scale (temperature) is fitted on
those folds with models that did not see them (--temperature, from scripts/calibrate_restorer.py).

Usage: python scripts/build_restorer.py [--data DIR] [-o FILE] [--dev-fold K] [--temperature T]
(--dev-fold K: train without dev fold K and report the accuracy on it, for tuning)
"""

from __future__ import annotations

import argparse
import gzip
import logging
import sys
from pathlib import Path

from devfold import in_dev_fold

from tieng import normalize
from tieng.restoration import Restorer
from tieng.training.restorer import restoration_accuracy, train_restorer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
REPEAT = 6  # the treebank's text counts six times (dev fold 0: 97.45 at 1, 97.53 at 3, 97.60 at 6)
TONE = "classic"  # hoà, thuỷ: the treebank's placement
SETTINGS = {"bits": 23, "epochs": 3, "prune": 1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "-o", "--output", type=Path, default=ROOT / "src/tieng/models/viwiki-restorer.tieng"
    )
    ap.add_argument("--dev-fold", type=int, default=None)
    ap.add_argument("--temperature", type=float, default=1.0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with open(args.data / "vlsp2013_ws_train.txt", encoding="utf-8") as f:
        vlsp = [line.rstrip("\n").replace("_", " ") for line in f]
    dev = []
    if args.dev_fold is not None:
        dev = [x for i, x in enumerate(vlsp) if in_dev_fold(i, args.dev_fold) and x.strip()]
        vlsp = [x for i, x in enumerate(vlsp) if not in_dev_fold(i, args.dev_fold)]
    with gzip.open(args.data / "viwiki" / "viwiki.txt.gz", "rt", encoding="utf-8") as f:
        wiki = [line.rstrip("\n") for line in f if not line.startswith("# ")]
    lines = [normalize(x, TONE) for x in vlsp] * REPEAT + [normalize(x, TONE) for x in wiki]
    model = train_restorer(
        lines,
        **SETTINGS,
        dev=dev,
        metadata={
            "name": "viwiki-restorer",
            "license": "CC-BY-SA-4.0",
            "attribution": "Vietnamese Wikipedia contributors (the articles listed in "
            "shared/data/viwiki/titles.txt, via undertheseanlp/corpus.viwiki 0b727cc); "
            "VLSP 2013 word segmentation training text",
            "training": f"vlsp2013_ws_train.txt x{REPEAT} + viwiki.txt.gz, tone {TONE}",
            "tone": TONE,
            "temperature": args.temperature,
        },
    )
    model.save(args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    if dev:
        accuracy = restoration_accuracy(Restorer(model), dev)
        print(f"dev fold {args.dev_fold}: syllable accuracy {accuracy:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
